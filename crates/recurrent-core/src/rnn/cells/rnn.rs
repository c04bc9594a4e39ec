//! The plain RNN cells (G = 1): `h_t = act(a)`, `h_t = h_{t-1} + tanh(a)`, or the leaky unit
//! `h_t = s * h_{t-1} + (1 - s) * tanh(a)`, with `a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`.
//! The tape keeps `g = act(a)` per row, which is all backward needs (`tanh' = 1 - g^2`,
//! `relu' = [g > 0]`). The leaky units read their per-unit leak from `peep`: the rate `s`
//! itself (`LeakyFixed`) or its logit, `s = sigma(leak)` (`Leaky`); backward leaves the
//! learned leak's per-row gradient `d * (h_{t-1} - g) * s * (1 - s)` in `extra`, whose column
//! sums are `dleak` (`grads.rs`), and zeros there for the fixed one (a constant).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{each_lane, Lanes};

/// Which plain RNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Tanh,
    Relu,
    Residual,
    /// Leaky integration with a learned per-unit rate `s = sigma(leak)`.
    Leaky,
    /// Leaky integration with a fixed per-unit rate `s` (a constant, no gradient).
    LeakyFixed,
}

/// The leak rate `s` of units `j..j+L` (`peep` holds the logit or the rate).
#[inline(always)]
fn leak_rate<L: Lanes>(act: Act, peep: &[f32], j: usize) -> L {
    match act {
        Act::Leaky => L::at(peep, j).sigmoid(),
        _ => L::at(peep, j),
    }
}

pub(super) fn forward(act: Act, h: usize, mut row: FwdRow<'_>) {
    each_lane!(h, forward_at(act, &mut row));
}

#[inline(always)]
fn forward_at<L: Lanes>(act: Act, row: &mut FwdRow<'_>, j: usize) {
    let a = L::at(row.gates, j) + (L::at(row.rec, j) + L::bias(row.b_hh, j));
    let g = match act {
        Act::Tanh | Act::Residual | Act::Leaky | Act::LeakyFixed => a.tanh(),
        Act::Relu => a.relu(),
    };
    g.put(row.gates, j);
    match act {
        Act::Residual => (L::at(row.h, j) + g).put(row.h, j),
        Act::Leaky | Act::LeakyFixed => {
            let s = leak_rate::<L>(act, row.peep, j);
            let hp = L::at(row.h, j);
            (s * hp + (L::splat(1.0) - s) * g).put(row.h, j);
            // Backward writes the leak's gradient here; nothing to keep.
            L::splat(0.0).put(row.extra, j);
        }
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
        Act::Leaky | Act::LeakyFixed => {
            let s = leak_rate::<L>(act, row.peep, j);
            let dleak = match act {
                Act::Leaky => d * (L::at(row.h_prev, j) - g) * s * (one - s),
                _ => L::splat(0.0),
            };
            dleak.put(row.extra, j);
            (d * (one - s) * (one - g * g), d * s)
        }
    };
    da.put(row.gates, j);
    direct.put(row.dh, j);
}
