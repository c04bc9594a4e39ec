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

use std::ops::Range;

use super::check;
use super::diagnostics::SeqGradDiagnostics;
use super::direction::Ctx;
use super::dropout::{mask_input_gradient, recurrent_mask};
use super::grads;
use super::params::DirOffsets;
use super::seq::{SeqRef, SeqShape};
use super::spec::{product, StackSpec};
use super::step_back::{back_through_segment, mask_hprev, Carry, HMask};
use super::tape::{DirTape, Tape, TapeState};
use crate::error::{CoreError, CoreResult};
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
    backward_impl(pool, spec, params, tape, None, input, output, diagnostics)
}

/// [`backward_with_diagnostics`] for any tape: a checkpointed tape ([`Tape::checkpointed`])
/// recomputes its segments from `x`, which must be the input of the recorded forward (same
/// values, same layout); a full tape ignores `x`.
pub fn backward_recomputing(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    x: &[f32],
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
    diagnostics: SeqGradDiagnostics<'_>,
) -> CoreResult<()> {
    backward_impl(
        pool,
        spec,
        params,
        tape,
        Some(x),
        input,
        output,
        diagnostics,
    )
}

fn backward_impl(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    x: Option<&[f32]>,
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
    diagnostics: SeqGradDiagnostics<'_>,
) -> CoreResult<()> {
    const OP: &str = "rnn::backward";
    check_backward(OP, spec, params, tape, input, &output)?;
    let norms = diagnostics.step_norms;
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
    if tape.checkpoint_every > 0 {
        let x_len = product(OP, "x", &[tape.seq_len, tape.batch, spec.input_size])?;
        let x = x.ok_or_else(|| {
            CoreError::new(
                OP,
                "x",
                "the forward's input (the tape is checkpointed: backward recomputes from it)",
                "none",
            )
        })?;
        check::exact(OP, "x", x.len(), x_len)?;
        tape.state = TapeState::Consumed;
        return super::checkpoint::backward(pool, spec, params, tape, x, input, output, norms);
    }
    full(pool, spec, params, tape, input, output, norms)
}

/// Backward over a full tape.
fn full(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
    mut norms: Option<&mut [f32]>,
) -> CoreResult<()> {
    tape.state = TapeState::Consumed;
    let (t_len, batch, h) = (tape.seq_len, tape.batch, spec.hidden_size);
    let (dirs, rows) = (spec.directions(), t_len * batch);
    let Tape {
        x,
        dirs: records,
        outs,
        dh,
        dc,
        drh,
        pscr,
        dring,
        lengths,
        has_lengths,
        layout,
        dropout,
        masks,
        hm,
        dhm,
        ..
    } = tape;
    let ctx = Ctx::new(spec, t_len, batch, has_lengths.then_some(&lengths[..batch]));
    let (user, inner) = SeqShape::user_and_inner(*layout, t_len, batch);
    let SeqGradOutput {
        params: grads,
        x: gx,
        h0: mut gh0,
        c0: mut gc0,
    } = output;
    // `h` states are P wide, `c` states H wide (the same without a projection).
    let (s_width, state_len) = (spec.state_size(), batch * h);
    let hstate_len = batch * s_width;
    for l in (0..spec.num_layers).rev() {
        let (below, above) = outs.split_at_mut(l);
        // Gradient of layer l's output: the caller's gy, or what layer l+1 left in the tape.
        let dy = output_gradient(spec, l, above, input.gy, [user, inner], rows);
        let input_width = spec.layer_input_size(l);
        let layer_in: &mut [f32] = match l {
            0 => &mut x[..rows * input_width],
            _ => &mut below[l - 1][..rows * input_width],
        };
        for d in 0..dirs {
            let o = DirOffsets::new(spec, l, d);
            let p = o.view(params);
            let record = &mut records[l * dirs + d];
            let slot = l * dirs + d;
            let state = [
                slot * hstate_len..(slot + 1) * hstate_len,
                slot * state_len..(slot + 1) * state_len,
            ];
            let dh = &mut dh[..hstate_len];
            let dc = &mut dc[..usize::from(ctx.cell.has_c) * state_len];
            init_carries(input, state.clone(), dh, dc);
            dring.fill(0.0);
            let norms = norms
                .as_deref_mut()
                .map(|n| &mut n[(l * dirs + d) * t_len..(l * dirs + d + 1) * t_len]);
            let rmask = recurrent_mask(spec, dropout, masks, l, d, batch);
            let hmask = rmask.map(|mask| HMask {
                mask,
                hm: &mut hm[..],
                dhm: &mut dhm[..],
            });
            let carry = Carry {
                dh: &mut *dh,
                dc: &mut *dc,
                drh: &mut *drh,
                dring: &mut *dring,
                hmask,
                pscr: &mut pscr[..],
            };
            back_through_segment(pool, &ctx, d, &p, record, 0..t_len, &dy, carry, norms)?;
            // What the skip terms sent to states before the first step is h0's.
            super::skip::fold_pending(dring, hstate_len, dh);
            store_carries([gh0.as_deref_mut(), gc0.as_deref_mut()], state, dh, dc);
            mask_hprev(rmask, record, batch, s_width, rows);
            let g = o.view_mut(grads);
            grads::accumulate(pool, &ctx.cell, h, rows, record, &*layer_in, input_width, g)?;
        }
        if l > 0 || gx.is_some() {
            let layer = &records[l * dirs..(l + 1) * dirs];
            input_gradient(pool, spec, l, rows, params, layer, layer_in)?;
            // The gradient of the masked input; its mask turns it into the input's.
            mask_input_gradient(spec, dropout, masks, l, batch, rows, layer_in);
        }
        if l > 0 {
            // The gradient of what layer l read is that of layer l-1's output after dropout;
            // the same mask turns it into the gradient of the output itself.
            dropout.apply(l - 1, layer_in)?;
        }
    }
    if let Some(gx) = gx {
        scatter_input_gradient(&ctx, spec.input_size, user, x, gx, 0..t_len);
    }
    Ok(())
}

pub(super) fn check_backward(
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
    let states = product(op, "tape", &[spec.state_count(), b, spec.state_size()])?;
    let c_states = product(op, "tape", &[spec.state_count(), b, spec.hidden_size])?;
    check::exact(op, "params", params.len(), n)?;
    check::exact(
        op,
        "gy",
        input.gy.len(),
        product(op, "gy", &[t, b, spec.output_size()])?,
    )?;
    check::optional(op, "ghn", input.ghn.map(<[f32]>::len), states, true)?;
    check::optional(op, "gcn", input.gcn.map(<[f32]>::len), c_states, has_c)?;
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
        c_states,
        has_c,
    )
}

/// The gradient of layer `l`'s output: the caller's `gy` (`shapes[0]`, the user's layout) for
/// the top layer, else what layer l+1's backward left in the tape's output `above[0]`
/// (`shapes[1]`, the inner layout), `rows` rows of the stack's output width.
pub(super) fn output_gradient<'a>(
    spec: &StackSpec,
    l: usize,
    above: &'a [Vec<f32>],
    gy: &'a [f32],
    [user, inner]: [SeqShape; 2],
    rows: usize,
) -> SeqRef<'a> {
    let width = spec.output_size();
    match above.first() {
        Some(out) if l + 1 < spec.num_layers => SeqRef {
            data: &out[..rows * width],
            shape: inner,
            width,
        },
        _ => SeqRef {
            data: gy,
            shape: user,
            width,
        },
    }
}

/// Starts the carried gradients of the state slots `[h, c]` (of `[L*D, B, P]` and
/// `[L*D, B, H]`) at the caller's `ghn`, `gcn`, or at zeros where not given (`dc` is empty
/// without a cell state).
pub(super) fn init_carries(
    input: &SeqGradInput<'_>,
    [hs, cs]: [Range<usize>; 2],
    dh: &mut [f32],
    dc: &mut [f32],
) {
    init_carry(dh, input.ghn.map(|g| &g[hs]));
    init_carry(dc, input.gcn.map(|g| &g[cs]));
}

fn init_carry(carry: &mut [f32], init: Option<&[f32]>) {
    match init {
        Some(g) if !carry.is_empty() => carry.copy_from_slice(g),
        _ => carry.fill(0.0),
    }
}

/// The carried gradients that reached the start of the sequence are those of the initial
/// states: copied into `[gh0, gc0]` (where asked for) at the state slots `[h, c]`.
pub(super) fn store_carries(
    [gh0, gc0]: [Option<&mut [f32]>; 2],
    [hs, cs]: [Range<usize>; 2],
    dh: &[f32],
    dc: &[f32],
) {
    if let Some(g) = gh0 {
        g[hs].copy_from_slice(dh);
    }
    if let Some(g) = gc0 {
        g[cs].copy_from_slice(dc);
    }
}

/// `dX_l [R, I_l] = sum_d dG_d [R, GH] . W_ih_d [GH, I_l]`, written over layer l's input;
/// `records` are layer l's, one per direction.
pub(super) fn input_gradient(
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
        let act = &records[d].act[..rows * gh];
        let beta = if d == 0 { 0.0 } else { 1.0 };
        grads::back_through(pool, rows, width, gh, act, p.w_ih, beta, dst)?;
    }
    Ok(())
}

/// Copies the time-major `dL/dx` of steps `steps` (`src` row `(t - steps.start)*B + b`) into
/// the caller's layout, zero at padded steps.
pub(super) fn scatter_input_gradient(
    ctx: &Ctx<'_>,
    width: usize,
    user: SeqShape,
    src: &[f32],
    gx: &mut [f32],
    steps: Range<usize>,
) {
    for t in steps.clone() {
        for b in 0..ctx.batch {
            let r = user.row(t, b) * width;
            let dst = &mut gx[r..r + width];
            if ctx.mask.valid(t, b) {
                let s = ((t - steps.start) * ctx.batch + b) * width;
                dst.copy_from_slice(&src[s..s + width]);
            } else {
                dst.fill(0.0);
            }
        }
    }
}
