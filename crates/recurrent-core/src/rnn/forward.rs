//! The forward driver: all layers and both directions over a whole sequence in one call,
//! for training (recording a [`Tape`]) or inference (chunked projections, no record).
//!
//! Per layer l and direction d (shapes with `R = T*B` rows, `GH = G*H`):
//! 1. input projections `[R, I_l] . W_ih^T -> [R, GH]` (+ `b_ih`), one GEMM (inference: one
//!    per chunk of steps);
//! 2. per step, in the direction's order, `advance`: `h_{t-1} [B, H] . W_hh^T -> [B, GH]` and
//!    the fused element-wise pass, writing `h_t` into `[B, H]` state rows;
//! 3. the state rows go to the layer's output `[R, D*H]`, columns `d*H..(d+1)*H`, zero on
//!    padded steps; the last layer's output is `y`, in the caller's layout.
//!
//! The running state is kept in `h_n`/`c_n` themselves: on padded steps it is left alone, so
//! at the end they hold each sequence's state after its own last step.

use super::check;
use super::dir_pair::{self, PairScratch};
use super::direction::{
    copy_input_rows, infer_direction, init_state, record_segment, Ctx, InferBufs,
};
use super::dropout::Dropout;
use super::dropout::{draw_masks, mask_layer_input};
use super::params::{DirOffsets, DirParams};
use super::seq::{Layout, SeqMut, SeqRef, SeqShape};
use super::spec::{product, StackSpec};
use super::tape::{mask_len, recurrent_mask_range, DirTape, InferScratch, Tape, TapeState};
use crate::error::CoreResult;
use crate::parallel::Parallel;

/// The inputs of a forward over a sequence.
#[derive(Debug, Clone, Copy)]
pub struct SeqInput<'a> {
    /// Layout of `x`, and of the outputs `y`.
    pub layout: Layout,
    /// Number of steps T (at least 1).
    pub seq_len: usize,
    /// Number of sequences B (at least 1).
    pub batch: usize,
    /// `[T, B, I]` or `[B, T, I]`. Values at padded steps are ignored.
    pub x: &'a [f32],
    /// `B` valid lengths, each at most T (`pack_padded_sequence` semantics; 0 is allowed and
    /// means an empty sequence: zero outputs, final state = initial state); `None`: all T.
    pub lengths: Option<&'a [u32]>,
    /// `[L*D, B, H]` initial states; `None`: zeros.
    pub h0: Option<&'a [f32]>,
    /// `[L*D, B, H]` initial cells (LSTM family only); `None`: zeros.
    pub c0: Option<&'a [f32]>,
}

/// The outputs of a forward, all overwritten.
#[derive(Debug)]
pub struct SeqOutput<'a> {
    /// `[T, B, D*H]` or `[B, T, D*H]` (the input's layout): the last layer's states, forward
    /// direction first; zero at padded steps.
    pub y: &'a mut [f32],
    /// `[L*D, B, H]` final states.
    pub h_n: &'a mut [f32],
    /// `[L*D, B, H]` final cells: required for the LSTM family, `None` otherwise.
    pub c_n: Option<&'a mut [f32]>,
}

/// Forward for training: computes `y`, `h_n`, `c_n` and records into `tape` what
/// [`super::backward`] needs. The tape must have been made for `spec` with at least this
/// sequence length and batch. Bit-identical to [`forward_infer`].
pub fn forward_train(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: SeqOutput<'_>,
    tape: &mut Tape,
) -> CoreResult<()> {
    forward_train_masked(pool, spec, params, input, output, tape, Dropout::NONE, None)
}

/// [`forward_train`] with dropout (see [`Dropout`]): between the layers (the last layer's
/// output `y` and the states are never dropped), and the variational input and recurrent
/// dropout, whose masks are drawn here (`masks: None`) or given (tests that check against a
/// reference with explicit masks) and kept in the tape for backward. Given `masks` are in the
/// tape's layout: per layer its input mask `[B, I_l]`, then per layer and direction (`l*D + d`)
/// its recurrent mask `[B, H]`, values as applied (0, or `1 / (1 - p)` for inverted dropout);
/// only the masks whose probability in `dropout` is above 0 are applied. A checkpointed tape
/// ([`Tape::checkpointed`]) records the checkpointed way; its `y` may differ from a full tape's
/// in the last bits (its projections are GEMMs over a segment's rows, not the whole
/// sequence's).
#[allow(clippy::too_many_arguments)]
pub fn forward_train_masked(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: SeqOutput<'_>,
    tape: &mut Tape,
    dropout: Dropout,
    masks: Option<&[f32]>,
) -> CoreResult<()> {
    const OP: &str = "rnn::forward_train";
    check_forward(OP, spec, params, input, &output)?;
    tape.check_fits(OP, spec, input.seq_len, input.batch)?;
    dropout.check(OP)?;
    let batch = input.batch;
    let n = mask_len(OP, spec, batch)?;
    if let Some(m) = masks {
        check::exact(OP, "masks", m.len(), n)?;
    }
    if dropout.variational() {
        tape.ensure_masks(OP)?;
    }
    tape.state = TapeState::Empty;
    tape.dropout = dropout;
    if dropout.variational() {
        match masks {
            Some(m) => tape.masks[..n].copy_from_slice(m),
            None => draw_masks(spec, batch, &dropout, &mut tape.masks)?,
        }
    }
    if tape.checkpoint_every > 0 {
        note_shape(tape, input);
        super::checkpoint::forward(pool, spec, params, input, output, tape)?;
    } else {
        record_input(tape, spec, input);
        run(
            pool,
            spec,
            params,
            input,
            output,
            Store::Train(tape),
            dropout,
        )?;
    }
    tape.state = TapeState::Recorded;
    Ok(())
}

/// Forward for inference: computes `y`, `h_n`, `c_n` with `scratch` (no record).
pub fn forward_infer(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: SeqOutput<'_>,
    scratch: &mut InferScratch,
) -> CoreResult<()> {
    const OP: &str = "rnn::forward_infer";
    check_forward(OP, spec, params, input, &output)?;
    scratch.check_fits(OP, spec, input.seq_len, input.batch)?;
    run(
        pool,
        spec,
        params,
        input,
        output,
        Store::Infer(scratch),
        Dropout::NONE,
    )
}

/// Validates every argument of a forward before anything is written.
pub(super) fn check_forward(
    op: &'static str,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: &SeqOutput<'_>,
) -> CoreResult<()> {
    check::exact(op, "params", params.len(), spec.param_len()?)?;
    check::in_range(op, "seq_len", input.seq_len, usize::MAX)?;
    check::in_range(op, "batch", input.batch, usize::MAX)?;
    let (t, b) = (input.seq_len, input.batch);
    let has_c = spec.kind.has_cell_state();
    let states = product(op, "batch", &[spec.state_count(), b, spec.state_size()])?;
    let c_states = product(op, "batch", &[spec.state_count(), b, spec.hidden_size])?;
    check::exact(
        op,
        "x",
        input.x.len(),
        product(op, "x", &[t, b, spec.input_size])?,
    )?;
    check::lengths(op, input.lengths, b, t)?;
    check::optional(op, "h0", input.h0.map(<[f32]>::len), states, true)?;
    check::optional(op, "c0", input.c0.map(<[f32]>::len), c_states, has_c)?;
    let y_len = product(op, "y", &[t, b, spec.output_size()])?;
    check::exact(op, "y", output.y.len(), y_len)?;
    check::exact(op, "h_n", output.h_n.len(), states)?;
    check::required_iff(
        op,
        "c_n",
        output.c_n.as_ref().map(|c| c.len()),
        c_states,
        has_c,
    )
}

/// Copies layer 0's input into the tape, time-major, zero at padded steps; notes lengths.
fn record_input(tape: &mut Tape, spec: &StackSpec, input: &SeqInput<'_>) {
    copy_input_rows(&mut tape.x, spec.input_size, input, 0..input.seq_len);
    note_shape(tape, input);
}

/// Notes the recorded forward's shape and lengths in the tape.
fn note_shape(tape: &mut Tape, input: &SeqInput<'_>) {
    tape.seq_len = input.seq_len;
    tape.batch = input.batch;
    tape.layout = input.layout;
    tape.has_lengths = input.lengths.is_some();
    if let Some(lengths) = input.lengths {
        tape.lengths[..input.batch].copy_from_slice(lengths);
    }
}

enum Store<'a> {
    Train(&'a mut Tape),
    Infer(&'a mut InferScratch),
}

/// What one layer reads and writes.
pub(super) struct LayerIo<'a> {
    /// The layer's input `[R, I_l]`.
    pub src: SeqRef<'a>,
    /// The layer's output `[R, D*H]`.
    pub sink: SeqMut<'a>,
    /// `[B, GH]` recurrent products of one step.
    pub rec: &'a mut [f32],
    /// `[d, B, H]` the forward ring of a skip connection (`skip`), or empty.
    pub ring: &'a mut [f32],
    pub store: LayerStore<'a>,
}

/// Where a layer's directions keep projections and kept vectors.
pub(super) enum LayerStore<'a> {
    /// One record per direction, the whole sequence each; with recurrent dropout, the masks
    /// of the directions `[D, B, H]` and the `[B, H]` scratch.
    Train(&'a mut [DirTape], Option<(&'a [f32], &'a mut [f32])>),
    /// One scratch that the directions use one after the other: a chunk of `chunk` steps of
    /// projections `[chunk*B, GH]`, gathered input `[chunk*B, I]`, one step of kept vectors.
    Infer {
        proj: &'a mut [f32],
        xin: &'a mut [f32],
        extra: &'a mut [f32],
        hcell: &'a mut [f32],
        chunk: usize,
    },
}

fn run(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    input: &SeqInput<'_>,
    output: SeqOutput<'_>,
    mut store: Store<'_>,
    dropout: Dropout,
) -> CoreResult<()> {
    let (t_len, batch, h) = (input.seq_len, input.batch, spec.hidden_size);
    let ctx = Ctx::new(spec, t_len, batch, input.lengths);
    let SeqOutput { y, h_n, mut c_n } = output;
    init_state(h_n, input.h0);
    if let Some(c_n) = c_n.as_deref_mut() {
        init_state(c_n, input.c0);
    }
    let dirs = spec.directions();
    let user = SeqShape {
        layout: input.layout,
        seq_len: t_len,
        batch,
    };
    // Inference of a bidirectional stack on two or more threads runs its directions at once
    // (`dir_pair`), with the reverse one's buffers taken out of the scratch meanwhile. Where
    // they cannot be allocated, the directions run one after the other, as on one thread
    // (the same bits): a call that fits on one thread does not fail on two.
    let mut pair = match &mut store {
        Store::Infer(s) if dirs == 2 && pool.threads() > 1 => match s.pair.take() {
            Some(p) => Some(p),
            None => PairScratch::like(s).ok(),
        },
        _ => None,
    };
    for l in 0..spec.num_layers {
        if let Store::Train(tape) = &mut store {
            mask_layer_input(tape, spec, l, t_len, batch);
        }
        let mut io = layer_io(&mut store, spec, l, user, input.x, &mut *y, dropout);
        if let Some(pair) = pair.as_mut() {
            let b = batch * ctx.state;
            let (h_f, h_r) = h_n[2 * l * b..(2 * l + 2) * b].split_at_mut(b);
            let (c_f, c_r): (&mut [f32], &mut [f32]) = match c_n.as_deref_mut() {
                Some(c) => c[2 * l * batch * h..(2 * l + 2) * batch * h].split_at_mut(batch * h),
                None => (&mut [], &mut []),
            };
            dir_pair::run_layer(
                pool,
                spec,
                params,
                &ctx,
                l,
                &mut io,
                pair,
                [h_f, h_r],
                [c_f, c_r],
            )?;
            continue;
        }
        for d in 0..dirs {
            let p = DirOffsets::new(spec, l, d).view(params);
            let slot = l * dirs + d;
            let state = slot * batch * h..(slot + 1) * batch * h;
            // `h` is P wide, `c` H wide (the same without a projection).
            let hs = &mut h_n[slot * batch * ctx.state..(slot + 1) * batch * ctx.state];
            let cs: &mut [f32] = match c_n.as_deref_mut() {
                Some(c) => &mut c[state],
                None => &mut [],
            };
            run_direction(pool, &ctx, d, &p, &mut io, hs, cs)?;
        }
        if let Store::Train(tape) = &mut store {
            // What layer l+1 reads is layer l's output after dropout.
            if let Some(out) = tape.outs.get_mut(l) {
                dropout.apply(l, &mut out[..t_len * batch * spec.output_size()])?;
            }
        }
    }
    if let (Store::Infer(s), Some(p)) = (&mut store, pair) {
        s.pair = Some(p);
    }
    Ok(())
}

/// Layer l's input (the caller's `x` or the layer below's output) and output (an internal
/// time-major buffer, or the caller's `y` for the last layer).
fn layer_io<'a>(
    store: &'a mut Store<'_>,
    spec: &StackSpec,
    l: usize,
    user: SeqShape,
    x: &'a [f32],
    y: &'a mut [f32],
    dropout: Dropout,
) -> LayerIo<'a> {
    let inner = SeqShape {
        layout: Layout::TimeMajor,
        ..user
    };
    let rows = user.seq_len * user.batch;
    let (dh, i) = (spec.output_size(), spec.input_size);
    let last = l + 1 == spec.num_layers;
    let out = |buf: &'a mut [f32]| SeqMut {
        data: &mut buf[..rows * dh],
        shape: inner,
        width: dh,
    };
    let (src, sink, rec, ring, store) = match store {
        Store::Train(tape) => {
            let Tape {
                x: tape_x,
                dirs,
                outs,
                rec,
                masks,
                hm,
                ring,
                ..
            } = &mut **tape;
            let (below, above) = outs.split_at_mut(l);
            let src = match below.last() {
                Some(prev) => SeqRef {
                    data: &prev[..rows * dh],
                    shape: inner,
                    width: dh,
                },
                None => SeqRef {
                    data: &tape_x[..rows * i],
                    shape: inner,
                    width: i,
                },
            };
            let sink = if last {
                None
            } else {
                above.first_mut().map(|b| out(b))
            };
            // The recurrent masks of this layer's directions, one after the other.
            let hmask = (dropout.recurrent > 0.0).then(|| {
                let first = recurrent_mask_range(spec, l, 0, user.batch).start;
                let last = recurrent_mask_range(spec, l, spec.directions() - 1, user.batch).end;
                (&masks[first..last], &mut hm[..])
            });
            let records = &mut dirs[l * spec.directions()..(l + 1) * spec.directions()];
            (
                src,
                sink,
                rec,
                &mut ring[..],
                LayerStore::Train(records, hmask),
            )
        }
        Store::Infer(s) => {
            let InferScratch {
                chunk,
                proj,
                rec,
                extra,
                hcell,
                xin,
                layers,
                ring,
                ..
            } = &mut **s;
            // Layer l writes buffer l % 2 and reads the other one.
            let [even, odd] = layers;
            let (prev, next) = if l % 2 == 0 {
                (&*odd, even)
            } else {
                (&*even, odd)
            };
            let src = match l {
                0 => SeqRef {
                    data: x,
                    shape: user,
                    width: i,
                },
                _ => SeqRef {
                    data: &prev[..rows * dh],
                    shape: inner,
                    width: dh,
                },
            };
            let sink = if last { None } else { Some(out(next)) };
            (
                src,
                sink,
                rec,
                &mut ring[..],
                LayerStore::Infer {
                    proj,
                    xin,
                    extra,
                    hcell,
                    chunk: *chunk,
                },
            )
        }
    };
    let sink = sink.unwrap_or(SeqMut {
        data: y,
        shape: user,
        width: dh,
    });
    LayerIo {
        src,
        sink,
        rec,
        ring,
        store,
    }
}

/// One layer/direction over the whole sequence: projections, then the steps in the
/// direction's order, each followed by writing its states to the layer output.
fn run_direction(
    pool: &dyn Parallel,
    ctx: &Ctx<'_>,
    dir: usize,
    p: &DirParams<'_>,
    io: &mut LayerIo<'_>,
    hs: &mut [f32],
    cs: &mut [f32],
) -> CoreResult<()> {
    let LayerIo {
        src,
        sink,
        rec,
        ring,
        store,
    } = io;
    // The skip history before the first step is the initial state.
    super::skip::ring_start(ring, ctx.batch * ctx.hidden, hs);
    match store {
        LayerStore::Train(records, hmask) => {
            let bh = ctx.batch * ctx.state;
            let hmask = hmask
                .as_mut()
                .map(|(m, s)| (&m[dir * bh..(dir + 1) * bh], &mut **s));
            // The tape's layer inputs are time-major: [T*B, I_l] . W_ih^T -> [T*B, GH].
            let xs = &src.data[..ctx.seq_len * ctx.batch * src.width];
            let seg = 0..ctx.seq_len;
            record_segment(
                pool,
                ctx,
                dir,
                p,
                &mut records[dir],
                xs,
                seg,
                rec,
                Some(sink),
                hs,
                cs,
                ring,
                hmask,
            )
        }
        LayerStore::Infer {
            proj,
            xin,
            extra,
            hcell,
            chunk,
        } => {
            let bufs = InferBufs {
                proj,
                xin,
                extra,
                rec,
                hcell,
                chunk: *chunk,
                ring,
            };
            infer_direction(pool, ctx, dir, p, src, sink, bufs, hs, cs)
        }
    }
}
