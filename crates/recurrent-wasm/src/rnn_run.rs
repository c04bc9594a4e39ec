//! The exports that run a stack: forward over a sequence (inference or training, with dropout
//! and checkpointing), BPTT, and the streaming step. Each call is a whole stack over a whole
//! sequence (or one whole step); the stack itself and its parameters are `rnn.rs`'s.

use recurrent_core::rnn::{
    self, Dropout, InferScratch, Layout, SeqGradDiagnostics, SeqGradInput, SeqGradOutput, SeqInput,
    SeqOutput, StackSpec, StepScratch, Tape,
};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::js_input::u32s;
use crate::registry::Handle;
use crate::rnn::with_stack;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_mut_opt, prefix_opt};

fn layout_of(batch_major: bool) -> Layout {
    if batch_major {
        Layout::BatchMajor
    } else {
        Layout::TimeMajor
    }
}

/// Forward over a sequence: `x` (`[T,B,I]`, or `[B,T,I]` when `batch_major`) into `y`,
/// `h_n`, `c_n` (LSTM family; 0 otherwise). `h0`, `c0`: 0 for zeros. `lengths`: a
/// `Uint32Array`, empty for all T. With `train`, records what `rnn_backward` needs.
#[wasm_bindgen]
pub fn rnn_forward(
    handle: Handle,
    train: bool,
    batch_major: bool,
    seq_len: u32,
    batch: u32,
    x: Handle,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] lengths: JsValue,
    h0: Handle,
    c0: Handle,
    y: Handle,
    h_n: Handle,
    c_n: Handle,
) -> Result<(), JsError> {
    let mode = if train {
        Mode::Train(Dropout::NONE, 0)
    } else {
        Mode::Infer
    };
    let buffers = [x, h0, c0, y, h_n, c_n];
    forward_any(
        "rnn_forward",
        handle,
        mode,
        layout_of(batch_major),
        seq_len,
        batch,
        &lengths,
        buffers,
        None,
    )
}

/// What a forward records: nothing (inference), or a tape with dropout and a segment length
/// (0: a full tape).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Infer,
    Train(Dropout, usize),
}

/// The forwards of `rnn_forward` and `rnn_train_forward`; `buffers` are x, h0, c0, y, h_n, c_n;
/// `masks` (tests only) a buffer of the variational dropout masks to use instead of drawing them.
pub(crate) fn forward_any(
    op: &'static str,
    handle: Handle,
    mode: Mode,
    layout: Layout,
    seq_len: u32,
    batch: u32,
    lengths: &JsValue,
    [x, h0, c0, y, h_n, c_n]: [Handle; 6],
    masks: Option<Handle>,
) -> Result<(), JsError> {
    let lengths = u32s(op, "lengths", lengths)?;
    ensure_distinct(
        op,
        &[("y", y), ("h_n", h_n), ("c_n", c_n)],
        &[
            ("x", x),
            ("h0", h0),
            ("c0", c0),
            ("masks", masks.unwrap_or(0.0)),
        ],
    )?;
    let (t, b) = (seq_len as usize, batch as usize);
    let mut y = Taken::take(y)?;
    let mut h_n = Taken::take(h_n)?;
    let mut c_n = Taken::take_opt(c_n)?;
    with_stack(handle, |s| {
        let sizes = Sizes::of(&s.spec, t, b, op)?;
        with_buffers(|reg| {
            let input = SeqInput {
                layout,
                seq_len: t,
                batch: b,
                x: prefix(reg, x, sizes.x, op, "x")?,
                lengths: (!lengths.is_empty()).then_some(&lengths[..]),
                h0: prefix_opt(reg, h0, sizes.states, op, "h0")?,
                c0: prefix_opt(reg, c0, sizes.c_states, op, "c0")?,
            };
            let output = SeqOutput {
                y: prefix_mut(&mut y, sizes.y, op, "y")?,
                h_n: prefix_mut(&mut h_n, sizes.states, op, "h_n")?,
                c_n: prefix_mut_opt(&mut c_n, sizes.c_states, op, "c_n")?,
            };
            let params = prefix(reg, s.params, s.len, op, "params")?;
            let pool = recurrent_core::default_pool();
            let Mode::Train(dropout, k) = mode else {
                let scratch = fitting_scratch(&mut s.infer, &s.spec, t, b)?;
                return rnn::forward_infer(pool, &s.spec, params, &input, output, scratch)
                    .map_err(from_core);
            };
            let (slot, other) = match k {
                0 => (&mut s.tape, &mut s.ck_tape),
                _ => (&mut s.ck_tape, &mut s.tape),
            };
            // Backward goes through the tape of the last training forward only.
            if let Some(other) = other.as_mut() {
                other.forget();
            }
            let tape = fitting_tape(slot, &s.spec, t, b, k)?;
            let masks = masks.map(|m| reg.get(m).map(|v| &v[..])).transpose()?;
            rnn::forward_train_masked(pool, &s.spec, params, &input, output, tape, dropout, masks)
                .map_err(from_core)?;
            s.recorded = (t, b);
            Ok(())
        })
    })
}

/// Element counts of a stack's sequence tensors for T steps of B sequences.
struct Sizes {
    x: usize,
    y: usize,
    /// `h` states `[L*D, B, P]`; `c` states `[L*D, B, H]` (P = H without a projection).
    states: usize,
    c_states: usize,
}

impl Sizes {
    fn of(spec: &StackSpec, t: usize, b: usize, op: &str) -> Result<Self, JsError> {
        let too_big = || {
            abi_error(
                Kind::InvalidArgument,
                format_args!("{op}: {t} steps x {b} sequences is too large"),
            )
        };
        let rows = t.checked_mul(b).ok_or_else(too_big)?;
        Ok(Self {
            x: rows.checked_mul(spec.input_size).ok_or_else(too_big)?,
            y: rows.checked_mul(spec.output_size()).ok_or_else(too_big)?,
            states: b
                .checked_mul(spec.state_count() * spec.state_size())
                .ok_or_else(too_big)?,
            c_states: b
                .checked_mul(spec.state_count() * spec.hidden_size)
                .ok_or_else(too_big)?,
        })
    }
}

/// The stack's tape, regrown when this T x B does not fit (validated before allocating);
/// `checkpoint_every` 0: a full tape, else a checkpointed one with segments of that many steps.
fn fitting_tape<'a>(
    slot: &'a mut Option<Tape>,
    spec: &StackSpec,
    t: usize,
    b: usize,
    checkpoint_every: usize,
) -> Result<&'a mut Tape, JsError> {
    let fits = slot.as_ref().is_some_and(|tape| {
        tape.max_seq_len() >= t
            && tape.max_batch() >= b
            && tape.checkpoint_every() == checkpoint_every
    });
    if !fits {
        // Drop the old tape first so its memory can be reused for the new one.
        *slot = None;
        let tape = match checkpoint_every {
            0 => Tape::new(spec, t, b),
            k => Tape::checkpointed(spec, t, b, k),
        };
        *slot = Some(tape.map_err(from_core)?);
    }
    slot.as_mut()
        .ok_or_else(|| abi_error(Kind::OutOfMemory, format_args!("tape")))
}

fn fitting_scratch<'a>(
    slot: &'a mut Option<InferScratch>,
    spec: &StackSpec,
    t: usize,
    b: usize,
) -> Result<&'a mut InferScratch, JsError> {
    let fits = slot
        .as_ref()
        .is_some_and(|s| s.max_seq_len() >= t && s.max_batch() >= b);
    if !fits {
        // Drop the old scratch first so its memory can be reused.
        *slot = None;
        *slot = Some(InferScratch::new(spec, t, b).map_err(from_core)?);
    }
    slot.as_mut()
        .ok_or_else(|| abi_error(Kind::OutOfMemory, format_args!("scratch")))
}

/// BPTT over the last training forward: `gy` shaped like `y`; `ghn`, `gcn` 0 for zeros.
/// Parameter gradients are ACCUMULATED into the stack's gradients; `gx`, `gh0`, `gc0` are
/// overwritten when non-zero. `step_norms` (0: not wanted) receives `[L, D, T]`, the L2 norm
/// over batch and units of `dL/dh_t` per layer, direction and step (core's
/// `SeqGradDiagnostics` says exactly what).
#[wasm_bindgen]
pub fn rnn_backward(
    handle: Handle,
    gy: Handle,
    ghn: Handle,
    gcn: Handle,
    gx: Handle,
    gh0: Handle,
    gc0: Handle,
    step_norms: Handle,
) -> Result<(), JsError> {
    backward_any(
        "rnn_backward",
        handle,
        0.0,
        [gy, ghn, gcn],
        [gx, gh0, gc0, step_norms],
    )
}

/// BPTT over whichever tape the last training forward recorded into; `x` (0: none) is the
/// forward's input, which a checkpointed tape needs.
fn backward_any(
    op: &'static str,
    handle: Handle,
    x: Handle,
    [gy, ghn, gcn]: [Handle; 3],
    [gx, gh0, gc0, step_norms]: [Handle; 4],
) -> Result<(), JsError> {
    ensure_distinct(
        op,
        &[
            ("gx", gx),
            ("gh0", gh0),
            ("gc0", gc0),
            ("step_norms", step_norms),
        ],
        &[("gy", gy), ("ghn", ghn), ("gcn", gcn), ("x", x)],
    )?;
    let mut gx = Taken::take_opt(gx)?;
    let mut gh0 = Taken::take_opt(gh0)?;
    let mut gc0 = Taken::take_opt(gc0)?;
    let mut norms = Taken::take_opt(step_norms)?;
    with_stack(handle, |s| {
        let (t, b) = s.recorded;
        let sizes = Sizes::of(&s.spec, t, b, op)?;
        let norms_len = s.spec.state_count() * t;
        let mut grads = Taken::take(s.grads)?;
        // The recorded tape: the checkpointed one if it holds the last forward.
        let tape = match (s.ck_tape.as_mut(), s.tape.as_mut()) {
            (Some(ck), _) if ck.is_recorded() => ck,
            (_, Some(full)) => full,
            (Some(ck), None) => ck,
            (None, None) => {
                return Err(abi_error(
                    Kind::InvalidArgument,
                    format_args!(
                        "{op}: no training forward was recorded (call forward with train first)"
                    ),
                ))
            }
        };
        with_buffers(|reg| {
            let input = SeqGradInput {
                gy: prefix(reg, gy, sizes.y, op, "gy")?,
                ghn: prefix_opt(reg, ghn, sizes.states, op, "ghn")?,
                gcn: prefix_opt(reg, gcn, sizes.c_states, op, "gcn")?,
            };
            let output = SeqGradOutput {
                params: prefix_mut(&mut grads, s.len, op, "grads")?,
                x: prefix_mut_opt(&mut gx, sizes.x, op, "gx")?,
                h0: prefix_mut_opt(&mut gh0, sizes.states, op, "gh0")?,
                c0: prefix_mut_opt(&mut gc0, sizes.c_states, op, "gc0")?,
            };
            let diagnostics = SeqGradDiagnostics {
                step_norms: prefix_mut_opt(&mut norms, norms_len, op, "step_norms")?,
            };
            let pool = recurrent_core::default_pool();
            let params = prefix(reg, s.params, s.len, op, "params")?;
            match prefix_opt(reg, x, sizes.x, op, "x")? {
                Some(x) => rnn::backward_recomputing(
                    pool,
                    &s.spec,
                    params,
                    tape,
                    x,
                    &input,
                    output,
                    diagnostics,
                ),
                None => rnn::backward_with_diagnostics(
                    pool,
                    &s.spec,
                    params,
                    tape,
                    &input,
                    output,
                    diagnostics,
                ),
            }
            .map_err(from_core)
        })
    })
}

/// Training forward over a time-major sequence (`x [T,B,I]` into `y [T,B,D*H]`, `h_n`, `c_n`),
/// with what `rnn_forward` cannot do: `dropout` (probability in [0, 1)) between the layers,
/// masks drawn from `seed` (layer l's from the stream `(seed << 32) | l`), the variational
/// `input_dropout` and `recurrent_dropout` (probabilities in [0, 1): one mask per sequence,
/// the same at every step, see `recurrent_core::rnn::Dropout`), and, with
/// `checkpoint_every` > 0 (unidirectional stacks), a checkpointed tape that keeps the states
/// every that many steps and recomputes the rest in `rnn_train_backward`, which then needs
/// this `x` again. `h0`, `c0`: 0 for zeros; `lengths`: a `Uint32Array`, empty for all T.
#[wasm_bindgen]
pub fn rnn_train_forward(
    handle: Handle,
    seq_len: u32,
    batch: u32,
    x: Handle,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] lengths: JsValue,
    h0: Handle,
    c0: Handle,
    y: Handle,
    h_n: Handle,
    c_n: Handle,
    dropout: f64,
    input_dropout: f64,
    recurrent_dropout: f64,
    seed: u32,
    checkpoint_every: u32,
) -> Result<(), JsError> {
    let dropout = Dropout {
        p: dropout,
        seed,
        input: input_dropout,
        recurrent: recurrent_dropout,
    };
    let mode = Mode::Train(dropout, checkpoint_every as usize);
    let buffers = [x, h0, c0, y, h_n, c_n];
    let op = "rnn_train_forward";
    forward_any(
        op,
        handle,
        mode,
        Layout::TimeMajor,
        seq_len,
        batch,
        &lengths,
        buffers,
        None,
    )
}

/// BPTT over the last `rnn_train_forward` (or training `rnn_forward`): as `rnn_backward`, and
/// with `x`, the forward's input, which a checkpointed tape recomputes from (0 otherwise).
#[wasm_bindgen]
pub fn rnn_train_backward(
    handle: Handle,
    x: Handle,
    gy: Handle,
    ghn: Handle,
    gcn: Handle,
    gx: Handle,
    gh0: Handle,
    gc0: Handle,
    step_norms: Handle,
) -> Result<(), JsError> {
    backward_any(
        "rnn_train_backward",
        handle,
        x,
        [gy, ghn, gcn],
        [gx, gh0, gc0, step_norms],
    )
}

/// One streaming step of a unidirectional stack for `batch` sequences: reads `x [B, I]`,
/// updates `h [L, B, P]` and `c [L, B, H]` (LSTM family; 0 otherwise) in place, writes
/// `y [B, P]` (P = H without a projection). A stack with a skip connection of delay d also carries `hist [L, d-1, B, H]` (each layer's
/// earlier states, oldest first; 0 without a skip connection), moved on by the step.
#[wasm_bindgen]
pub fn rnn_step(
    handle: Handle,
    batch: u32,
    x: Handle,
    h: Handle,
    c: Handle,
    y: Handle,
    hist: Handle,
) -> Result<(), JsError> {
    const OP: &str = "rnn_step";
    ensure_distinct(
        OP,
        &[("h", h), ("c", c), ("y", y), ("hist", hist)],
        &[("x", x)],
    )?;
    let mut h = Taken::take(h)?;
    let mut c = Taken::take_opt(c)?;
    let mut y = Taken::take(y)?;
    let mut hist = Taken::take_opt(hist)?;
    with_stack(handle, |s| {
        let b = batch as usize;
        // Check the buffers against `batch` before sizing the scratch from it, so a wrong
        // batch is an error and not a big allocation first.
        let sizes = Sizes::of(&s.spec, 1, b, OP)?;
        with_buffers(|reg| prefix(reg, x, sizes.x, OP, "x").map(drop))?;
        prefix_mut(&mut h, sizes.states, OP, "h")?;
        prefix_mut_opt(&mut c, sizes.c_states, OP, "c")?;
        prefix_mut(&mut y, sizes.y, OP, "y")?;
        // [L, d-1, B, H] with a skip connection (required then, refused otherwise).
        let hist_len = (sizes.states / s.spec.directions())
            .checked_mul(s.spec.skip.saturating_sub(1))
            .ok_or_else(|| {
                abi_error(
                    Kind::InvalidArgument,
                    format_args!("{OP}: `batch` too large"),
                )
            })?;
        prefix_mut_opt(&mut hist, hist_len, OP, "hist")?;
        if s.step.as_ref().is_none_or(|st| st.batch() != b) {
            s.step = None;
            s.step = Some(StepScratch::new(&s.spec, b).map_err(from_core)?);
        }
        let scratch = s
            .step
            .as_mut()
            .ok_or_else(|| abi_error(Kind::OutOfMemory, format_args!("step scratch")))?;
        with_buffers(|reg| {
            rnn::step_with_history(
                recurrent_core::default_pool(),
                &s.spec,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(reg, x, sizes.x, OP, "x")?,
                prefix_mut(&mut h, sizes.states, OP, "h")?,
                prefix_mut_opt(&mut c, sizes.c_states, OP, "c")?,
                prefix_mut_opt(&mut hist, hist_len, OP, "hist")?,
                prefix_mut(&mut y, sizes.y, OP, "y")?,
                scratch,
            )
            .map_err(from_core)
        })
    })
}
