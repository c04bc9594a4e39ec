//! Arguments that are JS values rather than numbers: id and length arrays, and names.
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
