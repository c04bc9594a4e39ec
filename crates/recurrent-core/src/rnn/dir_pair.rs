//! Both directions of a bidirectional layer at once, in inference, on a pool of two or more
//! threads: the directions are independent until the layer's output, so each runs whole on
//! one thread (its GEMMs and cell passes inline), with one join per layer instead of one per
//! GEMM and cell pass of every step. That is near twice one thread where the split per step
//! gave 1.7-1.8x (W3), and under contention a descheduled thread delays only its own
//! direction, where a split step waits for it at every join.
//!
//! The forward direction uses the layer's scratch and writes the layer output; the reverse
//! one uses a second scratch (`PairScratch`, allocated on first use and kept) and writes its
//! columns into a buffer of the output's shape, copied into the output after the join. Every
//! operation of a direction is the one the sequential driver does, and a GEMM's bits do not
//! depend on the thread that runs it, so the results are the same bits.

use std::sync::Mutex;

use super::direction::{infer_direction, Ctx, InferBufs};
use super::forward::{LayerIo, LayerStore};
use super::params::{DirOffsets, DirParams};
use super::seq::{SeqMut, SeqRef};
use super::spec::{product, StackSpec};
use super::tape::InferScratch;
use crate::error::{CoreError, CoreResult};
use crate::mem;
use crate::parallel::Parallel;

/// The reverse direction's buffers: the same sizes as the layer scratch's, plus its output.
#[derive(Debug)]
pub struct PairScratch {
    proj: Vec<f32>,
    rec: Vec<f32>,
    extra: Vec<f32>,
    hcell: Vec<f32>,
    xin: Vec<f32>,
    ring: Vec<f32>,
    /// A layer output `[R, D*P]`, of which the reverse direction writes its columns.
    out: Vec<f32>,
}

impl PairScratch {
    /// Buffers like `s`'s for its largest call.
    pub(super) fn like(s: &InferScratch) -> CoreResult<Self> {
        const OP: &str = "rnn::forward_infer";
        let spec = s.spec();
        let out = product(
            OP,
            "batch",
            &[s.max_seq_len(), s.max_batch(), spec.output_size()],
        )?;
        let z = |n: usize| mem::zeros::<f32>(OP, "inference scratch", n);
        Ok(Self {
            proj: z(s.proj.len())?,
            rec: z(s.rec.len())?,
            extra: z(s.extra.len())?,
            hcell: z(s.hcell.len())?,
            xin: z(s.xin.len())?,
            ring: z(s.ring.len())?,
            out: z(out)?,
        })
    }
}

/// Both directions of inference layer `l` at once (`dir_pair`): the forward one into the
/// layer's output with the layer's scratch, the reverse one with `pair`'s, then its columns
/// copied into the output.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_layer(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    ctx: &Ctx<'_>,
    l: usize,
    io: &mut LayerIo<'_>,
    pair: &mut PairScratch,
    [h_f, h_r]: [&mut [f32]; 2],
    [c_f, c_r]: [&mut [f32]; 2],
) -> CoreResult<()> {
    let LayerIo {
        src,
        sink,
        rec,
        ring,
        store,
    } = io;
    let LayerStore::Infer {
        proj,
        xin,
        extra,
        hcell,
        chunk,
    } = store
    else {
        return Err(CoreError::new(
            "rnn::forward_infer",
            "store",
            "inference scratch",
            "a training tape",
        ));
    };
    let (mut rev_sink, rev_bufs) = rev_parts(pair, sink, *chunk);
    let fwd = DirJob {
        dir: 0,
        params: DirOffsets::new(spec, l, 0).view(params),
        sink: reborrow(sink),
        bufs: InferBufs {
            proj,
            xin,
            extra,
            rec,
            hcell,
            chunk: *chunk,
            ring,
        },
        hs: h_f,
        cs: c_f,
    };
    let rev = DirJob {
        dir: 1,
        params: DirOffsets::new(spec, l, 1).view(params),
        sink: reborrow(&mut rev_sink),
        bufs: rev_bufs,
        hs: h_r,
        cs: c_r,
    };
    run_pair(pool, ctx, src, fwd, rev)?;
    copy_columns(ctx, 1, &rev_sink, sink);
    Ok(())
}

/// One direction's part of a layer: everything `infer_direction` takes.
struct DirJob<'a> {
    pub dir: usize,
    pub params: DirParams<'a>,
    pub sink: SeqMut<'a>,
    pub bufs: InferBufs<'a>,
    pub hs: &'a mut [f32],
    pub cs: &'a mut [f32],
}

/// The reverse direction's sink and buffers, in `pair`: its output `[R, D*P]` shaped like
/// the layer output `like` (its own columns only are written).
fn rev_parts<'a>(
    pair: &'a mut PairScratch,
    like: &SeqMut<'_>,
    chunk: usize,
) -> (SeqMut<'a>, InferBufs<'a>) {
    let PairScratch {
        proj,
        rec,
        extra,
        hcell,
        xin,
        ring,
        out,
    } = pair;
    let rows = like.shape.seq_len * like.shape.batch;
    let sink = SeqMut {
        data: &mut out[..rows * like.width],
        shape: like.shape,
        width: like.width,
    };
    let bufs = InferBufs {
        proj,
        xin,
        extra,
        rec,
        hcell,
        chunk,
        ring,
    };
    (sink, bufs)
}

/// Runs the jobs of the two directions, `pool` running them at once (each starts its skip
/// ring, as `run_direction` does).
fn run_pair(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    src: &SeqRef<'_>,
    fwd: DirJob<'_>,
    rev: DirJob<'_>,
) -> CoreResult<()> {
    // Each task takes its job once; the locks are never contended (one task per job), they
    // only hand the `&mut` borrows to whichever thread runs the task.
    let jobs = [Mutex::new(Some(fwd)), Mutex::new(Some(rev))];
    let results: [Mutex<Option<CoreResult<()>>>; 2] = [Mutex::new(None), Mutex::new(None)];
    pool.run(2, &|i| {
        let job = jobs[i].lock().ok().and_then(|mut j| j.take());
        if let Some(mut j) = job {
            super::skip::ring_start(j.bufs.ring, ctx.batch * ctx.hidden, j.hs);
            let r = infer_direction(
                pool,
                ctx,
                j.dir,
                &j.params,
                src,
                &mut j.sink,
                j.bufs,
                j.hs,
                j.cs,
            );
            if let Ok(mut slot) = results[i].lock() {
                *slot = Some(r);
            }
        }
    });
    for r in results {
        r.into_inner().ok().flatten().unwrap_or(Ok(()))?;
    }
    Ok(())
}

/// Copies direction `dir`'s columns of every row from `from` into `to` (same shape).
fn copy_columns(ctx: &Ctx<'_>, dir: usize, from: &SeqMut<'_>, to: &mut SeqMut<'_>) {
    let (p, shape) = (ctx.state, to.shape);
    for t in 0..shape.seq_len {
        for b in 0..shape.batch {
            let start = from.shape.row(t, b) * from.width + dir * p;
            to.at(t, b, dir * p, p)
                .copy_from_slice(&from.data[start..start + p]);
        }
    }
}

/// A shorter-lived `SeqMut` over the same rows, to hand to a job while `s` stays usable after.
fn reborrow<'s>(s: &'s mut SeqMut<'_>) -> SeqMut<'s> {
    SeqMut {
        data: &mut *s.data,
        shape: s.shape,
        width: s.width,
    }
}
