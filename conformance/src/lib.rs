//! wsspec
