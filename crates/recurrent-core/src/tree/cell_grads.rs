//! The fused backward gate passes of the Tree-LSTMs: from each node's dL/dh and dL/dc to its
//! pre-activation gradients, and its kids' dL/dc.

use super::forest::Forest;
use super::parts::Tape;

/// One unit of a Tree-LSTM node, shared by both kinds (`h = o * tanh(c)`, `c = i * g + ...`):
/// from the gate values `(i, g, o)`, the cell value `c`, `dL/dh` and the `dL/dc` gathered so far
/// (from the parent), the complete `dL/dc` and the gradients of the i, g and o pre-activations.
#[inline(always)]
fn unit_grads((i, gg, o): (f32, f32, f32), c: f32, dh: f32, dc: f32) -> (f32, f32, f32, f32) {
    let tc = crate::math::tanh(c);
    let dcs = dc + dh * o * (1.0 - tc * tc);
    (
        dcs,
        dcs * gg * i * (1.0 - i),
        dcs * i * (1.0 - gg * gg),
        dh * tc * o * (1.0 - o),
    )
}

/// The fused backward gate pass of child-sum nodes: `dpre [m, 4H]` for the recurrent GEMMs
/// (f block zero: the forget gates see the kids, not h~), `dfk [kids, H]`, and `dxw` rows
/// (f block: the sum over the kids' forget gates); adds to the kids' dL/dc.
#[allow(clippy::too_many_arguments)]
pub fn child_sum_cells(
    f: &Forest,
    (s0, s1): (usize, usize),
    h: usize,
    t: &Tape<'_>,
    dh: &[f32],
    dc: &mut [f32],
    dpre: &mut [f32],
    dfk: &mut [f32],
    dxw: &mut [f32],
) {
    let k0 = f.kid_start[s0] as usize;
    for (s, d) in (s0..s1).zip(dpre.chunks_exact_mut(4 * h)) {
        let gs = &t.gates[s * 3 * h..(s + 1) * 3 * h];
        let dx = &mut dxw[s * 4 * h..(s + 1) * 4 * h];
        for u in 0..h {
            let (i, gg, o) = (gs[u], gs[h + u], gs[2 * h + u]);
            let (dcs, di, dg, dout) =
                unit_grads((i, gg, o), t.c[s * h + u], dh[s * h + u], dc[s * h + u]);
            dc[s * h + u] = dcs;
            d[u] = di;
            d[h + u] = 0.0;
            d[2 * h + u] = dg;
            d[3 * h + u] = dout;
            dx[u] = d[u];
            dx[2 * h + u] = d[2 * h + u];
            dx[3 * h + u] = d[3 * h + u];
        }
        for e in f.kid_start[s] as usize..f.kid_start[s + 1] as usize {
            let k = f.kids[e] as usize;
            for u in 0..h {
                let fg = t.fk[k * h + u];
                let dcs = dc[s * h + u];
                let af = dcs * t.c[k * h + u] * fg * (1.0 - fg);
                dfk[(e - k0) * h + u] = af;
                dx[h + u] += af;
                dc[k * h + u] += dcs * fg;
            }
        }
    }
}

/// The fused backward gate pass of N-ary nodes: `dpre [m, 5H]` (i, f0, f1, g, o), `dxw` rows
/// (f block: f0 + f1); adds to the kids' dL/dc.
#[allow(clippy::too_many_arguments)]
pub fn nary_cells(
    f: &Forest,
    (s0, s1): (usize, usize),
    h: usize,
    t: &Tape<'_>,
    dh: &[f32],
    dc: &mut [f32],
    dpre: &mut [f32],
    dxw: &mut [f32],
) {
    for (s, d) in (s0..s1).zip(dpre.chunks_exact_mut(5 * h)) {
        let gs = &t.gates[s * 5 * h..(s + 1) * 5 * h];
        let kids = f.kids_of(s);
        let dx = &mut dxw[s * 4 * h..(s + 1) * 4 * h];
        for u in 0..h {
            let (i, gg, o) = (gs[u], gs[3 * h + u], gs[4 * h + u]);
            let (dcs, di, dg, dout) =
                unit_grads((i, gg, o), t.c[s * h + u], dh[s * h + u], dc[s * h + u]);
            d[u] = di;
            d[3 * h + u] = dg;
            d[4 * h + u] = dout;
            d[h + u] = 0.0;
            d[2 * h + u] = 0.0;
            for (l, &k) in kids.iter().enumerate() {
                let k = k as usize;
                let fl = gs[(1 + l) * h + u];
                d[(1 + l) * h + u] = dcs * t.c[k * h + u] * fl * (1.0 - fl);
                dc[k * h + u] += dcs * fl;
            }
            dx[u] = d[u];
            dx[h + u] = d[h + u] + d[2 * h + u];
            dx[2 * h + u] = d[3 * h + u];
            dx[3 * h + u] = d[4 * h + u];
        }
    }
}
