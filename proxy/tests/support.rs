//! Fixtures shared by the integration tests (`mod support;`): each test starts its own.
// Each test binary uses a different part of the fixtures, and cargo also builds this file as
// a (testless) test binary of its own. As that binary's root, `mod x;` would look for
// `tests/x.rs`, so every submodule names its file under `support/` explicitly.
#![allow(dead_code)]

#[path = "support/tls.rs"]
pub mod tls;
