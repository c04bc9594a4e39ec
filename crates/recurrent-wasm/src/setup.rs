//! Readying a thread so that no later call makes a first-time allocation that cannot fail
//! gracefully, and the facts about memory the TS side reports.

use wasm_bindgen::prelude::*;

use crate::abi_error::MAX_MEMORY_BYTES;

/// Readies the engine's thread; the loader calls it once, right after instantiating.
///
/// Two things allocate on their first use with an allocation that aborts (traps) on failure,
/// so they are done here, when memory is certainly available, rather than on the first call
/// that needs them, which might be made with memory full:
/// - in the threaded build, the first touch of each thread-local with a destructor registers
///   it in the thread's destructor list;
/// - wasm-bindgen's table of JS values held by Rust keeps its free list in wasm memory and
///   makes room for 128 entries the first time a JS value is made (every thrown error is one).
#[wasm_bindgen]
pub fn engine_prepare() {
    crate::buffers::BUFFERS.with(|_| ());
    crate::rnn::prepare_thread();
    crate::params::prepare_thread();
    recurrent_core::gemm::prepare_thread();
    crate::threads::install_clock();
    drop(JsValue::from_str(""));
}

/// Bytes wasm memory can grow to (the same for both builds).
#[wasm_bindgen]
pub fn memory_max_bytes() -> f64 {
    MAX_MEMORY_BYTES as f64
}
