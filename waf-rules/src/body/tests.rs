//! Dispatch tests.
