//! Fallible allocation: every `Vec` and `String` the core keeps is made here, with
//! `try_reserve_exact`, so running out of memory is a [`CoreError`] of kind
//! [`ErrorKind::OutOfMemory`](crate::error::ErrorKind) instead of an abort. In wasm an abort
//! traps the instance, and every later call into it traps too.

use std::fmt;

use crate::error::{try_format, CoreError, CoreResult};

/// An empty vector with room for exactly `n` elements (pushing up to `n` never reallocates).
pub fn with_capacity<T>(op: &'static str, what: &'static str, n: usize) -> CoreResult<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| CoreError::out_of_memory(op, what, n.saturating_mul(size_of::<T>())))?;
    Ok(v)
}

/// `n` default values (zeros for numbers).
pub fn zeros<T: Copy + Default>(
    op: &'static str,
    what: &'static str,
    n: usize,
) -> CoreResult<Vec<T>> {
    let mut v = with_capacity(op, what, n)?;
    v.resize(n, T::default());
    Ok(v)
}

/// A copy of `items`.
pub fn copy_of<T: Copy>(op: &'static str, what: &'static str, items: &[T]) -> CoreResult<Vec<T>> {
    let mut v = with_capacity(op, what, items.len())?;
    v.extend_from_slice(items);
    Ok(v)
}

/// `args` formatted into a new string.
pub fn format(
    op: &'static str,
    what: &'static str,
    args: fmt::Arguments<'_>,
) -> CoreResult<String> {
    try_format(args).map_err(|bytes| CoreError::out_of_memory(op, what, bytes))
}
