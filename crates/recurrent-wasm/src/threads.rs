//! Exports that drive the worker pool of the threaded build. In the single-threaded build
//! they exist too, so the TS side has one interface: there is never a worker to register.

use wasm_bindgen::prelude::*;

#[cfg(target_feature = "atomics")]
#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, monotonic, in every thread (Node and browser workers
    /// have `performance` too).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Gives the pool its clock (microseconds), with which its spin budgets are measured; called
/// by the engine's thread (`engine_prepare`) and by every pool worker before it enters.
pub fn install_clock() {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::set_clock(|| performance_now() * 1000.0);
}

/// Entered by each pool worker after it instantiated the module; returns at shutdown.
#[wasm_bindgen]
pub fn pool_worker_main() -> Result<(), JsError> {
    #[cfg(target_feature = "atomics")]
    {
        // The first touch of the kernels' thread-locals allocates (see `engine_prepare`).
        recurrent_core::gemm::prepare_thread();
        install_clock();
        recurrent_core::worker_pool::worker_main();
        Ok(())
    }
    #[cfg(not(target_feature = "atomics"))]
    {
        Err(crate::abi_error::abi_error(
            crate::abi_error::Kind::InvalidArgument,
            format_args!(
                "pool_worker_main: this is the single-threaded build; workers need the threaded one"
            ),
        ))
    }
}

/// Asks every pool worker to return from `pool_worker_main`.
#[wasm_bindgen]
pub fn pool_shutdown() {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::shutdown();
}

/// Readies the pool for new workers once the previous ones have left.
#[wasm_bindgen]
pub fn pool_reset() {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::reset();
}

/// Workers registered in the pool (0 in the single-threaded build).
#[wasm_bindgen]
pub fn pool_workers() -> u32 {
    #[cfg(target_feature = "atomics")]
    {
        recurrent_core::worker_pool::registered_workers() as u32
    }
    #[cfg(not(target_feature = "atomics"))]
    {
        0
    }
}

/// Limits how many threads kernels use, the caller included; 0 means all. Results do not
/// depend on it (fixed tiles), only speed does.
#[wasm_bindgen]
pub fn pool_set_threads(threads: u32) {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::set_wanted_threads(threads as usize);
    #[cfg(not(target_feature = "atomics"))]
    let _ = threads;
}

/// Whether the thread that calls the kernels may block on an atomic wait while pool workers
/// finish. A browser page's main thread may not (the wait traps there), so the loader passes
/// false there and the caller spins instead.
#[wasm_bindgen]
pub fn pool_set_caller_may_block(may_block: bool) {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::set_caller_may_block(may_block);
    #[cfg(not(target_feature = "atomics"))]
    let _ = may_block;
}

/// Threads kernels use now, the caller included.
#[wasm_bindgen]
pub fn pool_threads() -> u32 {
    recurrent_core::default_pool().threads() as u32
}
