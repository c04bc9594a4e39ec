//! Recursive networks over forests of trees: a node's state is a function of its children's
//! states (`tree_rnn`, Socher-style over binary trees; the Child-Sum Tree-LSTM and the N-ary
//! Tree-LSTM with N = 2 of Tai, Socher & Manning 2015). Equations, parameter names and
//! shapes are those of the shared fixtures' README (`families/README.md`, "Tree families").
//!
//! A [`Forest`] is checked once and cut into **levels**: level 0 holds the leaves, level L the
//! nodes whose deepest child is at level L-1. All nodes of a level are computed together: one
//! GEMM per level and weight matrix over the gathered child states, then one fused gate pass
//! (`forward.rs`); backpropagation through structure walks the levels back (`backward.rs`).
//! The input projections are one GEMM per pass too (so the node-at-a-time schedule, kept as
//! the benchmark's baseline, is node-at-a-time throughout). The GEMMs are the
//! only threaded parts, and they are bit-identical for any thread count, so the whole pass is.
//!
//! Node states live in **slot order** (nodes sorted by level, then by index), so a level's
//! states are contiguous rows; callers see node order.

mod backward;
mod cell_grads;
mod forest;
mod forward;
mod gather;
mod kind;
mod parts;

pub use backward::tree_backward;
pub use forest::{Forest, Schedule};
pub use forward::tree_forward;
pub use kind::{TreeKind, TreeShape};
