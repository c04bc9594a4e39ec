//! recurrent-core: the numerics of `recurrent`, plain Rust on slices.
//!
//! No dependencies and no binding code: everything here is tested natively with `cargo test`
//! and exported to JavaScript by `recurrent-wasm`. Functions that take user-controlled sizes
//! validate them and return [`CoreError`] instead of panicking, because a panic inside wasm
//! traps and can leave the instance unusable.
//!
//! Conventions: matrices are row-major `f32` slices with an explicit leading dimension;
//! recurrent parameters follow PyTorch's names, shapes and gate orders.

#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics"),
    feature(stdarch_wasm_atomic_wait)
)]

pub mod error;
pub mod gemm;
pub mod math;
pub mod mem;
pub mod parallel;
pub mod rnn;
pub mod simd;
pub mod train;
pub mod tree;

pub use error::CoreError;
pub use parallel::{Parallel, Sequential};
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub mod worker_pool;

/// The runner kernels use by default in this build: the parked worker pool in the threaded
/// wasm build, the calling thread alone otherwise.
pub fn default_pool() -> &'static dyn Parallel {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    {
        &worker_pool::WorkerPool
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    {
        &Sequential
    }
}
