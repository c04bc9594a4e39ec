//! Argument checks shared by the drivers: exact slice lengths and optional tensors.

pub(crate) use crate::error::check_exact as exact;
use crate::error::{CoreError, CoreResult};

/// Checks an optional tensor: when `allowed`, a given one must have `need` elements; when not
/// (e.g. `c0` for a cell without cell state) it must be absent.
pub(crate) fn optional(
    op: &'static str,
    arg: &'static str,
    len: Option<usize>,
    need: usize,
    allowed: bool,
) -> CoreResult<()> {
    match (len, allowed) {
        (None, _) => Ok(()),
        (Some(len), true) => exact(op, arg, len, need),
        (Some(len), false) => Err(CoreError::new(
            op,
            arg,
            "absent (this cell has no cell state)",
            format_args!("{len} elements"),
        )),
    }
}

/// Checks a tensor that must be given exactly when `required` (the `c` outputs of cells with
/// a cell state) and absent otherwise.
pub(crate) fn required_iff(
    op: &'static str,
    arg: &'static str,
    len: Option<usize>,
    need: usize,
    required: bool,
) -> CoreResult<()> {
    match (len, required) {
        (None, true) => Err(CoreError::new(
            op,
            arg,
            format_args!("{need} elements (this cell has a cell state)"),
            "none",
        )),
        _ => optional(op, arg, len, need, required),
    }
}

/// Fails unless `1 <= v <= max`.
pub(crate) fn in_range(
    op: &'static str,
    arg: &'static str,
    v: usize,
    max: usize,
) -> CoreResult<()> {
    if v == 0 || v > max {
        return Err(CoreError::new(
            op,
            arg,
            format_args!("between 1 and {max}"),
            format_args!("{v}"),
        ));
    }
    Ok(())
}

/// Checks variable lengths: `B` entries, each at most `T` (0 is allowed: the sequence is
/// empty, its outputs are zero and its final state is its initial state).
pub(crate) fn lengths(
    op: &'static str,
    lengths: Option<&[u32]>,
    batch: usize,
    seq_len: usize,
) -> CoreResult<()> {
    let Some(lengths) = lengths else {
        return Ok(());
    };
    exact(op, "lengths", lengths.len(), batch)?;
    if let Some((b, &l)) = lengths
        .iter()
        .enumerate()
        .find(|(_, &l)| u64::from(l) > seq_len as u64)
    {
        return Err(CoreError::new(
            op,
            "lengths",
            format_args!("every length at most seq_len = {seq_len}"),
            format_args!("lengths[{b}] = {l}"),
        ));
    }
    Ok(())
}
