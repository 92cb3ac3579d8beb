//! credo-store
