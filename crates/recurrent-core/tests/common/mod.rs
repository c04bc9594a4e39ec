//! Shared test support: a seeded generator, the f64 reference, the tolerance of the fixtures,
//! the fixture reader and a runner for the crate's f32 stack. Each test crate uses a part.
#![allow(dead_code)]

pub mod family_fixture;
pub mod fixture;
pub mod reference;
pub mod rng;
pub mod rnn_family;
pub mod run;
pub mod tol;
pub mod train_support;
pub mod tree_fixture;
pub mod tree_reference;

use recurrent_core::rnn::{CellKind, StackSpec};

/// The bit patterns of `v`, for comparisons that must be exact (thread counts, paths that
/// promise the same bits).
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A stack with biases, no skip connection and no projection; tests set the rest with
/// `StackSpec { skip: 3, ..spec(..) }`.
pub fn spec(kind: CellKind, input: usize, hidden: usize, layers: usize, bi: bool) -> StackSpec {
    StackSpec {
        kind,
        input_size: input,
        hidden_size: hidden,
        num_layers: layers,
        bidirectional: bi,
        bias: true,
        skip: 0,
        proj_size: 0,
    }
}
