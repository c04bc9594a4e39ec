//! LSTM cells. Standard and peephole have blocks i, f, g, o (G = 4); CIFG (`f = 1 - i`) and
//! no-forget (`f = 1`) have i, g, o (G = 3). With `a_* = W_i* x_t + b_i* + W_h* h_{t-1} + b_h*`:
//! `i = sigma(a_i [+ p_i c_{t-1}])`, `f = sigma(a_f [+ p_f c_{t-1}])`, `g = tanh(a_g)`,
//! `c_t = f c_{t-1} + i g`, `o = sigma(a_o [+ p_o c_t])`, `h_t = o tanh(c_t)`.
//! The tape keeps the activations and `c_t`; `tanh(c_t)` is recomputed in backward (the same
//! operation on the same bits, so the same value).

use super::{BwdRow, FwdRow};
use crate::rnn::act::{each_lane, Lanes};

/// The arithmetic of an LSTM variant; which block holds which gate is its kind's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// PyTorch's LSTM.
    Standard,
    /// Diagonal peepholes `p_i, p_f` from `c_{t-1}`, `p_o` from `c_t`.
    Peephole,
    /// `f = 1 - i`, no forget block.
    Cifg,
    /// `f = 1`, no forget block.
    NoForget,
}

/// Blocks (in units of H) of i, f, g, o in the weights, from the row's gate order; `f` is
/// `None` for the variants without a forget block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LstmBlocks {
    pub i: usize,
    pub f: Option<usize>,
    pub g: usize,
    pub o: usize,
}

/// Offsets (in floats) of i, f, g, o for hidden size `h`; `f` is `usize::MAX` when absent.
#[inline(always)]
fn layout(b: &LstmBlocks, h: usize) -> (usize, usize, usize, usize) {
    (b.i * h, b.f.map_or(usize::MAX, |f| f * h), b.g * h, b.o * h)
}

pub(super) fn forward(v: Variant, b: &LstmBlocks, h: usize, mut row: FwdRow<'_>) {
    let offsets = layout(b, h);
    each_lane!(h, forward_at(v, offsets, h, &mut row));
}

/// Units `j..` (one or four of them) of [`forward`].
#[inline(always)]
fn forward_at<L: Lanes>(
    v: Variant,
    (bi, bf, bg, bo): (usize, usize, usize, usize),
    h: usize,
    row: &mut FwdRow<'_>,
    j: usize,
) {
    let (rec, b_hh, peep) = (row.rec, row.b_hh, row.peep);
    let gates = &mut *row.gates;
    let one = L::splat(1.0);
    let cp = L::at(row.c, j);
    let (i, f, g, c) = match v {
        Variant::Standard => {
            let (i, f) = (
                pre_activation::<L>(gates, rec, b_hh, bi + j).sigmoid(),
                pre_activation::<L>(gates, rec, b_hh, bf + j).sigmoid(),
            );
            let g = pre_activation::<L>(gates, rec, b_hh, bg + j).tanh();
            (i, f, g, f.mul_add(cp, i * g))
        }
        Variant::Peephole => {
            let i = (pre_activation::<L>(gates, rec, b_hh, bi + j) + L::at(peep, j) * cp).sigmoid();
            let f =
                (pre_activation::<L>(gates, rec, b_hh, bf + j) + L::at(peep, h + j) * cp).sigmoid();
            let g = pre_activation::<L>(gates, rec, b_hh, bg + j).tanh();
            (i, f, g, f.mul_add(cp, i * g))
        }
        Variant::Cifg => {
            let (i, g) = (
                pre_activation::<L>(gates, rec, b_hh, bi + j).sigmoid(),
                pre_activation::<L>(gates, rec, b_hh, bg + j).tanh(),
            );
            (i, one - i, g, (one - i).mul_add(cp, i * g))
        }
        Variant::NoForget => {
            let (i, g) = (
                pre_activation::<L>(gates, rec, b_hh, bi + j).sigmoid(),
                pre_activation::<L>(gates, rec, b_hh, bg + j).tanh(),
            );
            (i, one, g, i.mul_add(g, cp))
        }
    };
    let o = match v {
        // The output gate's peephole sees the new cell.
        Variant::Peephole => {
            (pre_activation::<L>(gates, rec, b_hh, bo + j) + L::at(peep, 2 * h + j) * c).sigmoid()
        }
        _ => pre_activation::<L>(gates, rec, b_hh, bo + j).sigmoid(),
    };
    i.put(gates, bi + j);
    if bf != usize::MAX {
        f.put(gates, bf + j);
    }
    g.put(gates, bg + j);
    o.put(gates, bo + j);
    c.put(row.extra, j);
    c.put(row.c, j);
    (o * c.tanh()).put(row.h, j);
}

/// `gates[k] + (rec[k] + b_hh[k])` for the units at `k`.
#[inline(always)]
fn pre_activation<L: Lanes>(gates: &[f32], rec: &[f32], b_hh: &[f32], k: usize) -> L {
    L::at(gates, k) + (L::at(rec, k) + L::bias(b_hh, k))
}

pub(super) fn backward(v: Variant, b: &LstmBlocks, h: usize, mut row: BwdRow<'_>) {
    let offsets = layout(b, h);
    each_lane!(h, backward_at(v, offsets, h, &mut row));
}

/// Units `j..` (one or four of them) of [`backward`].
#[inline(always)]
fn backward_at<L: Lanes>(
    v: Variant,
    (bi, bf, bg, bo): (usize, usize, usize, usize),
    h: usize,
    row: &mut BwdRow<'_>,
    j: usize,
) {
    let gates = &mut *row.gates;
    let one = L::splat(1.0);
    let (i, g, o) = (
        L::at(gates, bi + j),
        L::at(gates, bg + j),
        L::at(gates, bo + j),
    );
    let d = L::at(row.dh, j) + L::at(row.dy, j);
    let tc = L::at(row.extra, j).tanh();
    let dao = d * tc * o * (one - o);
    let mut dct = (d * o).mul_add(one - tc * tc, L::at(row.dc, j));
    if v == Variant::Peephole {
        dct = dct + dao * L::at(row.peep, 2 * h + j);
    }
    let dag = dct * i * (one - g * g);
    let cp = L::at(row.c_prev, j);
    let (dai, dcp) = match v {
        Variant::Standard | Variant::Peephole => {
            let f = L::at(gates, bf + j);
            let dai = dct * g * i * (one - i);
            let daf = dct * cp * f * (one - f);
            daf.put(gates, bf + j);
            let mut dcp = dct * f;
            if v == Variant::Peephole {
                dcp = dcp + (dai * L::at(row.peep, j) + daf * L::at(row.peep, h + j));
            }
            (dai, dcp)
        }
        // c = (1 - i) c_prev + i g: i reaches c through both terms.
        Variant::Cifg => (dct * (g - cp) * i * (one - i), dct * (one - i)),
        Variant::NoForget => (dct * g * i * (one - i), dct),
    };
    dai.put(gates, bi + j);
    dag.put(gates, bg + j);
    dao.put(gates, bo + j);
    dcp.put(row.dc, j);
    // h_{t-1} reaches h_t only through the gates, i.e. through W_hh: no direct part.
    L::splat(0.0).put(row.dh, j);
}
