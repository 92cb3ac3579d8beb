//! credo-import
