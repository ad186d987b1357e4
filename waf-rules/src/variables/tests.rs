//! Unit tests of variable specifications.
