//! Inverted dropout with a counter-based mask.
//!
//! Forward: element `i` is kept with probability `1 - p` and scaled by `1 / (1 - p)`, dropped
//! (set to 0) otherwise, so the expectation is unchanged and inference needs no rescale
//! (PyTorch `nn.Dropout` in training mode). Whether element `i` is kept depends only on
//! `(seed, i)` ([`counter_hash`]): the same seed gives the same mask on any thread count and
//! in any call order. Use [`derive_seed`](super::derive_seed) to give each layer and step its
//! own seed.

use super::check;
use super::rng::counter_hash;
use crate::error::CoreResult;

/// `2^32`, the range of the 32 random bits that decide one element.
const RANGE: f64 = 4_294_967_296.0;

/// Element `i` is dropped when the top 32 bits of `counter_hash(seed, i)` are below this
/// threshold, i.e. with probability `round(p * 2^32) / 2^32`. `p = 1` drops everything.
fn threshold(p: f64) -> u64 {
    (p * RANGE).round() as u64
}

/// The scale of kept elements, `1 / (1 - p)` rounded to `f32` once (unused when `p = 1`).
fn keep_scale(p: f64) -> f32 {
    (1.0 / (1.0 - p)) as f32
}

/// `out[i] = x[i] * mask[i] / (1 - p)` with `mask[i] = 1` (kept) or `0` (dropped), written to
/// `mask_out` for the backward pass. `p` is the drop probability in `[0, 1]`: `p = 0` copies
/// `x` and keeps everything, `p = 1` gives zeros. Dropped elements are exactly 0 even when
/// `x` is infinite or NaN there.
///
/// Errors (nothing written) unless `out` and `mask_out` have as many elements as `x` and
/// `p` is in `[0, 1]`.
pub fn dropout_forward(
    x: &[f32],
    out: &mut [f32],
    mask_out: &mut [u8],
    p: f64,
    seed: u64,
) -> CoreResult<()> {
    const OP: &str = "train::dropout_forward";
    check::exact(OP, "out", out.len(), x.len())?;
    check::exact(OP, "mask_out", mask_out.len(), x.len())?;
    check::scalar_in(OP, "p", p, 0.0, 1.0, false)?;
    let (thr, s) = (threshold(p), keep_scale(p));
    for (i, ((o, m), &v)) in out.iter_mut().zip(mask_out.iter_mut()).zip(x).enumerate() {
        let keep = counter_hash(seed, i as u64) >> 32 >= thr;
        *m = u8::from(keep);
        *o = if keep { v * s } else { 0.0 };
    }
    Ok(())
}

/// `dx[i] = dout[i] * mask[i] / (1 - p)` with the mask and `p` of the forward pass (`dx` is
/// overwritten; dropped elements get exactly 0).
///
/// Errors (nothing written) unless `mask` and `dx` have as many elements as `dout`, `p` is in
/// `[0, 1]` and every mask byte is 0 or 1.
pub fn dropout_backward(dout: &[f32], mask: &[u8], p: f64, dx: &mut [f32]) -> CoreResult<()> {
    const OP: &str = "train::dropout_backward";
    check::exact(OP, "mask", mask.len(), dout.len())?;
    check::exact(OP, "dx", dx.len(), dout.len())?;
    check::scalar_in(OP, "p", p, 0.0, 1.0, false)?;
    if let Some((i, &m)) = mask.iter().enumerate().find(|(_, &m)| m > 1) {
        return Err(crate::error::CoreError::new(
            OP,
            "mask",
            "bytes 0 or 1",
            format_args!("{m} at index {i}"),
        ));
    }
    let s = keep_scale(p);
    for ((d, &m), &g) in dx.iter_mut().zip(mask).zip(dout) {
        *d = if m == 1 { g * s } else { 0.0 };
    }
    Ok(())
}
