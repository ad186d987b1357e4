//! Fixtures shared by the integration tests (`mod support;`): each test starts its own.
// Each test binary uses a different part of the fixtures, and cargo also builds this file as
// a (testless) binary of its own.
#![allow(dead_code)]

pub mod tls;
