//! Errors crossing the boundary, tagged with a kind the TS side maps to a class.

use recurrent_core::CoreError;
use wasm_bindgen::JsError;

/// The kinds of error the boundary reports; the TS side has one class per kind.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An argument has the wrong shape, size or range.
    InvalidArgument,
    /// A handle was freed, never existed, or belongs to an older generation.
    StaleHandle,
    /// The allocation would not fit in wasm memory.
    OutOfMemory,
}

/// Builds the thrown error: `[Kind] message`.
pub fn abi_error(kind: Kind, message: impl AsRef<str>) -> JsError {
    JsError::new(&format!("[{kind:?}] {}", message.as_ref()))
}

/// A core validation failure, as an `InvalidArgument` error.
pub fn from_core(e: CoreError) -> JsError {
    abi_error(Kind::InvalidArgument, e.to_string())
}
