//! Multipart tests.
