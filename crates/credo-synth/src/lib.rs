//! credo-synth
