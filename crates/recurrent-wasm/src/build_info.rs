//! What this build was compiled with, so the loader and tests can check what is running.

use wasm_bindgen::prelude::*;

/// `true` when the module was compiled with SIMD128 kernels.
#[wasm_bindgen]
pub fn build_simd() -> bool {
    cfg!(target_feature = "simd128")
}

/// `true` when the module was compiled with relaxed SIMD (`f32x4.relaxed_madd` in the
/// kernels: the `relaxed` and `relaxed-threads` builds).
#[wasm_bindgen]
pub fn build_relaxed() -> bool {
    cfg!(target_feature = "relaxed-simd")
}
