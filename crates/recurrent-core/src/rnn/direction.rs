//! One direction of one layer over a run of steps, the loops both drivers share: the training
//! record of a segment ([`record_segment`]: the whole sequence for a full tape, `k` steps at a
//! time for a checkpointed one, and its recomputation in backward), the chunked inference
//! direction, and one step.

use std::ops::Range;

use super::advance::{advance, project, with_packed_skip, with_packed_w_hh, StepBufs};
use super::cells::{self, CellInfo};
use super::forward::SeqInput;
use super::params::DirParams;
use super::seq::{step_at, Layout, Mask, SeqMut, SeqRef, SeqShape};
use super::skip;
use super::spec::StackSpec;
use super::tape::DirTape;
use crate::error::CoreResult;
use crate::gemm::PackedB;
use crate::parallel::Parallel;

/// Copies steps `steps` of the caller's `x` into `dst` (row `t - steps.start`, time-major),
/// zero at padded steps.
pub(super) fn copy_input_rows(
    dst: &mut [f32],
    i: usize,
    input: &SeqInput<'_>,
    steps: Range<usize>,
) {
    let (t_len, batch) = (input.seq_len, input.batch);
    let shape = SeqShape {
        layout: input.layout,
        seq_len: t_len,
        batch,
    };
    let src = SeqRef {
        data: input.x,
        shape,
        width: i,
    };
    let mask = Mask {
        lengths: input.lengths,
    };
    for t in steps.clone() {
        for b in 0..batch {
            let r = (t - steps.start) * batch + b;
            let dst = &mut dst[r * i..(r + 1) * i];
            if mask.valid(t, b) {
                dst.copy_from_slice(src.at(t, b, 0, i));
            } else {
                dst.fill(0.0);
            }
        }
    }
}

/// What every direction of a call shares.
pub(super) struct Ctx<'a> {
    pub cell: CellInfo,
    /// Cell width H.
    pub hidden: usize,
    /// State width P: `h`, the outputs, the carried `dh` (H without a projection).
    pub state: usize,
    pub seq_len: usize,
    pub batch: usize,
    pub mask: Mask<'a>,
    /// The skip delay d, or 0 (see `skip`).
    pub skip: usize,
    /// Slots of the skip rings this call uses (`skip::ring_slots`).
    pub skip_slots: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(spec: &StackSpec, seq_len: usize, batch: usize, lengths: Option<&'a [u32]>) -> Self {
        Self {
            cell: cells::info(spec.kind),
            hidden: spec.hidden_size,
            state: spec.state_size(),
            seq_len,
            batch,
            mask: Mask { lengths },
            skip: spec.skip,
            skip_slots: skip::ring_slots(spec.skip, seq_len),
        }
    }
}

pub(super) fn init_state(state: &mut [f32], init: Option<&[f32]>) {
    match init {
        Some(v) => state.copy_from_slice(v),
        None => state.fill(0.0),
    }
}

/// One step of one direction: the recurrent GEMM and the cells, for the rows valid at step t.
fn step_t(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    p: &DirParams<'_>,
    packed: [Option<&PackedB<'_>>; 2],
    t: usize,
    bufs: StepBufs<'_>,
) -> CoreResult<()> {
    let valid = |b| ctx.mask.valid(t, b);
    advance(
        pool, &ctx.cell, ctx.hidden, ctx.batch, p, bufs, &valid, packed[0], packed[1],
    )
}

/// Steps `seg` of direction `dir` with a training record: the projections of `xs` (the
/// segment's input, time-major, `seg.len() * B` rows) go to the record's rows from 0, then the
/// steps run in the direction's order, each keeping `h_{t-1}` (and `c_{t-1}`) and its
/// activations in row `t - seg.start`, and writing its states into `sink`, when given, at its
/// step t. A full tape records one segment, the whole sequence; a checkpointed tape records
/// (and recomputes) one segment of one layer at a time. With a skip connection, `ring` is the
/// direction's forward ring (`skip`) as the segment's first step finds it, and the record
/// keeps each step's skip source; it is empty otherwise. `hmask` is the recurrent dropout's
/// mask `[B, P]` and scratch (see `advance::StepBufs`), the same at every step; the skip
/// source is kept and read unmasked.
pub(super) fn record_segment(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    dir: usize,
    p: &DirParams<'_>,
    tape: &mut DirTape,
    xs: &[f32],
    seg: Range<usize>,
    rec: &mut [f32],
    mut sink: Option<&mut SeqMut<'_>>,
    hs: &mut [f32],
    cs: &mut [f32],
    ring: &mut [f32],
    mut hmask: Option<(&[f32], &mut [f32])>,
) -> CoreResult<()> {
    let (batch, h) = (ctx.batch, ctx.hidden);
    let (gh, eh) = (ctx.cell.gates * h, ctx.cell.extra * h);
    let (bgh, bh, beh) = (batch * gh, batch * h, batch * eh);
    // `h_{t-1}` rows are P wide; `hcell` (projection only) H wide.
    let bs = batch * ctx.state;
    let bhc = if p.w_hr.is_empty() { 0 } else { bh };
    let len = seg.len();
    let rec = &mut rec[..bgh];
    // W_hh^T (and W_skip^T) are packed once here for all steps of the segment (not by every
    // step's GEMM).
    with_packed_w_hh(&ctx.cell, h, batch, p, |w_hh_packed| {
        with_packed_skip(h, batch, p, |skip_packed| {
            let packed = [w_hh_packed, skip_packed];
            let act = &mut tape.act[..len * bgh];
            project(pool, xs, len * batch, p, act)?;
            for k in 0..len {
                let r = step_at(dir, len, k);
                let t = seg.start + r;
                // Keep h_{t-1} (and c_{t-1}) of every step: dW_hh and the cells need them.
                tape.hprev[r * bs..(r + 1) * bs].copy_from_slice(hs);
                if ctx.cell.has_c {
                    tape.cprev[r * bh..(r + 1) * bh].copy_from_slice(cs);
                }
                let skip_src: &[f32] = if ctx.skip > 0 {
                    let g = skip::processing_index(dir, ctx.seq_len, &seg, k);
                    let src = skip::ring_push(ring, ctx.skip_slots, bh, g, hs);
                    let kept = &mut tape.hskip[r * bh..(r + 1) * bh];
                    kept.copy_from_slice(src);
                    kept
                } else {
                    &[]
                };
                let bufs = StepBufs {
                    gates: &mut act[r * bgh..(r + 1) * bgh],
                    rec: &mut *rec,
                    extra: &mut tape.extra[r * beh..(r + 1) * beh],
                    h: &mut *hs,
                    hcell: &mut tape.hcell[r * bhc..(r + 1) * bhc],
                    c: &mut *cs,
                    skip: skip_src,
                    hmask: hmask.as_mut().map(|(m, s)| (*m, &mut **s)),
                };
                step_t(pool, ctx, p, packed, t, bufs)?;
                if let Some(sink) = sink.as_deref_mut() {
                    emit(ctx, sink, t, dir, hs);
                }
            }
            Ok(())
        })
    })??
}

/// The scratch of an inference direction (see `forward::LayerStore::Infer`).
pub(super) struct InferBufs<'a> {
    pub proj: &'a mut [f32],
    pub xin: &'a mut [f32],
    pub extra: &'a mut [f32],
    pub rec: &'a mut [f32],
    /// `[B, H]` `o * tanh(c)` of one step with a projection; empty without.
    pub hcell: &'a mut [f32],
    pub chunk: usize,
    /// The forward ring of a skip connection, started at the direction's initial state; empty
    /// without one.
    pub ring: &'a mut [f32],
}

/// One direction of an inference forward: projections a chunk of steps at a time.
pub(super) fn infer_direction(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    dir: usize,
    p: &DirParams<'_>,
    src: &SeqRef<'_>,
    sink: &mut SeqMut<'_>,
    bufs: InferBufs<'_>,
    hs: &mut [f32],
    cs: &mut [f32],
) -> CoreResult<()> {
    let (t_len, batch, h) = (ctx.seq_len, ctx.batch, ctx.hidden);
    let (gh, eh) = (ctx.cell.gates * h, ctx.cell.extra * h);
    let (bgh, beh) = (batch * gh, batch * eh);
    let InferBufs {
        proj,
        xin,
        extra,
        rec,
        hcell,
        chunk,
        ring,
    } = bufs;
    let bhc = if p.w_hr.is_empty() { 0 } else { batch * h };
    let rec = &mut rec[..bgh];
    let bh = batch * h;
    let whole = 0..t_len;
    with_packed_w_hh(&ctx.cell, h, batch, p, |w_hh_packed| {
        with_packed_skip(h, batch, p, |skip_packed| {
            let packed = [w_hh_packed, skip_packed];
            let chunk = chunk.min(t_len);
            let chunks = t_len.div_ceil(chunk);
            let w = src.width;
            for k in 0..chunks {
                let t0 = step_at(dir, chunks, k) * chunk;
                let t1 = (t0 + chunk).min(t_len);
                // [(t1-t0)*B, I_l] . W_ih^T -> [(t1-t0)*B, GH]; batch-major input is gathered into
                // time-major rows first, so both layouts run the same GEMM.
                let x: &[f32] = match src.shape.layout {
                    Layout::TimeMajor => &src.data[t0 * batch * w..t1 * batch * w],
                    Layout::BatchMajor => {
                        for t in t0..t1 {
                            for b in 0..batch {
                                let r = ((t - t0) * batch + b) * w;
                                xin[r..r + w].copy_from_slice(src.at(t, b, 0, w));
                            }
                        }
                        &xin[..(t1 - t0) * batch * w]
                    }
                };
                project(pool, x, (t1 - t0) * batch, p, proj)?;
                for k in 0..t1 - t0 {
                    let t = t0 + step_at(dir, t1 - t0, k);
                    let skip_src: &[f32] = if ctx.skip > 0 {
                        // The step's processing index over the whole sequence.
                        let g = skip::processing_index(dir, t_len, &whole, step_at(dir, t_len, t));
                        skip::ring_push(ring, ctx.skip_slots, bh, g, hs)
                    } else {
                        &[]
                    };
                    let bufs = StepBufs {
                        gates: &mut proj[(t - t0) * bgh..(t - t0 + 1) * bgh],
                        rec: &mut *rec,
                        extra: &mut extra[..beh],
                        h: &mut *hs,
                        hcell: &mut hcell[..bhc],
                        c: &mut *cs,
                        skip: skip_src,
                        hmask: None,
                    };
                    step_t(pool, ctx, p, packed, t, bufs)?;
                    emit(ctx, sink, t, dir, hs);
                }
            }
            Ok(())
        })
    })??
}

/// Writes the state rows of step t into the layer output's columns of direction `dir`:
/// `out[t, b, dir*P..(dir+1)*P] = h_t[b]`, or 0 on padded steps.
pub(super) fn emit(ctx: &Ctx<'_>, sink: &mut SeqMut<'_>, t: usize, dir: usize, hs: &[f32]) {
    let h = ctx.state;
    for b in 0..ctx.batch {
        let dst = sink.at(t, b, dir * h, h);
        if ctx.mask.valid(t, b) {
            dst.copy_from_slice(&hs[b * h..(b + 1) * h]);
        } else {
            dst.fill(0.0);
        }
    }
}
