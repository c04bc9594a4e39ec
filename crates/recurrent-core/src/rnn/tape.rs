//! Memory of the drivers, sized once from (spec, max seq_len, max batch): the training
//! [`Tape`] (what BPTT needs) and the inference [`InferScratch`]. Nothing is allocated inside
//! a call.

use super::cells;
use super::check;
use super::dropout::Dropout;
use super::seq::Layout;
use super::spec::{product, StackSpec};
use crate::error::{CoreError, CoreResult};
use crate::mem;

/// Where a [`Tape`] is in its life: backward reuses the recorded activations as gradient
/// storage, so a tape serves one backward per forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TapeState {
    /// Nothing recorded yet, or the last forward failed half-way.
    Empty,
    /// A forward was recorded: backward may run.
    Recorded,
    /// Backward ran and overwrote the record.
    Consumed,
}

/// What one layer/direction records, `rows = T*B` rows each, time-major.
#[derive(Debug)]
pub(crate) struct DirTape {
    /// `[rows, G*H]`: input projections, then gate activations; after backward the gradients
    /// of the gate pre-activations.
    pub act: Vec<f32>,
    /// `[rows, extra*H]`: the cell's kept vector (see `cells::CellInfo::extra`).
    pub extra: Vec<f32>,
    /// `[rows, P]`: `h_{t-1}` of every step (P = H without a projection).
    pub hprev: Vec<f32>,
    /// `[rows, H]`: `c_{t-1}` of every step (empty without cell state).
    pub cprev: Vec<f32>,
    /// With a projection: `[rows, H]` `o_t * tanh(c_t)`, the state before `W_hr`; empty
    /// without.
    pub hcell: Vec<f32>,
    /// With a projection: `[rows, P]` written by backward, the complete `dL/dh_t` of every
    /// step (what `dW_hr` needs); empty without.
    pub dproj: Vec<f32>,
    /// `[rows, H]`: the skip source `h_{t-d}` of every step (empty without a skip
    /// connection): `dW_skip` needs it.
    pub hskip: Vec<f32>,
}

/// Everything backward through time needs from a training forward, plus its scratch.
///
/// A full tape ([`Tape::new`]) records every step. Size in floats, with `R = T*B`, `E` the
/// cell's kept `[H]` vectors per row (0 or 1) and `C` = 1 with a cell state, else 0:
/// `R*I + L*D*R*(G*H + E*H + H + C*H) + (L-1)*R*D*H + B*(G*H + H + C*H)`, plus `B*H` for the
/// reset-before GRU ([`Tape::floats`] computes it); with a projection (`proj_size` P) the `h`
/// parts are P wide, each record adds `R*(H + P)` (`o * tanh(c)` and the gradients of `h`),
/// and the scratch `(B + 1)*H`; with a skip connection of delay d (plain RNNs, so P = H) it
/// adds `L*D*R*H + 2*m*B*H`, `m = min(d, T+1)` (the skip sources, the forward and backward
/// rings of `skip.rs`). A forward with variational dropout adds
/// its masks and their scratch, `B*(I + (L-1)*D*H + L*D*H + 2*H)`, made at the first such
/// forward and kept (the one allocation inside a call; an out-of-memory error then, before
/// anything is written). A tape built for (T, B) also serves any
/// smaller sequence length and batch.
///
/// A checkpointed tape ([`Tape::checkpointed`], unidirectional stacks) keeps, per layer, only
/// the state at the start of every segment of `k` steps, and one record of `k` steps that the
/// layers share: backward recomputes each segment from its state, last segment first, and goes
/// back through it (layer by layer, top first). With `K = k*B` and `S = ceil(T/k)` segments:
/// `K*I + K*(G*H + E*H + H + C*H) + (L-1)*R*H + L*S*B*H*(1 + C) + B*(G*H + H + C*H)` (plus
/// `B*H` for the reset-before GRU, with a skip connection `K*H + 2*m*B*H + L*S*m*B*H`: the
/// forward ring is kept at every segment's start too, and the dropout masks as above;
/// [`Tape::checkpointed_floats`]). Backward needs the forward's
/// input `x` again (it is not copied), and about one more forward of compute.
#[derive(Debug)]
pub struct Tape {
    pub(crate) spec: StackSpec,
    pub(crate) max_seq_len: usize,
    pub(crate) max_batch: usize,
    /// Steps per segment of a checkpointed tape; 0 for a full tape.
    pub(crate) checkpoint_every: usize,
    /// Shape of the recorded forward.
    pub(crate) seq_len: usize,
    pub(crate) batch: usize,
    pub(crate) layout: Layout,
    pub(crate) lengths: Vec<u32>,
    pub(crate) has_lengths: bool,
    pub(crate) state: TapeState,
    /// Dropout of the recorded forward: backward applies the same masks to the gradients.
    pub(crate) dropout: Dropout,
    /// Full: `[R, I]`: layer 0's input, time-major, padded steps zeroed (so non-finite padding
    /// cannot reach the weight gradients); after backward: `dL/dx`, time-major. Checkpointed:
    /// `[K, I]`, the same for one segment at a time.
    pub(crate) x: Vec<f32>,
    /// Full: `L*D` records, index `l*D + d`. Checkpointed: one record of `k` steps.
    pub(crate) dirs: Vec<DirTape>,
    /// `L-1` buffers `[R, D*H]`: layer l's output (layer l+1's input, after dropout). Backward
    /// overwrites layer l's with the gradient of that output once layer l+1 is done with it.
    pub(crate) outs: Vec<Vec<f32>>,
    /// Checkpointed: `[L, S, B, H]` the states `h` (and `c`) at the start of each segment.
    pub(crate) ck_h: Vec<f32>,
    pub(crate) ck_c: Vec<f32>,
    /// Checkpointed, with a skip connection: `[L, S, d, B, H]` the forward ring at the start
    /// of each segment.
    pub(crate) ck_ring: Vec<f32>,
    /// With a skip connection: `[d, B, H]` the forward ring and the backward one of pending
    /// gradients (`skip.rs`); empty otherwise.
    pub(crate) ring: Vec<f32>,
    pub(crate) dring: Vec<f32>,
    /// `[B, G*H]` recurrent products of one step.
    pub(crate) rec: Vec<f32>,
    /// `[B, H]` gradients carried between steps (h, c) and the reset-before `d(r*h)`.
    pub(crate) dh: Vec<f32>,
    pub(crate) dc: Vec<f32>,
    pub(crate) drh: Vec<f32>,
    /// With a projection, backward's `[B, H]` `dL/d(o * tanh(c))` of one step and `[H]` zeros;
    /// empty without.
    pub(crate) pscr: Vec<f32>,
    /// The variational dropout masks of the recorded forward (see `dropout`): per layer its
    /// input mask `[B, I_l]`, one after the other, then per layer and direction the recurrent
    /// mask `[B, H]` (index `l*D + d`). Values 0 or `1 / (1 - p)`. Empty until a forward uses
    /// them ([`Tape::ensure_masks`]).
    pub(crate) masks: Vec<f32>,
    /// `[B, H]` scratch of the recurrent dropout: `m * h_{t-1}`, and the masked part of
    /// `dh_{t-1}` in backward.
    pub(crate) hm: Vec<f32>,
    pub(crate) dhm: Vec<f32>,
}

/// Sizes of one tape's parts, with overflow checks.
struct TapeSizes {
    /// Records per tape: `L*D` (full) or 1 (checkpointed).
    records: usize,
    /// Checkpointed: floats of the segment states, `L*S*B*H` each for h and c.
    ck_h: usize,
    ck_c: usize,
    ck_ring: usize,
    /// `[d, B, H]` with a skip connection, else 0.
    ring: usize,
    /// `[rows, H]` skip sources per record, with a skip connection.
    hskip: usize,
    x: usize,
    act: usize,
    extra: usize,
    hidden: usize,
    cprev: usize,
    /// Projection only: the records' `hcell` and `dproj`, and the scratch.
    hcell: usize,
    dproj: usize,
    pscr: usize,
    out: usize,
    rec: usize,
    row: usize,
    dc: usize,
    drh: usize,
}

impl TapeSizes {
    /// Sizes of a tape for (spec, seq_len, batch); `checkpoint_every` 0: full, else the steps
    /// of a segment.
    fn new(
        op: &'static str,
        spec: &StackSpec,
        seq_len: usize,
        batch: usize,
        checkpoint_every: usize,
    ) -> CoreResult<Self> {
        spec.validate()?;
        if seq_len == 0 {
            return Err(CoreError::new(op, "seq_len", "at least 1", "0"));
        }
        if batch == 0 {
            return Err(CoreError::new(op, "batch", "at least 1", "0"));
        }
        let info = cells::info(spec.kind);
        let h = spec.hidden_size;
        let p = spec.state_size();
        let has_p = usize::from(spec.proj_size > 0);
        let rows = product(op, "seq_len", &[seq_len, batch])?;
        let has_c = usize::from(info.has_c);
        // Rows of the records and of the layer-0 input copy: all steps, or one segment.
        let (recorded, records, segments) = if checkpoint_every == 0 {
            (rows, spec.state_count(), 0)
        } else {
            let k = checkpoint_every.min(seq_len);
            (k * batch, 1, seq_len.div_ceil(k))
        };
        let states = product(op, "seq_len", &[spec.num_layers, segments, batch, h])?;
        let states_p = product(op, "seq_len", &[spec.num_layers, segments, batch, p])?;
        let slots = super::skip::ring_slots(spec.skip, seq_len);
        let ring = product(op, "skip", &[slots, batch, h])?;
        Ok(Self {
            records,
            ck_h: states_p,
            ck_c: states * has_c,
            ck_ring: product(op, "skip", &[states, slots])?,
            ring,
            hskip: product(op, "seq_len", &[recorded, usize::from(spec.skip > 0), h])?,
            x: product(op, "seq_len", &[recorded, spec.input_size])?,
            act: product(op, "seq_len", &[recorded, info.gates, h])?,
            extra: product(op, "seq_len", &[recorded, info.extra, h])?,
            hidden: product(op, "seq_len", &[recorded, p])?,
            cprev: product(op, "seq_len", &[recorded, has_c, h])?,
            hcell: product(op, "seq_len", &[recorded, has_p, h])?,
            dproj: product(op, "seq_len", &[recorded, has_p, p])?,
            pscr: product(op, "batch", &[batch + 1, has_p, h])?,
            out: product(op, "seq_len", &[rows, spec.output_size()])?,
            rec: product(op, "batch", &[batch, info.gates, h])?,
            row: product(op, "batch", &[batch, p])?,
            dc: product(op, "batch", &[batch, has_c, h])?,
            drh: if info.recurrence == cells::Recurrence::ResetBefore {
                product(op, "batch", &[batch, h])?
            } else {
                0
            },
        })
    }

    /// The exact number of floats of a tape, with an overflow check.
    fn total(&self, op: &'static str, spec: &StackSpec) -> CoreResult<usize> {
        let per_dir = [
            self.act,
            self.extra,
            self.hidden,
            self.cprev,
            self.hcell,
            self.dproj,
            self.hskip,
        ]
        .iter()
        .try_fold(0usize, |a, &v| a.checked_add(v));
        let dirs = per_dir.and_then(|p| p.checked_mul(self.records));
        let outs = self.out.checked_mul(spec.num_layers - 1);
        let scratch = [
            self.rec,
            self.row,
            self.dc,
            self.drh,
            self.ck_h,
            self.ck_c,
            self.pscr,
            self.ck_ring,
            self.ring,
            self.ring,
        ]
        .iter()
        .try_fold(0usize, |a, &v| a.checked_add(v));
        [Some(self.x), dirs, outs, scratch]
            .into_iter()
            .try_fold(0usize, |a, v| v.and_then(|v| a.checked_add(v)))
            .and_then(|t| t.checked_mul(std::mem::size_of::<f32>()).map(|_| t))
            .ok_or_else(|| CoreError::new(op, "seq_len", "a tape that fits in memory", "too large"))
    }
}

impl Tape {
    /// A full tape for forwards of up to `max_seq_len` steps and `max_batch` sequences.
    pub fn new(spec: &StackSpec, max_seq_len: usize, max_batch: usize) -> CoreResult<Self> {
        Self::make("Tape::new", spec, max_seq_len, max_batch, 0)
    }

    /// A checkpointed tape (see [`Tape`]): segments of `checkpoint_every` steps, for
    /// unidirectional stacks. Backward needs the forward's input again
    /// ([`super::SeqGradInput::x`]).
    pub fn checkpointed(
        spec: &StackSpec,
        max_seq_len: usize,
        max_batch: usize,
        checkpoint_every: usize,
    ) -> CoreResult<Self> {
        const OP: &str = "Tape::checkpointed";
        check_checkpointable(OP, spec, checkpoint_every)?;
        Self::make(OP, spec, max_seq_len, max_batch, checkpoint_every)
    }

    fn make(
        op: &'static str,
        spec: &StackSpec,
        max_seq_len: usize,
        max_batch: usize,
        checkpoint_every: usize,
    ) -> CoreResult<Self> {
        let s = TapeSizes::new(op, spec, max_seq_len, max_batch, checkpoint_every)?;
        s.total(op, spec)?;
        let z = |n: usize| mem::zeros::<f32>(op, "tape", n);
        let mut dirs = mem::with_capacity(op, "tape", s.records)?;
        for _ in 0..s.records {
            dirs.push(DirTape {
                act: z(s.act)?,
                extra: z(s.extra)?,
                hprev: z(s.hidden)?,
                cprev: z(s.cprev)?,
                hcell: z(s.hcell)?,
                dproj: z(s.dproj)?,
                hskip: z(s.hskip)?,
            });
        }
        let mut outs = mem::with_capacity(op, "tape", spec.num_layers - 1)?;
        for _ in 1..spec.num_layers {
            outs.push(z(s.out)?);
        }
        Ok(Self {
            spec: *spec,
            max_seq_len,
            max_batch,
            checkpoint_every,
            seq_len: 0,
            batch: 0,
            layout: Layout::TimeMajor,
            lengths: mem::zeros(op, "tape", max_batch)?,
            has_lengths: false,
            state: TapeState::Empty,
            dropout: Dropout::NONE,
            x: z(s.x)?,
            dirs,
            outs,
            ck_h: z(s.ck_h)?,
            ck_c: z(s.ck_c)?,
            ck_ring: z(s.ck_ring)?,
            ring: z(s.ring)?,
            dring: z(s.ring)?,
            rec: z(s.rec)?,
            dh: z(s.row)?,
            dc: z(s.dc)?,
            drh: z(s.drh)?,
            pscr: z(s.pscr)?,
            masks: Vec::new(),
            hm: Vec::new(),
            dhm: Vec::new(),
        })
    }

    /// Makes the variational dropout's masks and scratch for the tape's largest batch, once
    /// (fallibly: an error, nothing changed, when memory is short).
    pub(crate) fn ensure_masks(&mut self, op: &'static str) -> CoreResult<()> {
        if !self.masks.is_empty() {
            return Ok(());
        }
        let n = mask_len(op, &self.spec, self.max_batch)?;
        let row = product(op, "batch", &[self.max_batch, self.spec.state_size()])?;
        let masks = mem::zeros::<f32>(op, "dropout masks", n)?;
        let hm = mem::zeros::<f32>(op, "dropout masks", row)?;
        let dhm = mem::zeros::<f32>(op, "dropout masks", row)?;
        (self.masks, self.hm, self.dhm) = (masks, hm, dhm);
        Ok(())
    }

    /// Number of `f32` a full tape for (spec, max_seq_len, max_batch) holds, for budgeting.
    pub fn floats(spec: &StackSpec, max_seq_len: usize, max_batch: usize) -> CoreResult<usize> {
        const OP: &str = "Tape::floats";
        TapeSizes::new(OP, spec, max_seq_len, max_batch, 0)?.total(OP, spec)
    }

    /// Number of `f32` a checkpointed tape for (spec, max_seq_len, max_batch, k) holds.
    pub fn checkpointed_floats(
        spec: &StackSpec,
        max_seq_len: usize,
        max_batch: usize,
        checkpoint_every: usize,
    ) -> CoreResult<usize> {
        const OP: &str = "Tape::checkpointed_floats";
        check_checkpointable(OP, spec, checkpoint_every)?;
        TapeSizes::new(OP, spec, max_seq_len, max_batch, checkpoint_every)?.total(OP, spec)
    }

    /// Number of `f32` this tape holds.
    pub fn len_floats(&self) -> usize {
        let dirs: usize = self
            .dirs
            .iter()
            .map(|d| {
                d.act.len()
                    + d.extra.len()
                    + d.hprev.len()
                    + d.cprev.len()
                    + d.hcell.len()
                    + d.dproj.len()
                    + d.hskip.len()
            })
            .sum();
        let outs: usize = self.outs.iter().map(Vec::len).sum();
        let scratch = self.rec.len()
            + self.dh.len()
            + self.dc.len()
            + self.drh.len()
            + self.pscr.len()
            + self.masks.len()
            + self.hm.len()
            + self.dhm.len();
        let skip = self.ring.len() + self.dring.len() + self.ck_ring.len();
        self.x.len() + dirs + outs + self.ck_h.len() + self.ck_c.len() + scratch + skip
    }

    /// Number of `f32` of the states a checkpointed tape keeps per segment (part of
    /// [`Tape::len_floats`]; 0 for a full tape): `L*S*B*H*(1 + C)`, what checkpointing keeps
    /// on top of its `k`-step record (and with a skip connection the rings, `L*S*d*B*H`).
    pub fn checkpoint_floats(&self) -> usize {
        self.ck_h.len() + self.ck_c.len() + self.ck_ring.len()
    }

    /// Steps per segment of a checkpointed tape; 0 for a full tape.
    pub fn checkpoint_every(&self) -> usize {
        self.checkpoint_every
    }

    /// The stack this tape records.
    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }

    /// Largest sequence length it can record.
    pub fn max_seq_len(&self) -> usize {
        self.max_seq_len
    }

    /// Largest batch it can record.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// Drops the recorded forward, if any: a backward without a new forward is then an error.
    /// (For callers that keep several tapes of one stack and record into one of them.)
    pub fn forget(&mut self) {
        self.state = TapeState::Empty;
    }

    /// Whether a forward is recorded and backward has not consumed it yet.
    pub fn is_recorded(&self) -> bool {
        self.state == TapeState::Recorded
    }

    /// Checks that a forward of this shape fits (used by `forward_train`).
    pub(crate) fn check_fits(
        &self,
        op: &'static str,
        spec: &StackSpec,
        seq_len: usize,
        batch: usize,
    ) -> CoreResult<()> {
        check_sized_for(
            op,
            "tape",
            &self.spec,
            self.max_seq_len,
            self.max_batch,
            spec,
            seq_len,
            batch,
        )
    }
}

/// Floats of the variational dropout masks for `batch` rows: `B*(I + (L-1)*D*H + L*D*H)`.
pub(crate) fn mask_len(op: &'static str, spec: &StackSpec, batch: usize) -> CoreResult<usize> {
    let inputs = product(
        op,
        "batch",
        &[batch, spec.num_layers - 1, spec.output_size()],
    )?;
    let first = product(op, "batch", &[batch, spec.input_size])?;
    let rec = product(op, "batch", &[batch, spec.state_count(), spec.state_size()])?;
    first
        .checked_add(inputs)
        .and_then(|n| n.checked_add(rec))
        .ok_or_else(|| CoreError::new(op, "batch", "a tape that fits in memory", "too large"))
}

/// Where layer `l`'s input mask `[B, I_l]` is in the masks of `batch` rows.
pub(crate) fn input_mask_range(spec: &StackSpec, l: usize, batch: usize) -> std::ops::Range<usize> {
    let start = match l {
        0 => 0,
        _ => batch * (spec.input_size + (l - 1) * spec.output_size()),
    };
    start..start + batch * spec.layer_input_size(l)
}

/// Where the recurrent mask `[B, H]` of layer `l`, direction `d` is in the masks of `batch` rows.
pub(crate) fn recurrent_mask_range(
    spec: &StackSpec,
    l: usize,
    d: usize,
    batch: usize,
) -> std::ops::Range<usize> {
    let inputs = input_mask_range(spec, spec.num_layers - 1, batch).end;
    let bh = batch * spec.state_size();
    let start = inputs + (l * spec.directions() + d) * bh;
    start..start + bh
}

/// Scratch of an inference forward: no per-step record, only one chunk of input projections
/// (`[chunk*B, G*H]`, `chunk = min(T, ceil(256 / B))` steps, so the projection GEMM keeps at
/// least 256 rows) and of gathered batch-major input (`[chunk*B, I]`), one step's recurrent
/// product and kept vectors, and the outputs of the layers below the last (`[T*B, D*H]`, two
/// at most, reused alternately).
#[derive(Debug)]
pub struct InferScratch {
    pub(crate) spec: StackSpec,
    pub(crate) max_seq_len: usize,
    pub(crate) max_batch: usize,
    pub(crate) chunk: usize,
    pub(crate) proj: Vec<f32>,
    pub(crate) rec: Vec<f32>,
    pub(crate) extra: Vec<f32>,
    /// `[B, H]` `o * tanh(c)` of one step with a projection; empty without.
    pub(crate) hcell: Vec<f32>,
    /// `[chunk*B, I]` a chunk of batch-major input gathered time-major (the layout is chosen
    /// per call, so it is always there).
    pub(crate) xin: Vec<f32>,
    pub(crate) layers: [Vec<f32>; 2],
    /// `[d, B, H]` the forward ring of a skip connection (`skip.rs`); empty without.
    pub(crate) ring: Vec<f32>,
    /// The reverse direction's buffers when both directions run at once (`dir_pair.rs`):
    /// made on the first such call.
    pub(crate) pair: Option<super::dir_pair::PairScratch>,
}

/// Rows of input projection worth one GEMM: enough to amortise packing the weights.
const CHUNK_ROWS: usize = 256;

impl InferScratch {
    /// Scratch for inference forwards of up to `max_seq_len` steps and `max_batch` sequences.
    pub fn new(spec: &StackSpec, max_seq_len: usize, max_batch: usize) -> CoreResult<Self> {
        const OP: &str = "InferScratch::new";
        let s = TapeSizes::new(OP, spec, max_seq_len, max_batch, 0)?;
        let info = cells::info(spec.kind);
        let h = spec.hidden_size;
        let chunk = CHUNK_ROWS.div_ceil(max_batch).min(max_seq_len);
        let proj = product(OP, "batch", &[chunk, s.rec])?;
        let extra = product(OP, "batch", &[max_batch, info.extra, h])?;
        let xin = product(OP, "batch", &[chunk, max_batch, spec.input_size])?;
        let z = |n: usize| mem::zeros::<f32>(OP, "inference scratch", n);
        let layer = |needed: bool| z(if needed { s.out } else { 0 });
        Ok(Self {
            spec: *spec,
            max_seq_len,
            max_batch,
            chunk,
            proj: z(proj)?,
            rec: z(s.rec)?,
            extra: z(extra)?,
            hcell: z(if spec.proj_size > 0 { max_batch * h } else { 0 })?,
            xin: z(xin)?,
            layers: [layer(spec.num_layers >= 2)?, layer(spec.num_layers >= 3)?],
            ring: z(s.ring)?,
            pair: None,
        })
    }

    /// The stack this scratch serves.
    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }

    /// The longest sequence it serves.
    pub fn max_seq_len(&self) -> usize {
        self.max_seq_len
    }

    /// The largest batch it serves.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    pub(crate) fn check_fits(
        &self,
        op: &'static str,
        spec: &StackSpec,
        seq_len: usize,
        batch: usize,
    ) -> CoreResult<()> {
        check_sized_for(
            op,
            "scratch",
            &self.spec,
            self.max_seq_len,
            self.max_batch,
            spec,
            seq_len,
            batch,
        )
    }
}

/// Fails unless `checkpoint_every` is at least 1 and the stack is unidirectional (a reverse
/// direction starts from the end, so it cannot be recomputed segment by segment from the
/// front).
fn check_checkpointable(op: &'static str, spec: &StackSpec, k: usize) -> CoreResult<()> {
    if k == 0 {
        return Err(CoreError::new(op, "checkpoint_every", "at least 1", "0"));
    }
    if spec.bidirectional {
        return Err(CoreError::new(
            op,
            "spec",
            "a unidirectional stack (checkpointing recomputes segments front to back)",
            "a bidirectional one",
        ));
    }
    Ok(())
}

/// Fails unless a buffer made for (`made_for`, `max_seq_len`, `max_batch`) can serve a call of
/// `spec` over `seq_len` steps of `batch` sequences; `what` names the buffer.
fn check_sized_for(
    op: &'static str,
    what: &'static str,
    made_for: &StackSpec,
    max_seq_len: usize,
    max_batch: usize,
    spec: &StackSpec,
    seq_len: usize,
    batch: usize,
) -> CoreResult<()> {
    if spec != made_for {
        return Err(CoreError::new(
            op,
            what,
            format_args!("a {what} made for {spec:?}"),
            format_args!("one made for {made_for:?}"),
        ));
    }
    check::in_range(op, "seq_len", seq_len, max_seq_len)?;
    check::in_range(op, "batch", batch, max_batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rnn::CellKind;

    fn allocated(t: &Tape) -> usize {
        t.len_floats()
    }

    #[test]
    fn floats_is_the_documented_formula_and_what_is_allocated() {
        let spec = StackSpec {
            kind: CellKind::Lstm,
            input_size: 4,
            hidden_size: 5,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        // R = 6: R*I + L*D*R*(GH + EH + H + CH) + (L-1)*R*D*H + B*(GH + H + CH)
        let formula = 6 * 4 + 4 * 6 * (20 + 5 + 5 + 5) + 6 * 10 + 2 * (20 + 5 + 5);
        assert_eq!(Tape::floats(&spec, 3, 2), Ok(formula));
        for kind in CellKind::ALL {
            let spec = StackSpec { kind, ..spec };
            let tape = Tape::new(&spec, 3, 2).expect("tape");
            assert_eq!(Tape::floats(&spec, 3, 2), Ok(allocated(&tape)), "{kind:?}");
        }
    }

    #[test]
    fn checkpointed_floats_is_the_documented_formula_and_what_is_allocated() {
        let spec = StackSpec {
            kind: CellKind::Lstm,
            input_size: 4,
            hidden_size: 5,
            num_layers: 2,
            bidirectional: false,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        // T = 7, B = 2, k = 3: K = 6, S = 3, R = 14.
        // K*I + K*(GH + EH + H + CH) + (L-1)*R*H + L*S*B*H*(1 + C) + B*(GH + H + CH)
        let formula = 6 * 4 + 6 * (20 + 5 + 5 + 5) + 14 * 5 + 2 * 3 * 2 * 5 * 2 + 2 * (20 + 5 + 5);
        assert_eq!(Tape::checkpointed_floats(&spec, 7, 2, 3), Ok(formula));
        for kind in CellKind::ALL {
            let spec = StackSpec { kind, ..spec };
            let tape = Tape::checkpointed(&spec, 7, 2, 3).expect("tape");
            assert_eq!(
                Tape::checkpointed_floats(&spec, 7, 2, 3),
                Ok(allocated(&tape)),
                "{kind:?}"
            );
        }
        let bi = StackSpec {
            bidirectional: true,
            ..spec
        };
        assert!(Tape::checkpointed(&bi, 7, 2, 3).is_err());
        assert!(Tape::checkpointed(&spec, 7, 2, 0).is_err());
    }
}
