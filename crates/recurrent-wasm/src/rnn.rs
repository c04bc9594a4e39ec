//! Exports for recurrent stacks: create, parameters, forward over a sequence, BPTT, and the
//! streaming step. Each call is a whole stack over a whole sequence (or one whole step).

use std::cell::RefCell;

use recurrent_core::rnn::{
    self, CellKind, InferScratch, Layout, ParamLayout, SeqGradDiagnostics, SeqGradInput,
    SeqGradOutput, SeqInput, SeqOutput, StackSpec, StepScratch, Tape,
};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::js_input::u32s;
use crate::registry::{Handle, Registry};
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_mut_opt, prefix_opt};

/// A stack of recurrent layers with its parameters, gradients and reusable scratch.
pub struct Stack {
    spec: StackSpec,
    layout: ParamLayout,
    /// Buffer (in the buffer registry) of the flat parameters in PyTorch order, so optimiser
    /// and clipping exports treat them like any other parameter buffer.
    params: Handle,
    /// Buffer of the gradients, same layout; accumulated by backward.
    grads: Handle,
    /// Number of parameters.
    len: usize,
    /// Steps and batch of the last training forward (what backward goes through).
    recorded: (usize, usize),
    /// What BPTT needs, recorded by a training forward; regrown only when a bigger T x B comes.
    tape: Option<Tape>,
    infer: Option<InferScratch>,
    step: Option<StepScratch>,
}

thread_local! {
    static STACKS: RefCell<Registry<Stack>> = const { RefCell::new(Registry::new("recurrent stack")) };
}

/// Touches this module's thread-local (see `setup::engine_prepare`).
pub(crate) fn prepare_thread() {
    STACKS.with(|_| ());
}

fn with_stack<R>(
    handle: Handle,
    f: impl FnOnce(&mut Stack) -> Result<R, JsError>,
) -> Result<R, JsError> {
    STACKS.with_borrow_mut(|r| f(r.get_mut(handle)?))
}

/// Creates a stack. `kind` is one of `rnn_tanh`, `rnn_relu`, `rnn_residual`, `gru`,
/// `gru_reset_before`, `lstm`, `lstm_peephole`, `lstm_cifg`, `lstm_no_forget` (a JS string,
/// compared in JS: nothing is copied into wasm memory for it). Parameters start at zero (the
/// TS side initialises them).
#[wasm_bindgen]
pub fn rnn_create(
    kind: JsValue,
    input_size: u32,
    hidden_size: u32,
    num_layers: u32,
    bidirectional: bool,
) -> Result<Handle, JsError> {
    let kind = CellKind::ALL
        .into_iter()
        .find(|k| kind == *k.name())
        .ok_or_else(|| {
            abi_error(
                Kind::InvalidArgument,
                format_args!("rnn_create: argument `kind` expected one of {KindNames}"),
            )
        })?;
    let spec = StackSpec {
        kind,
        input_size: input_size as usize,
        hidden_size: hidden_size as usize,
        num_layers: num_layers as usize,
        bidirectional,
    };
    spec.validate().map_err(from_core)?;
    let layout = ParamLayout::new(&spec).map_err(from_core)?;
    let len = layout.len();
    let params = crate::buffers::buffer_alloc(len_u32(len)?)?;
    let grads = match crate::buffers::buffer_alloc(len_u32(len)?) {
        Ok(g) => g,
        Err(e) => {
            crate::buffers::buffer_free(params)?;
            return Err(e);
        }
    };
    let inserted = STACKS.with_borrow_mut(|r| {
        r.insert(Stack {
            spec,
            layout,
            params,
            grads,
            len,
            recorded: (0, 0),
            tape: None,
            infer: None,
            step: None,
        })
    });
    if inserted.is_err() {
        // Freeing never allocates, so these cannot fail for want of memory.
        let _ = crate::buffers::buffer_free(params);
        let _ = crate::buffers::buffer_free(grads);
    }
    inserted
}

/// The cell kind names, comma-separated.
struct KindNames;

impl std::fmt::Display for KindNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, k) in CellKind::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(k.name())?;
        }
        Ok(())
    }
}

fn len_u32(len: usize) -> Result<u32, JsError> {
    u32::try_from(len).map_err(|_| {
        abi_error(
            Kind::OutOfMemory,
            format_args!("{len} parameters do not fit in wasm memory"),
        )
    })
}

/// Frees a stack, its parameter and gradient buffers and its scratch.
#[wasm_bindgen]
pub fn rnn_free(handle: Handle) -> Result<(), JsError> {
    let stack = STACKS.with_borrow_mut(|r| r.remove(handle))?;
    // Free both even if the first fails (its handle was freed directly through the ABI).
    let params = crate::buffers::buffer_free(stack.params);
    let grads = crate::buffers::buffer_free(stack.grads);
    params.and(grads)
}

/// Number of parameters (and of gradients).
#[wasm_bindgen]
pub fn rnn_param_len(handle: Handle) -> Result<u32, JsError> {
    with_stack(handle, |s| len_u32(s.len))
}

/// Handle of the buffer holding the flat parameters (owned by the stack: freed with it).
#[wasm_bindgen]
pub fn rnn_params_buffer(handle: Handle) -> Result<Handle, JsError> {
    with_stack(handle, |s| Ok(s.params))
}

/// Handle of the buffer holding the flat gradients (owned by the stack: freed with it).
#[wasm_bindgen]
pub fn rnn_grads_buffer(handle: Handle) -> Result<Handle, JsError> {
    with_stack(handle, |s| Ok(s.grads))
}

/// The parameter tensors as JSON: `[{"name", "offset", "shape"}]` in storage order. The text
/// is allocated fallibly (an out-of-memory error, not a trap, when memory is full).
#[wasm_bindgen]
pub fn rnn_param_table(handle: Handle) -> Result<String, JsError> {
    with_stack(handle, |s| {
        recurrent_core::mem::format(
            "rnn_param_table",
            "the parameter table",
            format_args!("{}", ParamTableJson(&s.layout)),
        )
        .map_err(from_core)
    })
}

/// A parameter layout written as the JSON `rnn_param_table` returns.
struct ParamTableJson<'a>(&'a ParamLayout);

impl std::fmt::Display for ParamTableJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, t) in self.0.tensors().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(
                f,
                r#"{{"name":"{}","offset":{},"shape":["#,
                t.name, t.offset
            )?;
            for (j, d) in t.shape.iter().enumerate() {
                if j > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{d}")?;
            }
            f.write_str("]}")?;
        }
        f.write_str("]")
    }
}

/// Floats held by the stack's training tape now (for memory reports).
#[wasm_bindgen]
pub fn rnn_tape_floats(handle: Handle) -> Result<f64, JsError> {
    with_stack(handle, |s| match &s.tape {
        Some(tape) => Tape::floats(&s.spec, tape.max_seq_len(), tape.max_batch())
            .map(|n| n as f64)
            .map_err(from_core),
        None => Ok(0.0),
    })
}

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
    lengths: JsValue,
    h0: Handle,
    c0: Handle,
    y: Handle,
    h_n: Handle,
    c_n: Handle,
) -> Result<(), JsError> {
    const OP: &str = "rnn_forward";
    let lengths = u32s(OP, "lengths", &lengths)?;
    ensure_distinct(
        OP,
        &[("y", y), ("h_n", h_n), ("c_n", c_n)],
        &[("x", x), ("h0", h0), ("c0", c0)],
    )?;
    let (t, b) = (seq_len as usize, batch as usize);
    let mut y = Taken::take(y)?;
    let mut h_n = Taken::take(h_n)?;
    let mut c_n = Taken::take_opt(c_n)?;
    with_stack(handle, |s| {
        let sizes = Sizes::of(&s.spec, t, b, OP)?;
        with_buffers(|reg| {
            let input = SeqInput {
                layout: layout_of(batch_major),
                seq_len: t,
                batch: b,
                x: prefix(reg, x, sizes.x, OP, "x")?,
                lengths: (!lengths.is_empty()).then_some(&lengths[..]),
                h0: prefix_opt(reg, h0, sizes.states, OP, "h0")?,
                c0: prefix_opt(reg, c0, sizes.states, OP, "c0")?,
            };
            let output = SeqOutput {
                y: prefix_mut(&mut y, sizes.y, OP, "y")?,
                h_n: prefix_mut(&mut h_n, sizes.states, OP, "h_n")?,
                c_n: prefix_mut_opt(&mut c_n, sizes.states, OP, "c_n")?,
            };
            let params = prefix(reg, s.params, s.len, OP, "params")?;
            let pool = recurrent_core::default_pool();
            if train {
                let tape = fitting_tape(&mut s.tape, &s.spec, t, b)?;
                rnn::forward_train(pool, &s.spec, params, &input, output, tape)
                    .map_err(from_core)?;
                s.recorded = (t, b);
                Ok(())
            } else {
                let scratch = fitting_scratch(&mut s.infer, &s.spec, t, b)?;
                rnn::forward_infer(pool, &s.spec, params, &input, output, scratch)
                    .map_err(from_core)
            }
        })
    })
}

/// Element counts of a stack's sequence tensors for T steps of B sequences.
struct Sizes {
    x: usize,
    y: usize,
    states: usize,
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
                .checked_mul(spec.state_count() * spec.hidden_size)
                .ok_or_else(too_big)?,
        })
    }
}

/// The stack's tape, regrown when this T x B does not fit (validated before allocating).
fn fitting_tape<'a>(
    slot: &'a mut Option<Tape>,
    spec: &StackSpec,
    t: usize,
    b: usize,
) -> Result<&'a mut Tape, JsError> {
    let fits = slot
        .as_ref()
        .is_some_and(|tape| tape.max_seq_len() >= t && tape.max_batch() >= b);
    if !fits {
        // Drop the old tape first so its memory can be reused for the new one.
        *slot = None;
        *slot = Some(Tape::new(spec, t, b).map_err(from_core)?);
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
    const OP: &str = "rnn_backward";
    ensure_distinct(
        OP,
        &[
            ("gx", gx),
            ("gh0", gh0),
            ("gc0", gc0),
            ("step_norms", step_norms),
        ],
        &[("gy", gy), ("ghn", ghn), ("gcn", gcn)],
    )?;
    let mut gx = Taken::take_opt(gx)?;
    let mut gh0 = Taken::take_opt(gh0)?;
    let mut gc0 = Taken::take_opt(gc0)?;
    let mut norms = Taken::take_opt(step_norms)?;
    with_stack(handle, |s| {
        let (t, b) = s.recorded;
        let sizes = Sizes::of(&s.spec, t, b, OP)?;
        let norms_len = s.spec.state_count() * t;
        let mut grads = Taken::take(s.grads)?;
        let tape = s.tape.as_mut().ok_or_else(|| {
            abi_error(
                Kind::InvalidArgument,
                format_args!(
                    "rnn_backward: no training forward was recorded (call forward with train first)"
                ),
            )
        })?;
        with_buffers(|reg| {
            let input = SeqGradInput {
                gy: prefix(reg, gy, sizes.y, OP, "gy")?,
                ghn: prefix_opt(reg, ghn, sizes.states, OP, "ghn")?,
                gcn: prefix_opt(reg, gcn, sizes.states, OP, "gcn")?,
            };
            let output = SeqGradOutput {
                params: prefix_mut(&mut grads, s.len, OP, "grads")?,
                x: prefix_mut_opt(&mut gx, sizes.x, OP, "gx")?,
                h0: prefix_mut_opt(&mut gh0, sizes.states, OP, "gh0")?,
                c0: prefix_mut_opt(&mut gc0, sizes.states, OP, "gc0")?,
            };
            let diagnostics = SeqGradDiagnostics {
                step_norms: prefix_mut_opt(&mut norms, norms_len, OP, "step_norms")?,
            };
            rnn::backward_with_diagnostics(
                recurrent_core::default_pool(),
                &s.spec,
                prefix(reg, s.params, s.len, OP, "params")?,
                tape,
                &input,
                output,
                diagnostics,
            )
            .map_err(from_core)
        })
    })
}

/// One streaming step of a unidirectional stack for `batch` sequences: reads `x [B, I]`,
/// updates `h [L, B, H]` and `c` (LSTM family; 0 otherwise) in place, writes `y [B, H]`.
#[wasm_bindgen]
pub fn rnn_step(
    handle: Handle,
    batch: u32,
    x: Handle,
    h: Handle,
    c: Handle,
    y: Handle,
) -> Result<(), JsError> {
    const OP: &str = "rnn_step";
    ensure_distinct(OP, &[("h", h), ("c", c), ("y", y)], &[("x", x)])?;
    let mut h = Taken::take(h)?;
    let mut c = Taken::take_opt(c)?;
    let mut y = Taken::take(y)?;
    with_stack(handle, |s| {
        let b = batch as usize;
        // Check the buffers against `batch` before sizing the scratch from it, so a wrong
        // batch is an error and not a big allocation first.
        let sizes = Sizes::of(&s.spec, 1, b, OP)?;
        with_buffers(|reg| prefix(reg, x, sizes.x, OP, "x").map(drop))?;
        prefix_mut(&mut h, sizes.states, OP, "h")?;
        prefix_mut_opt(&mut c, sizes.states, OP, "c")?;
        prefix_mut(&mut y, sizes.y, OP, "y")?;
        if s.step.as_ref().is_none_or(|st| st.batch() != b) {
            s.step = None;
            s.step = Some(StepScratch::new(&s.spec, b).map_err(from_core)?);
        }
        let scratch = s
            .step
            .as_mut()
            .ok_or_else(|| abi_error(Kind::OutOfMemory, format_args!("step scratch")))?;
        with_buffers(|reg| {
            rnn::step(
                recurrent_core::default_pool(),
                &s.spec,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(reg, x, sizes.x, OP, "x")?,
                prefix_mut(&mut h, sizes.states, OP, "h")?,
                prefix_mut_opt(&mut c, sizes.states, OP, "c")?,
                prefix_mut(&mut y, sizes.y, OP, "y")?,
                scratch,
            )
            .map_err(from_core)
        })
    })
}
