//! The two pieces every forward is made of, shared by the sequence drivers and the streaming
//! step so that they compute the same bits: the input projection of a run of steps, and one
//! step of one direction (recurrent GEMM + fused element-wise pass).

use super::cells::{self, CellInfo, FwdRow, Recurrence};
use super::params::DirParams;
use super::rows::{for_row_tiles, RowsMut};
use super::weight_gemm::weight_gemm;
use crate::error::CoreResult;
use crate::gemm::{sgemm, PackedB, Transpose};
use crate::parallel::Parallel;

/// `dst[r, :] = W_ih x[r] + b_ih` for the `rows` time-major rows of `x` (`[rows, I]`): the
/// bias is written first and the GEMM accumulates onto it (beta = 1), which folds `b_ih` in
/// without another pass (zeros without biases). `dst` is `[rows, G*H]`.
///
/// Every caller projects time-major rows in one GEMM, so that for a given row count regime
/// the same GEMM path runs (see `stream` for the one exception).
pub(crate) fn project(
    pool: &dyn Parallel,
    x: &[f32],
    rows: usize,
    p: &DirParams<'_>,
    dst: &mut [f32],
) -> CoreResult<()> {
    let gh = p.gh;
    let input = p.w_ih.len() / gh;
    let dst = &mut dst[..rows * gh];
    if p.b_ih.is_empty() {
        dst.fill(0.0);
    } else {
        for row in dst.chunks_exact_mut(gh) {
            row.copy_from_slice(p.b_ih);
        }
    }
    // x [rows, I] . W_ih^T [I, G*H] -> dst [rows, G*H]
    sgemm(
        pool,
        Transpose::No,
        Transpose::Yes,
        rows,
        gh,
        input,
        1.0,
        x,
        input,
        p.w_ih,
        input,
        1.0,
        dst,
        gh,
    )
}

/// One step's buffers, `B` rows each, contiguous.
#[derive(Debug)]
pub(crate) struct StepBufs<'a> {
    /// `[B, G*H]` in: input projections; out: activations (zero on masked rows).
    pub gates: &'a mut [f32],
    /// `[B, G*H]` scratch for the recurrent products.
    pub rec: &'a mut [f32],
    /// `[B, extra*H]` the cell's kept vectors (zero on masked rows).
    pub extra: &'a mut [f32],
    /// `[B, P]` in: `h_{t-1}`; out: `h_t` (unchanged on masked rows). `P` = H without a
    /// projection.
    pub h: &'a mut [f32],
    /// With a projection (`p.w_hr` not empty): `[B, H]` out: `o_t * tanh(c_t)`, the state
    /// before `W_hr` (zero on masked rows; the tape keeps it for `dW_hr`). Empty without.
    pub hcell: &'a mut [f32],
    /// `[B, H]` likewise for `c`; empty without cell state.
    pub c: &'a mut [f32],
    /// Recurrent dropout (training): the mask `[B, P]` and a `[B, P]` scratch for
    /// `m * h_{t-1}`, which the recurrent matmul(s) read instead of `h_{t-1}`. The skip
    /// matmul reads its source `h_{t-d}` unmasked: the mask belongs to the `W_hh` path only.
    pub hmask: Option<(&'a [f32], &'a mut [f32])>,
    /// `[B, H]` the skip source `h_{t-d}` (see `skip`; plain RNNs only, so P = H); empty
    /// without a skip connection.
    pub skip: &'a [f32],
}

/// Advances one direction by one step for the rows where `valid(b)`; the other rows keep
/// their state (the padded steps of variable-length batches). The element-wise passes are
/// cut by batch rows (`rows`) when the step is large enough.
pub(crate) fn advance(
    pool: &dyn Parallel,
    cell: &CellInfo,
    hidden: usize,
    batch: usize,
    p: &DirParams<'_>,
    io: StepBufs<'_>,
    valid: &(dyn Fn(usize) -> bool + Sync),
    w_hh_packed: Option<&PackedB<'_>>,
    skip_packed: Option<&PackedB<'_>>,
) -> CoreResult<()> {
    let h = hidden;
    let gh = cell.gates * h;
    let eh = cell.extra * h;
    // The state's width: P with a projection (LSTM family only, `Recurrence::Full`), else H.
    let proj = p.w_hr.len() / h;
    let s = if proj > 0 { proj } else { h };
    let (gates, rec, extra, hs, cs) = (io.gates, io.rec, io.extra, io.h, io.c);
    let hcell = io.hcell;
    // What the recurrent matmuls read: h_{t-1}, or m * h_{t-1} with recurrent dropout.
    let hr: &[f32] = match io.hmask {
        Some((mask, scratch)) => {
            let scratch = &mut scratch[..batch * s];
            super::dropout::masked(&mask[..batch * s], &hs[..batch * s], scratch);
            scratch
        }
        None => hs,
    };
    let skip = io.skip;
    match cell.recurrence {
        // h_{t-1} [B, P] . W_hh^T [P, G*H] -> rec [B, G*H]; with W_hh^T packed once per
        // sequence by the driver when it is given (same bits).
        Recurrence::Full | Recurrence::ResetAfter => weight_gemm(
            pool,
            w_hh_packed,
            Transpose::Yes,
            batch,
            gh,
            s,
            hr,
            s,
            p.w_hh,
            s,
            0.0,
            rec,
            gh,
        )?,
        Recurrence::ResetBefore => {
            // h_{t-1} [B, H] . W_hh[0:2H]^T [H, 2H] -> rec[:, 0:2H] (r and z blocks).
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            sgemm(
                pool,
                Transpose::No,
                Transpose::Yes,
                batch,
                2 * h,
                h,
                1.0,
                hr,
                h,
                w_rz,
                h,
                0.0,
                rec,
                gh,
            )?;
            // r * h_{t-1} -> extra [B, H].
            let (g, r, hp) = (&*gates, &*rec, hr);
            let rh_rows = RowsMut::new(extra, eh);
            for_row_tiles(pool, batch, gh, &|rows| {
                // SAFETY: tiles own disjoint row ranges of `extra`, which outlives the pass.
                let rh = unsafe { rh_rows.rows(rows.clone()) };
                for (rh, b) in rh.chunks_exact_mut(eh).zip(rows) {
                    if valid(b) {
                        cells::reset_gate_row(
                            h,
                            &g[b * gh..],
                            &r[b * gh..],
                            p.b_hh,
                            &hp[b * h..],
                            rh,
                        );
                    } else {
                        rh.fill(0.0);
                    }
                }
            });
            // (r*h) [B, H] . W_hn^T [H, H] -> rec[:, 2H:3H].
            sgemm(
                pool,
                Transpose::No,
                Transpose::Yes,
                batch,
                h,
                h,
                1.0,
                extra,
                eh,
                w_n,
                h,
                0.0,
                &mut rec[2 * h..],
                gh,
            )?;
        }
    }
    if !p.w_skip.is_empty() {
        // The skip term: h_{t-d} [B, H] . W_skip^T [H, H] added to rec [B, H] (plain RNNs:
        // G = 1, so rec is the one block); W_skip^T packed once per sequence when given.
        weight_gemm(
            pool,
            skip_packed,
            Transpose::Yes,
            batch,
            h,
            h,
            skip,
            h,
            p.w_skip,
            h,
            1.0,
            rec,
            gh,
        )?;
    }
    let has_c = cell.has_c;
    let (g_rows, e_rows) = (RowsMut::new(gates, gh), RowsMut::new(extra, eh));
    // With a projection the cell writes `o * tanh(c)` into `hcell`, projected below.
    let cell_h: &mut [f32] = if proj > 0 { &mut *hcell } else { &mut *hs };
    let (h_rows, c_rows) = (
        RowsMut::new(cell_h, h),
        RowsMut::new(cs, if has_c { h } else { 0 }),
    );
    let rec_in = &*rec;
    for_row_tiles(pool, batch, gh, &|rows| {
        // SAFETY: tiles own disjoint row ranges of these buffers, which outlive the pass.
        let (g, e, hs, cs) = unsafe {
            let r = rows.clone();
            (
                g_rows.rows(r.clone()),
                e_rows.rows(r.clone()),
                h_rows.rows(r.clone()),
                c_rows.rows(r),
            )
        };
        for (k, b) in rows.enumerate() {
            let g = &mut g[k * gh..(k + 1) * gh];
            let e = &mut e[k * eh..(k + 1) * eh];
            if !valid(b) {
                g.fill(0.0);
                e.fill(0.0);
                if proj > 0 {
                    // No `o * tanh(c)` at a padded step: zero, so `dW_hr` gets nothing.
                    hs[k * h..(k + 1) * h].fill(0.0);
                }
                continue;
            }
            let c: &mut [f32] = if has_c {
                &mut cs[k * h..(k + 1) * h]
            } else {
                &mut []
            };
            let row = FwdRow {
                gates: g,
                rec: &rec_in[b * gh..(b + 1) * gh],
                b_hh: p.b_hh,
                peep: p.peep,
                h: &mut hs[k * h..(k + 1) * h],
                c,
                extra: e,
            };
            cells::forward_row(cell, h, row);
        }
    });
    if proj > 0 {
        // h_t [B, P] = hcell [B, H] . W_hr^T [H, P], into the free `rec`, then the valid rows.
        let out = &mut rec[..batch * proj];
        sgemm(
            pool,
            Transpose::No,
            Transpose::Yes,
            batch,
            proj,
            h,
            1.0,
            hcell,
            h,
            p.w_hr,
            h,
            0.0,
            out,
            proj,
        )?;
        for b in (0..batch).filter(|&b| valid(b)) {
            hs[b * proj..(b + 1) * proj].copy_from_slice(&out[b * proj..(b + 1) * proj]);
        }
    }
    Ok(())
}

/// Runs `f` with `W_hh^T` (`[H, G*H]` as used) packed once for all steps of a sequence when
/// that pays: the cell takes one recurrent GEMM (`Full`, `ResetAfter`) and the batch is
/// large enough for the packed GEMM path. `f` gets `None` otherwise.
pub(crate) fn with_packed_w_hh<R>(
    cell: &CellInfo,
    hidden: usize,
    batch: usize,
    p: &DirParams<'_>,
    f: impl FnOnce(Option<&PackedB<'_>>) -> R,
) -> CoreResult<R> {
    let one_gemm = matches!(cell.recurrence, Recurrence::Full | Recurrence::ResetAfter);
    if !one_gemm || batch <= crate::gemm::DIRECT_MAX_M {
        return Ok(f(None));
    }
    let gh = cell.gates * hidden;
    // W_hh is [G*H, P]: P = H without a projection.
    let s = p.w_hh.len() / gh;
    crate::gemm::with_packed_b(Transpose::Yes, gh, s, p.w_hh, s, |wp| f(Some(wp)))
}

/// Runs `f` with `W_skip^T` (`[H, H]`) packed once for all steps of a sequence when the stack
/// has a skip connection and the batch takes the packed GEMM path; `None` otherwise.
pub(crate) fn with_packed_skip<R>(
    hidden: usize,
    batch: usize,
    p: &DirParams<'_>,
    f: impl FnOnce(Option<&PackedB<'_>>) -> R,
) -> CoreResult<R> {
    if p.w_skip.is_empty() || batch <= crate::gemm::DIRECT_MAX_M {
        return Ok(f(None));
    }
    crate::gemm::with_packed_b(Transpose::Yes, hidden, hidden, p.w_skip, hidden, |wp| {
        f(Some(wp))
    })
}
