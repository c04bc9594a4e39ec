//! The element-wise bodies of the cells: one step forward and one step backward for one batch
//! row, dispatched on [`CellKind`]. The drivers own everything else (GEMMs, masks, the tape).
//!
//! What the drivers must do around a cell ([`CellInfo`]) is read off its row of the kind table
//! (`kind.rs`): its gate count, whether it has a cell state, how many `[H]` vectors per row it
//! keeps for backward (`extra`), how its recurrent GEMM is shaped ([`Recurrence`]), and which
//! body computes it.

mod gru;
mod lstm;
mod rnn;

use super::kind::{Body, CellKind};

pub(crate) use lstm::{LstmBlocks, Variant as LstmVariant};
pub(crate) use rnn::Act as RnnAct;

/// How the recurrent product `W_hh h_{t-1}` enters a cell, which decides the drivers' GEMMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recurrence {
    /// One GEMM `h_{t-1} W_hh^T` for all gate blocks, and `dh_{t-1} += dG W_hh` back.
    Full,
    /// GRU with the reset after the matmul: one GEMM forward, but the n-block's recurrent part
    /// `W_hn h + b_hn` is kept in `extra`, and in backward its gradient (`dn * r`) differs from
    /// the input side's, so backward replaces `extra` with it and the drivers use it for the
    /// n-rows of `W_hh` and `b_hh`.
    ResetAfter,
    /// GRU with the reset before the matmul: the n-block multiplies `r * h_{t-1}`, which needs
    /// `r` first. Forward: GEMM for the r,z blocks, [`reset_gate_row`] writes `r * h` into
    /// `extra`, a second GEMM `(r*h) W_hn^T` fills the n-block, then [`forward_row`].
    /// Backward: [`backward_row`] leaves the r block, a GEMM gives `d(r*h) = dn W_hn`, then
    /// [`reset_before_backward_row`] finishes `dr` and `dh_{t-1}`.
    ResetBefore,
}

/// What the drivers need to know about a cell, read off its row of the kind table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellInfo {
    /// Gate blocks G.
    pub gates: usize,
    /// Whether there is a cell state `c`.
    pub has_c: bool,
    /// `[H]` vectors per row kept for backward beside the activations (0 or 1).
    pub extra: usize,
    /// Shape of the recurrent GEMM.
    pub recurrence: Recurrence,
    /// Whether `peep` holds `p_i, p_f, p_o` (their gradients are column sums in `grads`).
    pub peephole: bool,
    /// Whether `peep` holds a learned leak logit whose per-row gradient backward leaves in
    /// `extra` (its gradient is the column sums, in `grads`).
    pub leak_grad: bool,
    /// Whether backward writes a gradient into `extra` (reset-after GRU, leaky units): padded
    /// rows must then zero it.
    pub extra_is_grad: bool,
    /// The body that computes the cell.
    body: Body,
    /// LSTM bodies: the blocks of i, f, g, o in the row's gate order (`f` absent in the
    /// 3-gate variants).
    blocks: LstmBlocks,
}

pub(crate) fn info(kind: CellKind) -> CellInfo {
    let row = kind.row();
    let recurrence = match row.body {
        Body::GruResetAfter => Recurrence::ResetAfter,
        Body::GruResetBefore => Recurrence::ResetBefore,
        Body::Rnn(_) | Body::Lstm(_) => Recurrence::Full,
    };
    // GRU: `W_hn h + b_hn` (after) or `r * h` (before); LSTM family: `c_t`; leaky units: the
    // leak's per-row gradient (written by backward).
    let leaky = matches!(row.body, Body::Rnn(RnnAct::Leaky | RnnAct::LeakyFixed));
    let extra = usize::from(!matches!(row.body, Body::Rnn(_)) || leaky);
    // A missing i, g or o is a malformed row (the table's own test checks every LSTM row);
    // block 0 keeps the indexing in range all the same.
    let block = |g: &str| kind.gate_block(g);
    CellInfo {
        gates: kind.gates(),
        has_c: row.cell_state,
        extra,
        recurrence,
        peephole: row.body == Body::Lstm(LstmVariant::Peephole),
        leak_grad: row.body == Body::Rnn(RnnAct::Leaky),
        extra_is_grad: leaky || recurrence == Recurrence::ResetAfter,
        body: row.body,
        blocks: LstmBlocks {
            i: block("i").unwrap_or(0),
            f: block("f"),
            g: block("g").unwrap_or(0),
            o: block("o").unwrap_or(0),
        },
    }
}

impl CellInfo {
    /// LSTM bodies: the blocks of i, f, g, o.
    pub fn lstm_blocks(&self) -> &LstmBlocks {
        &self.blocks
    }
}

/// One row of a forward step. Every slice is exactly as long as stated.
#[derive(Debug)]
pub(crate) struct FwdRow<'a> {
    /// `[G*H]` in: input projection `W_ih x_t + b_ih`; out: gate activations.
    pub gates: &'a mut [f32],
    /// `[G*H]` recurrent product without bias: `W_hh h_{t-1}` (reset-before: n-block
    /// `W_hn (r * h_{t-1})`).
    pub rec: &'a [f32],
    /// `[G*H]`.
    pub b_hh: &'a [f32],
    /// `[3H]` peepholes `p_i, p_f, p_o`, or empty.
    pub peep: &'a [f32],
    /// `[H]` in: `h_{t-1}`; out: `h_t`.
    pub h: &'a mut [f32],
    /// `[H]` in: `c_{t-1}`; out: `c_t`; empty without cell state.
    pub c: &'a mut [f32],
    /// `[extra*H]` what backward needs besides the activations (reset-before: already holds
    /// `r * h_{t-1}` from [`reset_gate_row`]).
    pub extra: &'a mut [f32],
}

/// One row of a backward step.
#[derive(Debug)]
pub(crate) struct BwdRow<'a> {
    /// `[G*H]` in: the activations of the forward step; out: the gradients of the gate
    /// pre-activations on the input side (`d(W_ih x + b_ih)`).
    pub gates: &'a mut [f32],
    /// `[extra*H]` in: what forward kept; out (reset-after only): `d(W_hn h + b_hn)`.
    pub extra: &'a mut [f32],
    /// `[3H]` peepholes or empty.
    pub peep: &'a [f32],
    /// `[H]` `h_{t-1}`.
    pub h_prev: &'a [f32],
    /// `[H]` `c_{t-1}`, empty without cell state.
    pub c_prev: &'a [f32],
    /// `[H]` gradient reaching `h_t` through this step's output.
    pub dy: &'a [f32],
    /// `[H]` in: gradient reaching `h_t` from step t+1 (or `h_n`); out: the part of the
    /// gradient of `h_{t-1}` that does not go through `W_hh` (the drivers add `dG W_hh`).
    pub dh: &'a mut [f32],
    /// `[H]` in: gradient of `c_t`; out: gradient of `c_{t-1}`; empty without cell state.
    pub dc: &'a mut [f32],
}

/// The fused element-wise forward of one row.
#[inline]
pub(crate) fn forward_row(cell: &CellInfo, h: usize, row: FwdRow<'_>) {
    match cell.body {
        Body::Rnn(act) => rnn::forward(act, h, row),
        Body::GruResetAfter => gru::forward_after(h, row),
        Body::GruResetBefore => gru::forward_before(h, row),
        Body::Lstm(v) => lstm::forward(v, &cell.blocks, h, row),
    }
}

/// The fused element-wise backward of one row (for reset-before, its first part).
#[inline]
pub(crate) fn backward_row(cell: &CellInfo, h: usize, row: BwdRow<'_>) {
    match cell.body {
        Body::Rnn(act) => rnn::backward(act, h, row),
        Body::GruResetAfter => gru::backward_after(h, row),
        Body::GruResetBefore => gru::backward_before(h, row),
        Body::Lstm(v) => lstm::backward(v, &cell.blocks, h, row),
    }
}

pub(crate) use gru::{reset_before_backward_row, reset_gate_row};

#[cfg(test)]
mod tests {
    //! The SIMD bodies (four units at a time, `sigmoid4`/`tanh4`) against a scalar-only run
    //! of the same cells: every output must have the same bits, for every cell kind, with
    //! H a multiple of 4 and not (so the `f32` tail runs too), on values that include the
    //! activations' saturated tails and relu's sign changes.
    use super::*;
    use crate::rnn::act::SCALAR_ONLY;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            // Mostly in [-3, 3], sometimes far out in the tails.
            let u = (z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
            if z & 15 == 0 {
                u * 40.0
            } else {
                u * 3.0
            }
        }
        fn vec(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.next()).collect()
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Forward then backward of one row for `kind`, as the drivers call them; returns every
    /// buffer either wrote.
    fn run_row(kind: CellKind, h: usize, seed: u64, scalar: bool) -> Vec<Vec<u32>> {
        SCALAR_ONLY.with(|s| s.set(scalar));
        let info = info(kind);
        let gh = info.gates * h;
        let mut rng = Rng(seed);
        let mut gates = rng.vec(gh);
        let rec = rng.vec(gh);
        let b_hh = rng.vec(gh);
        let peep = if info.peephole || kind.peepholes() > 0 {
            rng.vec(kind.peepholes() * h)
        } else {
            vec![]
        };
        let h_prev = rng.vec(h);
        let c_prev = if info.has_c { rng.vec(h) } else { vec![] };
        let mut hs = h_prev.clone();
        let mut cs = c_prev.clone();
        let mut extra = vec![0.0; info.extra * h];
        if info.recurrence == Recurrence::ResetBefore {
            reset_gate_row(h, &gates, &rec, &b_hh, &h_prev, &mut extra);
        }
        let fwd_extra = extra.clone();
        forward_row(
            &info,
            h,
            FwdRow {
                gates: &mut gates,
                rec: &rec,
                b_hh: &b_hh,
                peep: &peep,
                h: &mut hs,
                c: &mut cs,
                extra: &mut extra,
            },
        );
        let acts = gates.clone();
        let dy = rng.vec(h);
        let mut dh = rng.vec(h);
        let mut dc = if info.has_c { rng.vec(h) } else { vec![] };
        backward_row(
            &info,
            h,
            BwdRow {
                gates: &mut gates,
                extra: &mut extra,
                peep: &peep,
                h_prev: &h_prev,
                c_prev: &c_prev,
                dy: &dy,
                dh: &mut dh,
                dc: &mut dc,
            },
        );
        if info.recurrence == Recurrence::ResetBefore {
            let drh = rng.vec(h);
            reset_before_backward_row(h, &mut gates, &h_prev, &drh, &mut dh);
        }
        SCALAR_ONLY.with(|s| s.set(false));
        [fwd_extra, acts, hs, cs, gates, extra, dh, dc]
            .iter()
            .map(|v| bits(v))
            .collect()
    }

    #[test]
    fn simd_bodies_match_scalar_bit_for_bit() {
        for kind in CellKind::ALL {
            for (h, seed) in [(1, 1), (3, 2), (4, 3), (7, 4), (16, 5), (37, 6), (256, 7)] {
                let simd = run_row(kind, h, seed, false);
                let scalar = run_row(kind, h, seed, true);
                for (k, (a, b)) in simd.iter().zip(&scalar).enumerate() {
                    assert_eq!(a, b, "{kind:?} h={h}: buffer {k} differs");
                }
            }
        }
    }
}
