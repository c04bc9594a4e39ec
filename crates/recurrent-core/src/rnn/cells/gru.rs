//! GRU cells (G = 3, blocks r, z, n):
//! `r = sigma(a_r)`, `z = sigma(a_z)`, `h_t = (1 - z) * n + z * h_{t-1}` with
//! reset-after `n = tanh(x_n + r * (W_hn h + b_hn))` (PyTorch, cuDNN) or
//! reset-before `n = tanh(x_n + W_hn (r * h) + b_hn)` (the textbook form), where
//! `x_* = W_i* x_t + b_i*` is the input projection and `a_* = x_* + W_h* h_{t-1} + b_h*`.
//! The tape keeps `r, z, n` and one `[H]` vector: `W_hn h + b_hn` (after) or `r * h` (before).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{each_lane, Lanes};

pub(super) fn forward_after(h: usize, mut row: FwdRow<'_>) {
    each_lane!(h, forward_after_at(h, &mut row));
}

#[inline(always)]
fn forward_after_at<L: Lanes>(h: usize, row: &mut FwdRow<'_>, j: usize) {
    let (g, rec, b) = (&mut *row.gates, row.rec, row.b_hh);
    let one = L::splat(1.0);
    let r = (L::at(g, j) + (L::at(rec, j) + L::bias(b, j))).sigmoid();
    let z = (L::at(g, h + j) + (L::at(rec, h + j) + L::bias(b, h + j))).sigmoid();
    let hn = L::at(rec, 2 * h + j) + L::bias(b, 2 * h + j);
    let n = r.mul_add(hn, L::at(g, 2 * h + j)).tanh();
    (one - z).mul_add(n, z * L::at(row.h, j)).put(row.h, j);
    r.put(g, j);
    z.put(g, h + j);
    n.put(g, 2 * h + j);
    hn.put(row.extra, j);
}

pub(super) fn backward_after(h: usize, mut row: BwdRow<'_>) {
    each_lane!(h, backward_after_at(h, &mut row));
}

#[inline(always)]
fn backward_after_at<L: Lanes>(h: usize, row: &mut BwdRow<'_>, j: usize) {
    let g = &mut *row.gates;
    let one = L::splat(1.0);
    let (r, z, n) = (L::at(g, j), L::at(g, h + j), L::at(g, 2 * h + j));
    let d = L::at(row.dh, j) + L::at(row.dy, j);
    let dn = d * (one - z) * (one - n * n);
    let dz = d * (L::at(row.h_prev, j) - n) * z * (one - z);
    let dr = dn * L::at(row.extra, j) * r * (one - r);
    dr.put(g, j);
    dz.put(g, h + j);
    dn.put(g, 2 * h + j);
    // The recurrent side of the n-block sees dn through r: d(W_hn h + b_hn) = dn * r.
    (dn * r).put(row.extra, j);
    (d * z).put(row.dh, j);
}

/// Reset-before, first part of forward: `rh = sigma(a_r) * h_{t-1}`, from the r-block of the
/// input projection `gates`, of the recurrent product `rec` and of `b_hh`.
pub(crate) fn reset_gate_row(
    h: usize,
    gates: &[f32],
    rec: &[f32],
    b_hh: &[f32],
    h_prev: &[f32],
    rh: &mut [f32],
) {
    each_lane!(h, reset_gate_at(gates, rec, b_hh, h_prev, &mut *rh));
}

#[inline(always)]
fn reset_gate_at<L: Lanes>(
    gates: &[f32],
    rec: &[f32],
    b_hh: &[f32],
    h_prev: &[f32],
    rh: &mut [f32],
    j: usize,
) {
    let r = (L::at(gates, j) + (L::at(rec, j) + L::bias(b_hh, j))).sigmoid();
    (r * L::at(h_prev, j)).put(rh, j);
}

/// Reset-before, second part of forward: `rec`'s n-block is now `W_hn (r * h)`; `r` is
/// recomputed exactly as in [`reset_gate_row`] (same operations, same bits).
pub(super) fn forward_before(h: usize, mut row: FwdRow<'_>) {
    each_lane!(h, forward_before_at(h, &mut row));
}

#[inline(always)]
fn forward_before_at<L: Lanes>(h: usize, row: &mut FwdRow<'_>, j: usize) {
    let (g, rec, b) = (&mut *row.gates, row.rec, row.b_hh);
    let one = L::splat(1.0);
    let r = (L::at(g, j) + (L::at(rec, j) + L::bias(b, j))).sigmoid();
    let z = (L::at(g, h + j) + (L::at(rec, h + j) + L::bias(b, h + j))).sigmoid();
    let n = (L::at(g, 2 * h + j) + (L::at(rec, 2 * h + j) + L::bias(b, 2 * h + j))).tanh();
    (one - z).mul_add(n, z * L::at(row.h, j)).put(row.h, j);
    r.put(g, j);
    z.put(g, h + j);
    n.put(g, 2 * h + j);
}

/// Reset-before, first part of backward: gradients of the z and n pre-activations, and the
/// direct part `dh * z` of `dh_{t-1}`. The r block keeps `r` for
/// [`reset_before_backward_row`], which needs `d(r*h) = dn W_hn` first.
pub(super) fn backward_before(h: usize, mut row: BwdRow<'_>) {
    each_lane!(h, backward_before_at(h, &mut row));
}

#[inline(always)]
fn backward_before_at<L: Lanes>(h: usize, row: &mut BwdRow<'_>, j: usize) {
    let g = &mut *row.gates;
    let one = L::splat(1.0);
    let (z, n) = (L::at(g, h + j), L::at(g, 2 * h + j));
    let d = L::at(row.dh, j) + L::at(row.dy, j);
    (d * (one - z) * (one - n * n)).put(g, 2 * h + j);
    (d * (L::at(row.h_prev, j) - n) * z * (one - z)).put(g, h + j);
    (d * z).put(row.dh, j);
}

/// Reset-before, second part of backward, given `drh = d(r * h_{t-1})` `[H]`: replaces the r
/// block's `r` with the gradient of its pre-activation and adds `drh * r` to `dh`.
pub(crate) fn reset_before_backward_row(
    h: usize,
    gates: &mut [f32],
    h_prev: &[f32],
    drh: &[f32],
    dh: &mut [f32],
) {
    each_lane!(
        h,
        reset_before_backward_at(&mut *gates, h_prev, drh, &mut *dh)
    );
}

#[inline(always)]
fn reset_before_backward_at<L: Lanes>(
    gates: &mut [f32],
    h_prev: &[f32],
    drh: &[f32],
    dh: &mut [f32],
    j: usize,
) {
    let r = L::at(gates, j);
    let d = L::at(drh, j);
    (d * L::at(h_prev, j) * r * (L::splat(1.0) - r)).put(gates, j);
    (L::at(dh, j) + d * r).put(dh, j);
}
