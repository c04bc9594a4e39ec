//! LSTM cells. Standard and peephole have blocks i, f, g, o (G = 4); CIFG (`f = 1 - i`) and
//! no-forget (`f = 1`) have i, g, o (G = 3). With `a_* = W_i* x_t + b_i* + W_h* h_{t-1} + b_h*`:
//! `i = sigma(a_i [+ p_i c_{t-1}])`, `f = sigma(a_f [+ p_f c_{t-1}])`, `g = tanh(a_g)`,
//! `c_t = f c_{t-1} + i g`, `o = sigma(a_o [+ p_o c_t])`, `h_t = o tanh(c_t)`.
//! The tape keeps the activations and `c_t`; `tanh(c_t)` is recomputed in backward (the same
//! operation on the same bits, so the same value).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{sigmoid, tanh};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    Standard,
    Peephole,
    Cifg,
    NoForget,
}

/// Block offsets (in units of H) of i, f, g, o; `f` is meaningless for the 3-gate variants.
fn layout(v: Variant) -> (usize, usize, usize, usize) {
    match v {
        Variant::Standard | Variant::Peephole => (0, 1, 2, 3),
        Variant::Cifg | Variant::NoForget => (0, usize::MAX, 1, 2),
    }
}

pub(super) fn forward(v: Variant, h: usize, row: FwdRow<'_>) {
    let (bi, bf, bg, bo) = layout(v);
    let pre = |blk: usize, j: usize, gates: &[f32]| {
        let k = blk * h + j;
        gates[k] + (row.rec[k] + row.b_hh[k])
    };
    let gates = row.gates;
    let (hs, cs, keep) = (&mut row.h[..h], &mut row.c[..h], &mut row.extra[..h]);
    let peep = row.peep;
    for j in 0..h {
        let cp = cs[j];
        let (i, f, g, c) = match v {
            Variant::Standard => {
                let (i, f) = (sigmoid(pre(bi, j, gates)), sigmoid(pre(bf, j, gates)));
                let g = tanh(pre(bg, j, gates));
                (i, f, g, f * cp + i * g)
            }
            Variant::Peephole => {
                let i = sigmoid(pre(bi, j, gates) + peep[j] * cp);
                let f = sigmoid(pre(bf, j, gates) + peep[h + j] * cp);
                let g = tanh(pre(bg, j, gates));
                (i, f, g, f * cp + i * g)
            }
            Variant::Cifg => {
                let (i, g) = (sigmoid(pre(bi, j, gates)), tanh(pre(bg, j, gates)));
                (i, 1.0 - i, g, (1.0 - i) * cp + i * g)
            }
            Variant::NoForget => {
                let (i, g) = (sigmoid(pre(bi, j, gates)), tanh(pre(bg, j, gates)));
                (i, 1.0, g, cp + i * g)
            }
        };
        let o = match v {
            // The output gate's peephole sees the new cell.
            Variant::Peephole => sigmoid(pre(bo, j, gates) + peep[2 * h + j] * c),
            _ => sigmoid(pre(bo, j, gates)),
        };
        gates[bi * h + j] = i;
        if bf != usize::MAX {
            gates[bf * h + j] = f;
        }
        gates[bg * h + j] = g;
        gates[bo * h + j] = o;
        keep[j] = c;
        cs[j] = c;
        hs[j] = o * tanh(c);
    }
}

pub(super) fn backward(v: Variant, h: usize, row: BwdRow<'_>) {
    let (bi, bf, bg, bo) = layout(v);
    let gates = row.gates;
    let (cs, cp, peep) = (&row.extra[..h], &row.c_prev[..h], row.peep);
    let (dy, dh, dc) = (&row.dy[..h], &mut row.dh[..h], &mut row.dc[..h]);
    for j in 0..h {
        let (i, g, o) = (gates[bi * h + j], gates[bg * h + j], gates[bo * h + j]);
        let d = dh[j] + dy[j];
        let tc = tanh(cs[j]);
        let dao = d * tc * o * (1.0 - o);
        let mut dct = dc[j] + d * o * (1.0 - tc * tc);
        if v == Variant::Peephole {
            dct += dao * peep[2 * h + j];
        }
        let dag = dct * i * (1.0 - g * g);
        let (dai, dcp) = match v {
            Variant::Standard | Variant::Peephole => {
                let f = gates[bf * h + j];
                let dai = dct * g * i * (1.0 - i);
                let daf = dct * cp[j] * f * (1.0 - f);
                gates[bf * h + j] = daf;
                let mut dcp = dct * f;
                if v == Variant::Peephole {
                    dcp += dai * peep[j] + daf * peep[h + j];
                }
                (dai, dcp)
            }
            // c = (1 - i) c_prev + i g: i reaches c through both terms.
            Variant::Cifg => (dct * (g - cp[j]) * i * (1.0 - i), dct * (1.0 - i)),
            Variant::NoForget => (dct * g * i * (1.0 - i), dct),
        };
        gates[bi * h + j] = dai;
        gates[bg * h + j] = dag;
        gates[bo * h + j] = dao;
        dc[j] = dcp;
        // h_{t-1} reaches h_t only through the gates, i.e. through W_hh: no direct part.
        dh[j] = 0.0;
    }
}
