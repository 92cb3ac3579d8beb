//! credo-search
