//! credo-server
