//! Urlencoded tests.
