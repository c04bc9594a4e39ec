//! Slices of registry buffers for kernel calls: a kernel gets exactly the elements its shape
//! needs, so one buffer sized for the largest batch serves smaller ones too.

use wasm_bindgen::JsError;

use crate::abi_error::{abi_error, Kind};
use crate::registry::{Handle, Registry};
use crate::taken::Taken;

/// The first `need` elements of buffer `handle`; an error naming `arg` if it is shorter.
pub fn prefix<'a>(
    reg: &'a Registry<Vec<f32>>,
    handle: Handle,
    need: usize,
    op: &str,
    arg: &str,
) -> Result<&'a [f32], JsError> {
    let buf = reg.get(handle)?;
    buf.get(..need)
        .ok_or_else(|| short(op, arg, need, buf.len()))
}

/// Like [`prefix`], `None` for handle 0.
pub fn prefix_opt<'a>(
    reg: &'a Registry<Vec<f32>>,
    handle: Handle,
    need: usize,
    op: &str,
    arg: &str,
) -> Result<Option<&'a [f32]>, JsError> {
    if handle == 0.0 {
        Ok(None)
    } else {
        prefix(reg, handle, need, op, arg).map(Some)
    }
}

/// The first `need` elements of a taken-out buffer, mutably.
pub fn prefix_mut<'a>(
    t: &'a mut Taken,
    need: usize,
    op: &str,
    arg: &str,
) -> Result<&'a mut [f32], JsError> {
    let len = t.data().len();
    t.data()
        .get_mut(..need)
        .ok_or_else(|| short(op, arg, need, len))
}

/// Like [`prefix_mut`] for an optional buffer.
pub fn prefix_mut_opt<'a>(
    t: &'a mut Option<Taken>,
    need: usize,
    op: &str,
    arg: &str,
) -> Result<Option<&'a mut [f32]>, JsError> {
    match t {
        Some(t) => prefix_mut(t, need, op, arg).map(Some),
        None => Ok(None),
    }
}

fn short(op: &str, arg: &str, need: usize, len: usize) -> JsError {
    abi_error(
        Kind::InvalidArgument,
        format_args!(
            "{op}: argument `{arg}` expected a buffer of at least {need} floats, got {len}"
        ),
    )
}

/// `a * b` as a size, or an error naming `arg` when it overflows.
pub fn size(op: &str, arg: &str, a: u32, b: u32) -> Result<usize, JsError> {
    (a as usize).checked_mul(b as usize).ok_or_else(|| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("{op}: argument `{arg}` is too large ({a} x {b})"),
        )
    })
}
