//! Unit tests of action parsing.
