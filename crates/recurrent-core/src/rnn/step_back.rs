//! Backward through the steps of one direction: the fused element-wise backward of each step,
//! then the recurrent GEMM(s) into the carried `dh` (see `backward` for the whole driver).

use std::ops::Range;

use super::cells::{self, BwdRow, Recurrence};
use super::diagnostics::carried_norm;
use super::direction::Ctx;
use super::params::DirParams;
use super::rows::{for_row_tiles, RowsMut};
use super::seq::{step_at, SeqRef};
use super::skip;
use super::tape::DirTape;
use super::weight_gemm::weight_gemm;
use crate::error::CoreResult;
use crate::gemm::{sgemm, sgemm_packed_b, with_packed_b, PackedB, Transpose, DIRECT_MAX_M};
use crate::parallel::Parallel;

/// The gradients carried from step to step of one direction: `dh` `[B, P]`, `dc` `[B, H]`, the
/// reset-before GRU's scratch `d(r*h)`, with a skip connection the ring of pending gradients
/// `[d, B, H]` (`dring`; empty without; skip is plain-RNN only, so P = H there), with
/// recurrent dropout its mask `[B, P]` and two `[B, P]` scratches (`m * h_{t-1}`, and the
/// gradient of `m * h_{t-1}`), and with a projection `pscr` `[B*H + H]` (see `Tape::pscr`),
/// empty without. The skip term read `h_{t-d}` unmasked, so its pending gradients bypass the
/// mask.
pub(super) struct Carry<'a> {
    pub dh: &'a mut [f32],
    pub dc: &'a mut [f32],
    pub drh: &'a mut [f32],
    pub dring: &'a mut [f32],
    pub hmask: Option<HMask<'a>>,
    pub pscr: &'a mut [f32],
}

/// The recurrent dropout's mask and scratch in backward (see [`Carry`]).
pub(super) struct HMask<'a> {
    pub mask: &'a [f32],
    pub hm: &'a mut [f32],
    pub dhm: &'a mut [f32],
}

/// After backward through a record's `rows` rows: `h_{t-1} *= m` in the record, so that the
/// weight gradients (`grads`) see what the recurrent matmul read, `m * h_{t-1}`.
pub(super) fn mask_hprev(
    mask: Option<&[f32]>,
    record: &mut DirTape,
    batch: usize,
    h: usize,
    rows: usize,
) {
    if let Some(mask) = mask {
        super::dropout::apply_per_row(mask, batch, h, rows, &mut record.hprev);
    }
}

/// BPTT through steps `seg` of direction `dir`, whose record holds them in rows from 0 (see
/// `forward::record_segment`): per step, in the reverse of the direction's order, the cell's
/// backward and the recurrent GEMM, with the carried gradients `carry` going in at the
/// segment's end and coming out at its start. `dy` is the gradient of the layer's output
/// (indexed by step); `norms` (`[T]`, indexed by step) receives the diagnostics' norms.
pub(super) fn back_through_segment(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    dir: usize,
    p: &DirParams<'_>,
    record: &mut DirTape,
    seg: Range<usize>,
    dy: &SeqRef<'_>,
    carry: Carry<'_>,
    mut norms: Option<&mut [f32]>,
) -> CoreResult<()> {
    let Carry {
        dh,
        dc,
        drh,
        dring,
        mut hmask,
        pscr,
    } = carry;
    let len = seg.len();
    let bh = ctx.batch * ctx.hidden;
    // W_hh (or its two GRU parts), and W_skip, packed once for all steps of the segment.
    with_packed_recurrent(ctx, p, |packed| {
        with_packed_skip_back(ctx, p, |skip_packed| -> CoreResult<()> {
            for k in (0..len).rev() {
                let r = step_at(dir, len, k);
                let t = seg.start + r;
                let g = skip::processing_index(dir, ctx.seq_len, &seg, k);
                if ctx.skip > 0 {
                    skip::take_pending(dring, ctx.skip_slots, bh, g, dh);
                }
                if let Some(norms) = norms.as_deref_mut() {
                    // Here `dh + dy_t` is dL/dh_t complete; the step consumes it.
                    norms[t] = carried_norm(&ctx.mask, t, ctx.state, dy, dir * ctx.state, dh);
                }
                let at = Step { dir, t, r };
                let hm = hmask.as_mut().map(|m| HMask {
                    mask: m.mask,
                    hm: &mut *m.hm,
                    dhm: &mut *m.dhm,
                });
                step_back(pool, ctx, at, p, record, dy, dh, dc, drh, hm, pscr, packed)?;
                if ctx.skip > 0 {
                    // The skip term's share: dG [B, H] . W_skip [H, H] goes to the state it read.
                    let dg = &record.act[r * bh..(r + 1) * bh];
                    let slot = skip::pending_slot(dring, ctx.skip_slots, bh, g);
                    let (batch, h) = (ctx.batch, ctx.hidden);
                    weight_gemm(
                        pool,
                        skip_packed,
                        Transpose::No,
                        batch,
                        h,
                        h,
                        dg,
                        h,
                        p.w_skip,
                        h,
                        0.0,
                        slot,
                        h,
                    )?;
                }
            }
            Ok(())
        })
    })??
}

/// Runs `f` with `W_skip` (`[H, H]` as stored: the backward product `dG . W_skip`) packed once
/// per segment when the stack has a skip connection and the batch takes the packed path.
fn with_packed_skip_back<R>(
    ctx: &Ctx<'_>,
    p: &DirParams<'_>,
    f: impl FnOnce(Option<&PackedB<'_>>) -> R,
) -> CoreResult<R> {
    if ctx.skip == 0 || ctx.batch <= DIRECT_MAX_M {
        return Ok(f(None));
    }
    with_packed_b(
        Transpose::No,
        ctx.hidden,
        ctx.hidden,
        p.w_skip,
        ctx.hidden,
        |w| f(Some(w)),
    )
}

/// Which step a backward step is: direction, step t, and its row r in the record.
#[derive(Debug, Clone, Copy)]
struct Step {
    dir: usize,
    t: usize,
    r: usize,
}

/// One step of one direction, backwards: element-wise, then the recurrent GEMM(s) into `dh`.
fn step_back(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    at: Step,
    p: &DirParams<'_>,
    record: &mut DirTape,
    dy: &SeqRef<'_>,
    dh: &mut [f32],
    dc: &mut [f32],
    drh: &mut [f32],
    hmask: Option<HMask<'_>>,
    pscr: &mut [f32],
    packed: Packed<'_, '_>,
) -> CoreResult<()> {
    let (batch, h, sw) = (ctx.batch, ctx.hidden, ctx.state);
    let (gh, eh) = (ctx.cell.gates * h, ctx.cell.extra * h);
    let (bgh, bh, beh, bs) = (batch * gh, batch * h, batch * eh, batch * sw);
    let has_c = ctx.cell.has_c;
    let Step { dir, t, r } = at;
    let act = &mut record.act[r * bgh..(r + 1) * bgh];
    let extra = &mut record.extra[r * beh..(r + 1) * beh];
    let hprev = &record.hprev[r * bs..(r + 1) * bs];
    let proj = !p.w_hr.is_empty();
    // With a projection, the cells see `dL/d(o * tanh(c))` `[B, H]` (in `pscr`) as their `dh`
    // and zeros as their `dy`; the complete `dL/dh_t` goes to the record for `dW_hr`.
    let (dcell, zeros) = pscr.split_at_mut(if proj { bh } else { 0 });
    if proj {
        project_back(
            pool,
            ctx,
            t,
            dir,
            p,
            &mut record.dproj[r * bs..(r + 1) * bs],
            dy,
            dh,
            dcell,
        )?;
        zeros[..h].fill(0.0);
    }
    let zeros = &*zeros;
    let cprev = if has_c {
        &record.cprev[r * bh..(r + 1) * bh]
    } else {
        &[][..]
    };
    let (a_rows, e_rows) = (RowsMut::new(act, gh), RowsMut::new(extra, eh));
    let c_width = if has_c { h } else { 0 };
    let cell_dh: &mut [f32] = if proj { &mut *dcell } else { &mut *dh };
    let (dh_rows, dc_rows) = (RowsMut::new(cell_dh, h), RowsMut::new(dc, c_width));
    for_row_tiles(pool, batch, gh, &|rows| {
        // SAFETY: tiles own disjoint row ranges of these buffers, which outlive the pass.
        let (act, extra, dh, dc) = unsafe {
            let r = rows.clone();
            (
                a_rows.rows(r.clone()),
                e_rows.rows(r.clone()),
                dh_rows.rows(r.clone()),
                dc_rows.rows(r),
            )
        };
        for (k, b) in rows.enumerate() {
            let gates = &mut act[k * gh..(k + 1) * gh];
            let kept = &mut extra[k * eh..(k + 1) * eh];
            if !ctx.mask.valid(t, b) {
                // dG = 0: the step adds nothing to any GEMM, the carried gradients pass by.
                gates.fill(0.0);
                if ctx.cell.extra_is_grad {
                    kept.fill(0.0);
                }
                continue;
            }
            let row = BwdRow {
                gates,
                extra: kept,
                peep: p.peep,
                // Only the GRUs and plain RNNs read it, which have no projection (P = H).
                h_prev: &hprev[b * sw..(b + 1) * sw],
                c_prev: if has_c {
                    &cprev[b * h..(b + 1) * h]
                } else {
                    &[]
                },
                dy: if proj {
                    &zeros[..h]
                } else {
                    dy.at(t, b, dir * h, h)
                },
                dh: &mut dh[k * h..(k + 1) * h],
                dc: if has_c {
                    &mut dc[k * h..(k + 1) * h]
                } else {
                    &mut []
                },
            };
            cells::backward_row(&ctx.cell, h, row);
        }
    });
    let gemm = |a: &[f32], lda: usize, k: usize, b: &[f32], beta: f32, c: &mut [f32]| {
        // a [B, k] (ld lda) . b [k, P] -> c [B, P] (P = H but for the projected LSTM)
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            batch,
            sw,
            k,
            1.0,
            a,
            lda,
            b,
            sw,
            beta,
            c,
            sw,
        )
    };
    // The same product with B packed once per direction (same bits).
    let gemm_packed =
        |a: &[f32], lda: usize, k: usize, b: &[f32], wp: &PackedB<'_>, c: &mut [f32]| {
            sgemm_packed_b(
                pool,
                Transpose::No,
                batch,
                sw,
                k,
                1.0,
                a,
                lda,
                b,
                wp,
                1.0,
                c,
                sw,
            )
        };
    // The recurrent matmuls' part of dh_{t-1} goes to `dh`, or with recurrent dropout to the
    // gradient of m * h_{t-1}, which reaches dh_{t-1} through the mask (below); the reset-before
    // GRU's r gradient then reads m * h_{t-1}.
    let (dh, hp, masked) = match hmask {
        Some(HMask { mask, hm, dhm }) => {
            let (hm, dhm) = (&mut hm[..bs], &mut dhm[..bs]);
            super::dropout::masked(&mask[..bs], hprev, hm);
            dhm.fill(0.0);
            (dhm, &*hm, Some((&mask[..bs], dh)))
        }
        None => (dh, hprev, None),
    };
    match ctx.cell.recurrence {
        // dh_{t-1} += dG [B, GH] . W_hh [GH, H]
        Recurrence::Full => match packed {
            Some((w, _)) => gemm_packed(act, gh, gh, p.w_hh, w, dh)?,
            None => gemm(act, gh, gh, p.w_hh, 1.0, dh)?,
        },
        // dh_{t-1} += [dr, dz] [B, 2H] . W_hh[0:2H] + (dn * r) [B, H] . W_hn
        Recurrence::ResetAfter => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            match packed {
                Some((wrz, Some(wn))) => {
                    gemm_packed(act, gh, 2 * h, w_rz, wrz, dh)?;
                    gemm_packed(extra, eh, h, w_n, wn, dh)?;
                }
                _ => {
                    gemm(act, gh, 2 * h, w_rz, 1.0, dh)?;
                    gemm(extra, eh, h, w_n, 1.0, dh)?;
                }
            }
        }
        Recurrence::ResetBefore => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            // d(r*h) [B, H] = dn [B, H] (ld GH) . W_hn [H, H]
            let drh = &mut drh[..bh];
            gemm(&act[2 * h..], gh, h, w_n, 0.0, drh)?;
            let (a_rows, dh_rows, drh) = (RowsMut::new(act, gh), RowsMut::new(dh, h), &*drh);
            for_row_tiles(pool, batch, gh, &|rows| {
                // SAFETY: tiles own disjoint row ranges of `act` and `dh`.
                let (act, dh) = unsafe { (a_rows.rows(rows.clone()), dh_rows.rows(rows.clone())) };
                for (k, b) in rows.enumerate() {
                    if ctx.mask.valid(t, b) {
                        let (gates, d) =
                            (&mut act[k * gh..(k + 1) * gh], &mut dh[k * h..(k + 1) * h]);
                        let (hp, drh) = (&hp[b * h..(b + 1) * h], &drh[b * h..(b + 1) * h]);
                        cells::reset_before_backward_row(h, gates, hp, drh, d);
                    }
                }
            });
            // dh_{t-1} += [dr, dz] [B, 2H] . W_hh[0:2H]
            gemm(act, gh, 2 * h, w_rz, 1.0, dh)?;
        }
    }
    if let Some((mask, dh_carried)) = masked {
        super::dropout::add_masked(mask, dh, &mut dh_carried[..bs]);
    }
    Ok(())
}

/// The recurrent weights of one direction packed for the backward GEMMs `dG . W_hh`:
/// `(W_hh, None)` for one-GEMM cells, `(W_hh[0:2H], Some(W_hn))` for reset-after GRUs.
type Packed<'a, 'b> = Option<(&'a PackedB<'b>, Option<&'a PackedB<'b>>)>;

/// Runs `f` with the packed recurrent weights when that pays (a batch on the packed GEMM
/// path; reset-before GRUs keep their per-step packing), `None` otherwise.
fn with_packed_recurrent<R>(
    ctx: &Ctx<'_>,
    p: &DirParams<'_>,
    f: impl FnOnce(Packed<'_, '_>) -> R,
) -> CoreResult<R> {
    let (h, gh, sw) = (ctx.hidden, ctx.cell.gates * ctx.hidden, ctx.state);
    if ctx.batch <= DIRECT_MAX_M {
        return Ok(f(None));
    }
    match ctx.cell.recurrence {
        // W_hh [GH, P] used as stored: k = GH, n = P.
        Recurrence::Full => {
            with_packed_b(Transpose::No, sw, gh, p.w_hh, sw, |w| f(Some((w, None))))
        }
        Recurrence::ResetAfter => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            with_packed_b(Transpose::No, h, 2 * h, w_rz, h, |wrz| {
                with_packed_b(Transpose::No, h, h, w_n, h, |wn| f(Some((wrz, Some(wn)))))
            })?
        }
        Recurrence::ResetBefore => Ok(f(None)),
    }
}

/// The projection's step backward (`h_t = W_hr hcell_t`): for the rows valid at step t,
/// `dproj[b] = dh[b] + dy_t[b]` (the complete `dL/dh_t`, kept for `dW_hr`) and `dh[b] = 0`
/// (the recurrent GEMM then adds `dG W_hh`); padded rows get `dproj = 0` and keep `dh` (the
/// state passed through them). Then `dcell [B, H] = dproj [B, P] . W_hr [P, H]`.
fn project_back(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    t: usize,
    dir: usize,
    p: &DirParams<'_>,
    dproj: &mut [f32],
    dy: &SeqRef<'_>,
    dh: &mut [f32],
    dcell: &mut [f32],
) -> CoreResult<()> {
    let (batch, h, sw) = (ctx.batch, ctx.hidden, ctx.state);
    for b in 0..batch {
        let row = b * sw..(b + 1) * sw;
        let (dp, d) = (&mut dproj[row.clone()], &mut dh[row]);
        if ctx.mask.valid(t, b) {
            for ((o, c), y) in dp
                .iter_mut()
                .zip(d.iter_mut())
                .zip(dy.at(t, b, dir * sw, sw))
            {
                *o = *c + y;
                *c = 0.0;
            }
        } else {
            dp.fill(0.0);
        }
    }
    sgemm(
        pool,
        Transpose::No,
        Transpose::No,
        batch,
        h,
        sw,
        1.0,
        dproj,
        sw,
        p.w_hr,
        h,
        0.0,
        dcell,
        h,
    )
}
