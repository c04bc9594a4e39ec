//! The BPTT driver: gradients of all layers and directions from one recorded forward, in one
//! call.
//!
//! Per layer l (top first) and direction d (shapes with `R = T*B` rows, `GH = G*H`):
//! 1. per step, in the reverse of the direction's order: the fused element-wise backward turns
//!    the step's activations `[B, GH]` into pre-activation gradients `dG` (in place in the
//!    tape) and the carried `dh`, `dc` `[B, H]` into those of step t-1, then one GEMM
//!    `dh_{t-1} += dG [B, GH] . W_hh [GH, H]`;
//! 2. after the loop, the weight gradients as big GEMMs over all steps (`grads`);
//! 3. after both directions, `dX = sum_d dG_d [R, GH] . W_ih_d [GH, I_l]`: the gradient of
//!    the layer's input, i.e. of the output of layer l-1, written over that output in the
//!    tape (nothing needs it any more).
//!
//! Padded steps get `dG = 0`, so they add nothing to any GEMM, and leave the carried gradients
//! alone (the state passed through them unchanged in forward).
//!
//! On request ([`backward_with_diagnostics`]) step 1 also records, before each step goes back
//! through its cell, the norm of the complete `dL/dh_t` (see [`SeqGradDiagnostics`]).

use super::cells::{self, BwdRow, CellInfo, Recurrence};
use super::check;
use super::diagnostics::{carried_norm, SeqGradDiagnostics};
use super::grads;
use super::kind::CellKind;
use super::params::{DirOffsets, DirParams};
use super::rows::{for_row_tiles, RowsMut};
use super::seq::{step_at, Layout, Mask, SeqRef, SeqShape};
use super::spec::{product, StackSpec};
use super::tape::{DirTape, Tape, TapeState};
use crate::error::{CoreError, CoreResult};
use crate::gemm::{sgemm, sgemm_packed_b, with_packed_b, PackedB, Transpose, DIRECT_MAX_M};
use crate::parallel::Parallel;

/// Upstream gradients, in the recorded forward's layout and shapes.
#[derive(Debug, Clone, Copy)]
pub struct SeqGradInput<'a> {
    /// `dL/dy`, shaped like `y` (values at padded steps are ignored).
    pub gy: &'a [f32],
    /// `dL/dh_n` `[L*D, B, H]`; `None`: zeros.
    pub ghn: Option<&'a [f32]>,
    /// `dL/dc_n` `[L*D, B, H]` (LSTM family only); `None`: zeros.
    pub gcn: Option<&'a [f32]>,
}

/// Where gradients go.
#[derive(Debug)]
pub struct SeqGradOutput<'a> {
    /// Parameter gradients, same [`super::ParamLayout`] as the parameters: ACCUMULATED
    /// (`grads += dL/dparams`), so a caller zeroes them once per batch and may sum several
    /// backward calls.
    pub params: &'a mut [f32],
    /// `dL/dx`, shaped like `x` (zero at padded steps): overwritten. `None`: not computed.
    pub x: Option<&'a mut [f32]>,
    /// `dL/dh0` `[L*D, B, H]`: overwritten. `None`: not returned.
    pub h0: Option<&'a mut [f32]>,
    /// `dL/dc0` `[L*D, B, H]` (LSTM family only): overwritten. `None`: not returned.
    pub c0: Option<&'a mut [f32]>,
}

/// Backward through time over the forward recorded in `tape` (by [`super::forward_train`],
/// with the same `spec` and `params`). It consumes the record: the activations become
/// gradients, so a second call without a new forward is an error.
pub fn backward(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
) -> CoreResult<()> {
    backward_with_diagnostics(
        pool,
        spec,
        params,
        tape,
        input,
        output,
        SeqGradDiagnostics::default(),
    )
}

/// [`backward`], also filling the diagnostics asked for in `diagnostics` (e.g. the per-step
/// gradient norms `[L, D, T]`, see [`SeqGradDiagnostics`]). The gradients are the same bits as
/// without diagnostics.
pub fn backward_with_diagnostics(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
    diagnostics: SeqGradDiagnostics<'_>,
) -> CoreResult<()> {
    const OP: &str = "rnn::backward";
    check_backward(OP, spec, params, tape, input, &output)?;
    let SeqGradDiagnostics {
        step_norms: mut norms,
    } = diagnostics;
    let norms_len = product(
        OP,
        "diagnostics.step_norms",
        &[spec.num_layers, spec.directions(), tape.seq_len],
    )?;
    check::optional(
        OP,
        "diagnostics.step_norms",
        norms.as_ref().map(|n| n.len()),
        norms_len,
        true,
    )?;
    tape.state = TapeState::Consumed;
    let (t_len, batch, h) = (tape.seq_len, tape.batch, spec.hidden_size);
    let (dirs, dh_width, rows) = (spec.directions(), spec.output_size(), t_len * batch);
    let Tape {
        x,
        dirs: records,
        outs,
        dh,
        dc,
        drh,
        lengths,
        has_lengths,
        layout,
        ..
    } = tape;
    let ctx = Ctx {
        kind: spec.kind,
        cell: cells::info(spec.kind),
        hidden: h,
        seq_len: t_len,
        batch,
        mask: Mask {
            lengths: has_lengths.then_some(&lengths[..batch]),
        },
    };
    let user = SeqShape {
        layout: *layout,
        seq_len: t_len,
        batch,
    };
    let inner = SeqShape {
        layout: Layout::TimeMajor,
        seq_len: t_len,
        batch,
    };
    let SeqGradOutput {
        params: grads,
        x: gx,
        h0: mut gh0,
        c0: mut gc0,
    } = output;
    let state_len = batch * h;
    for l in (0..spec.num_layers).rev() {
        let (below, above) = outs.split_at_mut(l);
        // Gradient of layer l's output: the caller's gy, or what layer l+1 left in the tape.
        let dy = match above.first() {
            Some(out) if l + 1 < spec.num_layers => SeqRef {
                data: &out[..rows * dh_width],
                shape: inner,
                width: dh_width,
            },
            _ => SeqRef {
                data: input.gy,
                shape: user,
                width: dh_width,
            },
        };
        let input_width = spec.layer_input_size(l);
        let layer_in: &mut [f32] = match l {
            0 => &mut x[..rows * input_width],
            _ => &mut below[l - 1][..rows * input_width],
        };
        for d in 0..dirs {
            let o = DirOffsets::new(spec, l, d);
            let p = o.view(params);
            let record = &mut records[l * dirs + d];
            let state = (l * dirs + d) * state_len..(l * dirs + d + 1) * state_len;
            let dh = &mut dh[..state_len];
            let dc = &mut dc[..usize::from(ctx.cell.has_c) * state_len];
            init_carry(dh, input.ghn.map(|g| &g[state.clone()]));
            init_carry(dc, input.gcn.map(|g| &g[state.clone()]));
            let mut norms = norms
                .as_deref_mut()
                .map(|n| &mut n[(l * dirs + d) * t_len..(l * dirs + d + 1) * t_len]);
            // W_hh (or its two GRU parts) packed once for all steps of the direction.
            with_packed_recurrent(&ctx, &p, |packed| -> CoreResult<()> {
                for k in (0..t_len).rev() {
                    let t = step_at(d, t_len, k);
                    if let Some(norms) = norms.as_deref_mut() {
                        // Here `dh + dy_t` is dL/dh_t complete; the step consumes it.
                        norms[t] = carried_norm(&ctx.mask, t, h, &dy, d * h, dh);
                    }
                    step_back(pool, &ctx, d, t, &p, record, &dy, dh, dc, drh, packed)?;
                }
                Ok(())
            })??;
            if let Some(g) = gh0.as_deref_mut() {
                g[state.clone()].copy_from_slice(dh);
            }
            if let Some(g) = gc0.as_deref_mut() {
                g[state].copy_from_slice(dc);
            }
            let g = o.view_mut(grads);
            grads::accumulate(pool, &ctx.cell, h, rows, record, &*layer_in, input_width, g)?;
        }
        if l > 0 || gx.is_some() {
            input_gradient(pool, spec, l, rows, params, records, layer_in)?;
        }
    }
    if let Some(gx) = gx {
        scatter_input_gradient(&ctx, spec.input_size, user, x, gx);
    }
    Ok(())
}

/// What every step of a call shares.
struct Ctx<'a> {
    kind: CellKind,
    cell: CellInfo,
    hidden: usize,
    seq_len: usize,
    batch: usize,
    mask: Mask<'a>,
}

fn check_backward(
    op: &'static str,
    spec: &StackSpec,
    params: &[f32],
    tape: &Tape,
    input: &SeqGradInput<'_>,
    output: &SeqGradOutput<'_>,
) -> CoreResult<()> {
    let n = spec.param_len()?;
    if *spec != tape.spec {
        return Err(CoreError::new(
            op,
            "tape",
            format_args!("a tape made for {spec:?}"),
            format_args!("one made for {:?}", tape.spec),
        ));
    }
    if tape.state != TapeState::Recorded {
        let got = match tape.state {
            TapeState::Consumed => "a tape already used by a backward",
            _ => "a tape with no recorded forward",
        };
        return Err(CoreError::new(
            op,
            "tape",
            "a recorded forward (forward_train)",
            got,
        ));
    }
    let (t, b) = (tape.seq_len, tape.batch);
    let has_c = spec.kind.has_cell_state();
    let states = product(op, "tape", &[spec.state_count(), b, spec.hidden_size])?;
    check::exact(op, "params", params.len(), n)?;
    check::exact(
        op,
        "gy",
        input.gy.len(),
        product(op, "gy", &[t, b, spec.output_size()])?,
    )?;
    check::optional(op, "ghn", input.ghn.map(<[f32]>::len), states, true)?;
    check::optional(op, "gcn", input.gcn.map(<[f32]>::len), states, has_c)?;
    check::exact(op, "grads.params", output.params.len(), n)?;
    let x_len = product(op, "grads.x", &[t, b, spec.input_size])?;
    check::optional(
        op,
        "grads.x",
        output.x.as_ref().map(|g| g.len()),
        x_len,
        true,
    )?;
    check::optional(
        op,
        "grads.h0",
        output.h0.as_ref().map(|g| g.len()),
        states,
        true,
    )?;
    check::optional(
        op,
        "grads.c0",
        output.c0.as_ref().map(|g| g.len()),
        states,
        has_c,
    )
}

fn init_carry(carry: &mut [f32], init: Option<&[f32]>) {
    match init {
        Some(g) if !carry.is_empty() => carry.copy_from_slice(g),
        _ => carry.fill(0.0),
    }
}

/// One step of one direction, backwards: element-wise, then the recurrent GEMM(s) into `dh`.
fn step_back(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    dir: usize,
    t: usize,
    p: &DirParams<'_>,
    record: &mut DirTape,
    dy: &SeqRef<'_>,
    dh: &mut [f32],
    dc: &mut [f32],
    drh: &mut [f32],
    packed: Packed<'_, '_>,
) -> CoreResult<()> {
    let (batch, h) = (ctx.batch, ctx.hidden);
    let (gh, eh) = (ctx.cell.gates * h, ctx.cell.extra * h);
    let (bgh, bh, beh) = (batch * gh, batch * h, batch * eh);
    let has_c = ctx.cell.has_c;
    let act = &mut record.act[t * bgh..(t + 1) * bgh];
    let extra = &mut record.extra[t * beh..(t + 1) * beh];
    let hprev = &record.hprev[t * bh..(t + 1) * bh];
    let cprev = if has_c {
        &record.cprev[t * bh..(t + 1) * bh]
    } else {
        &[][..]
    };
    let (a_rows, e_rows) = (RowsMut::new(act, gh), RowsMut::new(extra, eh));
    let c_width = if has_c { h } else { 0 };
    let (dh_rows, dc_rows) = (RowsMut::new(dh, h), RowsMut::new(dc, c_width));
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
                if ctx.cell.recurrence == Recurrence::ResetAfter {
                    kept.fill(0.0);
                }
                continue;
            }
            let row = BwdRow {
                gates,
                extra: kept,
                peep: p.peep,
                h_prev: &hprev[b * h..(b + 1) * h],
                c_prev: if has_c {
                    &cprev[b * h..(b + 1) * h]
                } else {
                    &[]
                },
                dy: dy.at(t, b, dir * h, h),
                dh: &mut dh[k * h..(k + 1) * h],
                dc: if has_c {
                    &mut dc[k * h..(k + 1) * h]
                } else {
                    &mut []
                },
            };
            cells::backward_row(ctx.kind, h, row);
        }
    });
    let gemm = |a: &[f32], lda: usize, k: usize, b: &[f32], beta: f32, c: &mut [f32]| {
        // a [B, k] (ld lda) . b [k, H] -> c [B, H]
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            batch,
            h,
            k,
            1.0,
            a,
            lda,
            b,
            h,
            beta,
            c,
            h,
        )
    };
    // The same product with B packed once per direction (same bits).
    let gemm_packed =
        |a: &[f32], lda: usize, k: usize, b: &[f32], wp: &PackedB<'_>, c: &mut [f32]| {
            sgemm_packed_b(
                pool,
                Transpose::No,
                batch,
                h,
                k,
                1.0,
                a,
                lda,
                b,
                wp,
                1.0,
                c,
                h,
            )
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
                        let (hp, drh) = (&hprev[b * h..(b + 1) * h], &drh[b * h..(b + 1) * h]);
                        cells::reset_before_backward_row(h, gates, hp, drh, d);
                    }
                }
            });
            // dh_{t-1} += [dr, dz] [B, 2H] . W_hh[0:2H]
            gemm(act, gh, 2 * h, w_rz, 1.0, dh)?;
        }
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
    let (h, gh) = (ctx.hidden, ctx.cell.gates * ctx.hidden);
    if ctx.batch <= DIRECT_MAX_M {
        return Ok(f(None));
    }
    match ctx.cell.recurrence {
        // W_hh [GH, H] used as stored: k = GH, n = H.
        Recurrence::Full => with_packed_b(Transpose::No, h, gh, p.w_hh, h, |w| f(Some((w, None)))),
        Recurrence::ResetAfter => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            with_packed_b(Transpose::No, h, 2 * h, w_rz, h, |wrz| {
                with_packed_b(Transpose::No, h, h, w_n, h, |wn| f(Some((wrz, Some(wn)))))
            })?
        }
        Recurrence::ResetBefore => Ok(f(None)),
    }
}

/// `dX_l [R, I_l] = sum_d dG_d [R, GH] . W_ih_d [GH, I_l]`, written over layer l's input.
fn input_gradient(
    pool: &dyn Parallel,
    spec: &StackSpec,
    l: usize,
    rows: usize,
    params: &[f32],
    records: &[DirTape],
    dst: &mut [f32],
) -> CoreResult<()> {
    let dirs = spec.directions();
    let gh = spec.gates() * spec.hidden_size;
    let width = spec.layer_input_size(l);
    for d in 0..dirs {
        let p = DirOffsets::new(spec, l, d).view(params);
        let act = &records[l * dirs + d].act[..rows * gh];
        let beta = if d == 0 { 0.0 } else { 1.0 };
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            rows,
            width,
            gh,
            1.0,
            act,
            gh,
            p.w_ih,
            width,
            beta,
            dst,
            width,
        )?;
    }
    Ok(())
}

/// Copies the time-major `dL/dx` into the caller's layout, zero at padded steps.
fn scatter_input_gradient(
    ctx: &Ctx<'_>,
    width: usize,
    user: SeqShape,
    src: &[f32],
    gx: &mut [f32],
) {
    for t in 0..ctx.seq_len {
        for b in 0..ctx.batch {
            let r = user.row(t, b) * width;
            let dst = &mut gx[r..r + width];
            if ctx.mask.valid(t, b) {
                let s = (t * ctx.batch + b) * width;
                dst.copy_from_slice(&src[s..s + width]);
            } else {
                dst.fill(0.0);
            }
        }
    }
}
