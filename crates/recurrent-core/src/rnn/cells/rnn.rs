//! The plain RNN cells (G = 1): `h_t = act(a)` or `h_t = h_{t-1} + tanh(a)` with
//! `a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`. The tape keeps `g = act(a)` per row, which is
//! all backward needs (`tanh' = 1 - g^2`, `relu' = [g > 0]`).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{relu, tanh};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Act {
    Tanh,
    Relu,
    Residual,
}

pub(super) fn forward(act: Act, h: usize, row: FwdRow<'_>) {
    let g = &mut row.gates[..h];
    let rec = &row.rec[..h];
    let b = &row.b_hh[..h];
    let state = &mut row.h[..h];
    match act {
        Act::Tanh => {
            for j in 0..h {
                g[j] = tanh(g[j] + (rec[j] + b[j]));
                state[j] = g[j];
            }
        }
        Act::Relu => {
            for j in 0..h {
                g[j] = relu(g[j] + (rec[j] + b[j]));
                state[j] = g[j];
            }
        }
        Act::Residual => {
            for j in 0..h {
                g[j] = tanh(g[j] + (rec[j] + b[j]));
                state[j] += g[j];
            }
        }
    }
}

pub(super) fn backward(act: Act, h: usize, row: BwdRow<'_>) {
    let g = &mut row.gates[..h];
    let dy = &row.dy[..h];
    let dh = &mut row.dh[..h];
    for j in 0..h {
        let d = dh[j] + dy[j];
        let (da, direct) = match act {
            Act::Tanh => (d * (1.0 - g[j] * g[j]), 0.0),
            Act::Relu => (if g[j] > 0.0 { d } else { 0.0 }, 0.0),
            // The identity path of h_{t-1} + tanh(a) passes d straight through.
            Act::Residual => (d * (1.0 - g[j] * g[j]), d),
        };
        g[j] = da;
        dh[j] = direct;
    }
}
