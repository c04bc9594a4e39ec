//! GRU cells (G = 3, blocks r, z, n):
//! `r = sigma(a_r)`, `z = sigma(a_z)`, `h_t = (1 - z) * n + z * h_{t-1}` with
//! reset-after `n = tanh(x_n + r * (W_hn h + b_hn))` (PyTorch, cuDNN) or
//! reset-before `n = tanh(x_n + W_hn (r * h) + b_hn)` (the textbook form), where
//! `x_* = W_i* x_t + b_i*` is the input projection and `a_* = x_* + W_h* h_{t-1} + b_h*`.
//! The tape keeps `r, z, n` and one `[H]` vector: `W_hn h + b_hn` (after) or `r * h` (before).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{sigmoid, tanh};

/// Splits a `[3H]` row into its r, z, n blocks.
fn blocks(v: &mut [f32], h: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
    let (r, rest) = v[..3 * h].split_at_mut(h);
    let (z, n) = rest.split_at_mut(h);
    (r, z, n)
}

pub(super) fn forward_after(h: usize, row: FwdRow<'_>) {
    let (gr, gz, gn) = blocks(row.gates, h);
    let (rr, rz, rn) = (&row.rec[..h], &row.rec[h..2 * h], &row.rec[2 * h..3 * h]);
    let (br, bz, bn) = (&row.b_hh[..h], &row.b_hh[h..2 * h], &row.b_hh[2 * h..3 * h]);
    let hn_keep = &mut row.extra[..h];
    let state = &mut row.h[..h];
    for j in 0..h {
        let r = sigmoid(gr[j] + (rr[j] + br[j]));
        let z = sigmoid(gz[j] + (rz[j] + bz[j]));
        let hn = rn[j] + bn[j];
        let n = tanh(gn[j] + r * hn);
        state[j] = (1.0 - z) * n + z * state[j];
        gr[j] = r;
        gz[j] = z;
        gn[j] = n;
        hn_keep[j] = hn;
    }
}

pub(super) fn backward_after(h: usize, row: BwdRow<'_>) {
    let (gr, gz, gn) = blocks(row.gates, h);
    let hn = &mut row.extra[..h];
    let hp = &row.h_prev[..h];
    let dy = &row.dy[..h];
    let dh = &mut row.dh[..h];
    for j in 0..h {
        let (r, z, n) = (gr[j], gz[j], gn[j]);
        let d = dh[j] + dy[j];
        let dn = d * (1.0 - z) * (1.0 - n * n);
        let dz = d * (hp[j] - n) * z * (1.0 - z);
        let dr = dn * hn[j] * r * (1.0 - r);
        gr[j] = dr;
        gz[j] = dz;
        gn[j] = dn;
        // The recurrent side of the n-block sees dn through r: d(W_hn h + b_hn) = dn * r.
        hn[j] = dn * r;
        dh[j] = d * z;
    }
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
    let (gr, rr, br, hp, rh) = (
        &gates[..h],
        &rec[..h],
        &b_hh[..h],
        &h_prev[..h],
        &mut rh[..h],
    );
    for j in 0..h {
        rh[j] = sigmoid(gr[j] + (rr[j] + br[j])) * hp[j];
    }
}

/// Reset-before, second part of forward: `rec`'s n-block is now `W_hn (r * h)`; `r` is
/// recomputed exactly as in [`reset_gate_row`] (same operations, same bits).
pub(super) fn forward_before(h: usize, row: FwdRow<'_>) {
    let (gr, gz, gn) = blocks(row.gates, h);
    let (rr, rz, rn) = (&row.rec[..h], &row.rec[h..2 * h], &row.rec[2 * h..3 * h]);
    let (br, bz, bn) = (&row.b_hh[..h], &row.b_hh[h..2 * h], &row.b_hh[2 * h..3 * h]);
    let state = &mut row.h[..h];
    for j in 0..h {
        let r = sigmoid(gr[j] + (rr[j] + br[j]));
        let z = sigmoid(gz[j] + (rz[j] + bz[j]));
        let n = tanh(gn[j] + (rn[j] + bn[j]));
        state[j] = (1.0 - z) * n + z * state[j];
        gr[j] = r;
        gz[j] = z;
        gn[j] = n;
    }
}

/// Reset-before, first part of backward: gradients of the z and n pre-activations, and the
/// direct part `dh * z` of `dh_{t-1}`. The r block keeps `r` for
/// [`reset_before_backward_row`], which needs `d(r*h) = dn W_hn` first.
pub(super) fn backward_before(h: usize, row: BwdRow<'_>) {
    let (_, gz, gn) = blocks(row.gates, h);
    let hp = &row.h_prev[..h];
    let dy = &row.dy[..h];
    let dh = &mut row.dh[..h];
    for j in 0..h {
        let (z, n) = (gz[j], gn[j]);
        let d = dh[j] + dy[j];
        gn[j] = d * (1.0 - z) * (1.0 - n * n);
        gz[j] = d * (hp[j] - n) * z * (1.0 - z);
        dh[j] = d * z;
    }
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
    let (gr, hp, drh, dh) = (&mut gates[..h], &h_prev[..h], &drh[..h], &mut dh[..h]);
    for j in 0..h {
        let r = gr[j];
        gr[j] = drh[j] * hp[j] * r * (1.0 - r);
        dh[j] += drh[j] * r;
    }
}
