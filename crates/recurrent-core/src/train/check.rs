//! Argument checks shared by the training ops: sizes that must not overflow, exact slice
//! lengths, finite scalars in a range, ids below a bound.

pub(crate) use crate::error::{check_exact as exact, check_len as at_least};
use crate::error::{CoreError, CoreResult};

/// `a * b`, or an error naming `arg` if the product does not fit in `usize`.
pub(crate) fn product(
    op: &'static str,
    arg: &'static str,
    a: usize,
    b: usize,
) -> CoreResult<usize> {
    a.checked_mul(b).ok_or_else(|| {
        CoreError::new(
            op,
            arg,
            "a size that fits in memory",
            format_args!("{a} x {b} elements"),
        )
    })
}

/// Checks an optional tensor: when given it must have exactly `need` elements.
pub(crate) fn optional(
    op: &'static str,
    arg: &'static str,
    len: Option<usize>,
    need: usize,
) -> CoreResult<()> {
    match len {
        Some(len) => exact(op, arg, len, need),
        None => Ok(()),
    }
}

/// Fails unless `v >= 1`.
pub(crate) fn positive(op: &'static str, arg: &'static str, v: usize) -> CoreResult<()> {
    if v == 0 {
        return Err(CoreError::new(op, arg, "at least 1", "0"));
    }
    Ok(())
}

/// Fails unless `v` is finite and `lo <= v` (and `v < hi` when `hi_open`, `v <= hi`
/// otherwise). NaN fails every comparison, so it is refused too.
pub(crate) fn scalar_in(
    op: &'static str,
    arg: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    hi_open: bool,
) -> CoreResult<()> {
    let below_hi = if hi_open { v < hi } else { v <= hi };
    if !(v.is_finite() && v >= lo && below_hi) {
        let close = if hi_open { ")" } else { "]" };
        let range = if hi == f64::INFINITY {
            format_args!("a finite number >= {lo}")
        } else {
            format_args!("in [{lo}, {hi}{close}")
        };
        return Err(CoreError::new(op, arg, range, format_args!("{v}")));
    }
    Ok(())
}

/// Fails unless `v` is finite (any sign).
pub(crate) fn finite(op: &'static str, arg: &'static str, v: f64) -> CoreResult<()> {
    if !v.is_finite() {
        return Err(CoreError::new(
            op,
            arg,
            "a finite number",
            format_args!("{v}"),
        ));
    }
    Ok(())
}

/// Fails unless every id is below `bound`, naming the first that is not.
pub(crate) fn ids_below(
    op: &'static str,
    arg: &'static str,
    ids: &[u32],
    bound: usize,
) -> CoreResult<()> {
    if let Some((i, &id)) = ids.iter().enumerate().find(|(_, &id)| id as usize >= bound) {
        return Err(CoreError::new(
            op,
            arg,
            format_args!("every id below {bound}"),
            format_args!("{id} at index {i}"),
        ));
    }
    Ok(())
}
