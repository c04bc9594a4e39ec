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
