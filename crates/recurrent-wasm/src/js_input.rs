//! Arguments that are JS values rather than numbers: id, length and handle arrays, and names.
//!
//! They arrive as JS values and are copied into wasm memory here, into vectors reserved with
//! `try_reserve`. Taken as `Vec<u32>` or `&str` instead, wasm-bindgen's glue would copy them
//! in through its own allocator, which traps (and leaves the instance unusable) when memory
//! is full.

use recurrent_core::mem;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::abi_error::{abi_error, from_core, Kind};

#[wasm_bindgen]
extern "C" {
    /// A JS `Uint32Array`.
    #[wasm_bindgen(js_name = Uint32Array)]
    pub type JsU32Array;

    #[wasm_bindgen(method, getter)]
    fn length(this: &JsU32Array) -> u32;

    /// `Uint32Array.prototype.set.call(dst, src)`: `dst` is passed as a view of wasm memory,
    /// so this copies `src` straight into it (`dst` has exactly `src.length` elements).
    #[wasm_bindgen(js_namespace = Uint32Array, js_name = "prototype.set.call")]
    fn copy_into(dst: &mut [u32], src: &JsU32Array);

    /// A JS `Float64Array`.
    #[wasm_bindgen(js_name = Float64Array)]
    pub type JsF64Array;

    #[wasm_bindgen(method, getter, js_name = length)]
    fn f64_length(this: &JsF64Array) -> u32;

    /// `Float64Array.prototype.set.call(dst, src)`, as `copy_into`.
    #[wasm_bindgen(js_namespace = Float64Array, js_name = "prototype.set.call")]
    fn copy_f64s_into(dst: &mut [f64], src: &JsF64Array);
}

/// A copy of the `Uint32Array` argument `arg` of `op`; an error for any other value.
pub fn u32s(op: &str, arg: &str, value: &JsValue) -> Result<Vec<u32>, JsError> {
    let array = value.dyn_ref::<JsU32Array>().ok_or_else(|| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("{op}: argument `{arg}` expected a Uint32Array"),
        )
    })?;
    let mut out = mem::zeros(
        "wasm boundary",
        "an id or length array",
        array.length() as usize,
    )
    .map_err(from_core)?;
    copy_into(&mut out, array);
    Ok(out)
}

/// A copy of the `Float64Array` argument `arg` of `op` (handles); an error for any other value.
pub fn f64s(op: &str, arg: &str, value: &JsValue) -> Result<Vec<f64>, JsError> {
    let array = value.dyn_ref::<JsF64Array>().ok_or_else(|| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("{op}: argument `{arg}` expected a Float64Array"),
        )
    })?;
    let mut out = mem::zeros(
        "wasm boundary",
        "a handle array",
        array.f64_length() as usize,
    )
    .map_err(from_core)?;
    copy_f64s_into(&mut out, array);
    Ok(out)
}
