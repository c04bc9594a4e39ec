//! The plain RNN cells (G = 1): `h_t = act(a)` or `h_t = h_{t-1} + tanh(a)` with
//! `a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`. The tape keeps `g = act(a)` per row, which is
//! all backward needs (`tanh' = 1 - g^2`, `relu' = [g > 0]`).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{each_lane, Lanes};

/// Which plain RNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Tanh,
    Relu,
    Residual,
}

pub(super) fn forward(act: Act, h: usize, mut row: FwdRow<'_>) {
    each_lane!(h, forward_at(act, &mut row));
}

#[inline(always)]
fn forward_at<L: Lanes>(act: Act, row: &mut FwdRow<'_>, j: usize) {
    let a = L::at(row.gates, j) + (L::at(row.rec, j) + L::at(row.b_hh, j));
    let g = match act {
        Act::Tanh | Act::Residual => a.tanh(),
        Act::Relu => a.relu(),
    };
    g.put(row.gates, j);
    match act {
        Act::Residual => (L::at(row.h, j) + g).put(row.h, j),
        _ => g.put(row.h, j),
    }
}

pub(super) fn backward(act: Act, h: usize, mut row: BwdRow<'_>) {
    each_lane!(h, backward_at(act, &mut row));
}

#[inline(always)]
fn backward_at<L: Lanes>(act: Act, row: &mut BwdRow<'_>, j: usize) {
    let g = L::at(row.gates, j);
    let d = L::at(row.dh, j) + L::at(row.dy, j);
    let one = L::splat(1.0);
    let (da, direct) = match act {
        Act::Tanh => (d * (one - g * g), L::splat(0.0)),
        Act::Relu => (d.where_positive(g), L::splat(0.0)),
        // The identity path of h_{t-1} + tanh(a) passes d straight through.
        Act::Residual => (d * (one - g * g), d),
    };
    da.put(row.gates, j);
    direct.put(row.dh, j);
}
