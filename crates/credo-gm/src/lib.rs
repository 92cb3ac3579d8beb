//! credo-gm
