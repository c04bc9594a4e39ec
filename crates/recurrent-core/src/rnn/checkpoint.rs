//! Checkpointed BPTT: the forward and backward drivers of a tape made by
//! [`Tape::checkpointed`] (unidirectional stacks).
//!
//! Forward, layer by layer: the steps run in segments of `k`; before each segment the layer's
//! state (`h`, and `c` for the LSTM family) is kept in the tape, and the segment is recorded
//! into the one `k`-step record the layers share. Layer outputs below the top stay whole (the
//! next layer reads them, and backward overwrites them with their gradients, as with a full
//! tape), and dropout between layers is applied to them whole.
//!
//! Backward, layer by layer from the top, segment by segment from the last: the segment is
//! recomputed from its kept state into the record (the top layer's last segment is still
//! there from the forward), then BPTT goes back through it with the gradients carried from
//! the segment after it, and its weight and input gradients are accumulated as a full tape's
//! are, over the segment's rows. The recomputed activations are the forward's to the bit
//! (the same GEMMs over the same rows, the same cells), so the gradients are those of the
//! forward that produced `y`; they can differ from a full tape's in the last bits only
//! (GEMMs over a segment's rows instead of the whole sequence's, sums of per-segment weight
//! gradients).

use super::backward::{
    init_carries, input_gradient, output_gradient, scatter_input_gradient, store_carries,
    SeqGradInput, SeqGradOutput,
};
use super::direction::{copy_input_rows, init_state, record_segment, Ctx};
use super::dropout::{apply_per_row, mask_input_gradient, recurrent_mask};
use super::forward::{SeqInput, SeqOutput};
use super::params::DirOffsets;
use super::seq::{SeqMut, SeqShape};
use super::spec::StackSpec;
use super::step_back::{back_through_segment, mask_hprev, Carry, HMask};
use super::tape::{input_mask_range, Tape};
use crate::error::CoreResult;
use crate::parallel::Parallel;
use std::ops::Range;

/// Segment `s` of a plan of `k`-step segments over `t_len` steps.
fn segment(s: usize, k: usize, t_len: usize) -> Range<usize> {
    s * k..((s + 1) * k).min(t_len)
}

/// Forward over a checkpointed tape (arguments checked by `forward_train_masked`).
pub(super) fn forward(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: SeqOutput<'_>,
    tape: &mut Tape,
) -> CoreResult<()> {
    let (t_len, batch, h) = (input.seq_len, input.batch, spec.hidden_size);
    let k = tape.checkpoint_every.min(t_len);
    let segments = t_len.div_ceil(k);
    let ctx = Ctx::new(spec, t_len, batch, input.lengths);
    let SeqOutput { y, h_n, mut c_n } = output;
    init_state(h_n, input.h0);
    if let Some(c_n) = c_n.as_deref_mut() {
        init_state(c_n, input.c0);
    }
    // `h` states are P wide, `c` states H wide (the same without a projection).
    let bp = batch * spec.state_size();
    let (bh, width, rows) = (batch * h, spec.output_size(), t_len * batch);
    let (user, inner) = SeqShape::user_and_inner(input.layout, t_len, batch);
    let Tape {
        x: seg_x,
        dirs,
        outs,
        ck_h,
        ck_c,
        ck_ring,
        ring,
        rec,
        dropout,
        masks,
        hm,
        ..
    } = tape;
    let record = &mut dirs[0];
    let ring_len = ring.len();
    for l in 0..spec.num_layers {
        let p = DirOffsets::new(spec, l, 0).view(params);
        let input_width = spec.layer_input_size(l);
        let imask = (dropout.input > 0.0).then(|| &masks[input_mask_range(spec, l, batch)]);
        let rmask = recurrent_mask(spec, dropout, masks, l, 0, batch);
        if let (Some(mask), true) = (imask, l > 0) {
            // Layer l's input, the output below after its dropout, masked whole (as a full
            // tape does): backward recomputes from it and takes dW_ih over it.
            apply_per_row(
                mask,
                batch,
                input_width,
                rows,
                &mut outs[l - 1][..rows * width],
            );
        }
        let hs = &mut h_n[l * bp..(l + 1) * bp];
        let cs: &mut [f32] = match c_n.as_deref_mut() {
            Some(c) => &mut c[l * bh..(l + 1) * bh],
            None => &mut [],
        };
        // The skip history before the first step is the initial state.
        super::skip::ring_start(ring, bh, hs);
        {
            let (below, above) = outs.split_at_mut(l);
            let mut sink = match above.first_mut() {
                Some(out) if l + 1 < spec.num_layers => SeqMut {
                    data: &mut out[..rows * width],
                    shape: inner,
                    width,
                },
                _ => SeqMut {
                    data: &mut *y,
                    shape: user,
                    width,
                },
            };
            for s in 0..segments {
                let seg = segment(s, k, t_len);
                // The state the segment starts from: backward recomputes the segment from it.
                let slot = (l * segments + s) * bh..(l * segments + s + 1) * bh;
                let slot_h = (l * segments + s) * bp..(l * segments + s + 1) * bp;
                ck_h[slot_h].copy_from_slice(hs);
                if !cs.is_empty() {
                    ck_c[slot].copy_from_slice(cs);
                }
                let at = (l * segments + s) * ring_len;
                ck_ring[at..at + ring_len].copy_from_slice(ring);
                let xs: &[f32] = match l {
                    0 => {
                        copy_input_rows(seg_x, spec.input_size, input, seg.clone());
                        let n = seg.len() * batch;
                        if let Some(mask) = imask {
                            apply_per_row(mask, batch, spec.input_size, n, seg_x);
                        }
                        &seg_x[..n * spec.input_size]
                    }
                    _ => &below[l - 1][seg.start * batch * width..seg.end * batch * width],
                };
                let sink = Some(&mut sink);
                let hmask = rmask.map(|m| (m, &mut hm[..]));
                record_segment(
                    pool, &ctx, 0, &p, record, xs, seg, rec, sink, hs, cs, ring, hmask,
                )?;
            }
        }
        if let Some(out) = outs.get_mut(l) {
            // What layer l+1 reads is layer l's output after dropout.
            dropout.apply(l, &mut out[..rows * width])?;
        }
    }
    Ok(())
}

/// Backward over a checkpointed tape (arguments checked by `backward_recomputing`; `x` is
/// the forward's input, `norms` `[L, 1, T]` the optional step norms).
pub(super) fn backward(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    tape: &mut Tape,
    x: &[f32],
    input: &SeqGradInput<'_>,
    output: SeqGradOutput<'_>,
    mut norms: Option<&mut [f32]>,
) -> CoreResult<()> {
    let (t_len, batch, h) = (tape.seq_len, tape.batch, spec.hidden_size);
    let k = tape.checkpoint_every.min(t_len);
    let segments = t_len.div_ceil(k);
    let Tape {
        x: seg_x,
        dirs,
        outs,
        ck_h,
        ck_c,
        ck_ring,
        ring,
        dring,
        rec,
        dh,
        dc,
        drh,
        pscr,
        lengths,
        has_lengths,
        layout,
        dropout,
        masks,
        hm,
        dhm,
        ..
    } = tape;
    let lengths = has_lengths.then_some(&lengths[..batch]);
    let ctx = Ctx::new(spec, t_len, batch, lengths);
    let forward_input = SeqInput {
        layout: *layout,
        seq_len: t_len,
        batch,
        x,
        lengths,
        h0: None,
        c0: None,
    };
    let (user, inner) = SeqShape::user_and_inner(*layout, t_len, batch);
    let SeqGradOutput {
        params: grads,
        x: mut gx,
        h0: mut gh0,
        c0: mut gc0,
    } = output;
    let (bh, rows, i) = (batch * h, t_len * batch, spec.input_size);
    let (s_width, has_c) = (spec.state_size(), ctx.cell.has_c);
    let bp = batch * s_width;
    let record = &mut dirs[0];
    let ring_len = ring.len();
    for l in (0..spec.num_layers).rev() {
        let o = DirOffsets::new(spec, l, 0);
        let p = o.view(params);
        let state = [l * bp..(l + 1) * bp, l * bh..(l + 1) * bh];
        let dh = &mut dh[..bp];
        let dc = &mut dc[..usize::from(has_c) * bh];
        init_carries(input, state.clone(), dh, dc);
        dring.fill(0.0);
        let input_width = spec.layer_input_size(l);
        let (below, above) = outs.split_at_mut(l);
        // Gradient of layer l's output: the caller's gy, or what layer l+1 left in the tape.
        let dy = output_gradient(spec, l, above, input.gy, [user, inner], rows);
        let mut layer_norms = norms
            .as_deref_mut()
            .map(|n| &mut n[l * t_len..(l + 1) * t_len]);
        for s in (0..segments).rev() {
            let seg = segment(s, k, t_len);
            let seg_rows = seg.len() * batch;
            let in_rows = seg.start * batch * input_width..seg.end * batch * input_width;
            if l == 0 {
                copy_input_rows(seg_x, i, &forward_input, seg.clone());
                if dropout.input > 0.0 {
                    let mask = &masks[input_mask_range(spec, 0, batch)];
                    apply_per_row(mask, batch, i, seg_rows, seg_x);
                }
            }
            let rmask = recurrent_mask(spec, dropout, masks, l, 0, batch);
            // The top layer's last segment is still recorded from the forward.
            if l + 1 < spec.num_layers || s + 1 < segments {
                let slot = (l * segments + s) * bh..(l * segments + s + 1) * bh;
                let slot_h = (l * segments + s) * bp..(l * segments + s + 1) * bp;
                // The kept state is used once: the recomputation runs in it.
                let hs = &mut ck_h[slot_h];
                let cs: &mut [f32] = if has_c { &mut ck_c[slot] } else { &mut [] };
                let at = (l * segments + s) * ring_len;
                ring.copy_from_slice(&ck_ring[at..at + ring_len]);
                let xs: &[f32] = match l {
                    0 => &seg_x[..seg_rows * i],
                    _ => &below[l - 1][in_rows.clone()],
                };
                record_segment(
                    pool,
                    &ctx,
                    0,
                    &p,
                    record,
                    xs,
                    seg.clone(),
                    rec,
                    None,
                    hs,
                    cs,
                    ring,
                    rmask.map(|m| (m, &mut hm[..])),
                )?;
            }
            let carry = Carry {
                dh: &mut *dh,
                dc: &mut *dc,
                drh: &mut *drh,
                dring: &mut *dring,
                hmask: rmask.map(|mask| HMask {
                    mask,
                    hm: &mut hm[..],
                    dhm: &mut dhm[..],
                }),
                pscr: &mut pscr[..],
            };
            let seg_norms = layer_norms.as_deref_mut();
            back_through_segment(
                pool,
                &ctx,
                0,
                &p,
                record,
                seg.clone(),
                &dy,
                carry,
                seg_norms,
            )?;
            let xs: &[f32] = match l {
                0 => &seg_x[..seg_rows * i],
                _ => &below[l - 1][in_rows.clone()],
            };
            mask_hprev(rmask, record, batch, s_width, seg_rows);
            let g = o.view_mut(grads);
            super::grads::accumulate(pool, &ctx.cell, h, seg_rows, record, xs, input_width, g)?;
            let layer = std::slice::from_ref(&*record);
            if l > 0 {
                // This segment's input is not needed any more: its gradient replaces it.
                let dst = &mut below[l - 1][in_rows];
                input_gradient(pool, spec, l, seg_rows, params, layer, dst)?;
            } else if let Some(gx) = gx.as_deref_mut() {
                let dst = &mut seg_x[..seg_rows * i];
                input_gradient(pool, spec, 0, seg_rows, params, layer, dst)?;
                mask_input_gradient(spec, dropout, masks, 0, batch, seg_rows, dst);
                scatter_input_gradient(&ctx, i, user, seg_x, gx, seg);
            }
        }
        // What the skip terms sent to states before the first step is h0's.
        super::skip::fold_pending(dring, bh, dh);
        store_carries([gh0.as_deref_mut(), gc0.as_deref_mut()], state, dh, dc);
        if l > 0 {
            // The gradient of what layer l read, through its input mask and layer l-1's
            // dropout mask.
            let grad = &mut below[l - 1][..rows * input_width];
            mask_input_gradient(spec, dropout, masks, l, batch, rows, grad);
            dropout.apply(l - 1, grad)?;
        }
    }
    Ok(())
}
