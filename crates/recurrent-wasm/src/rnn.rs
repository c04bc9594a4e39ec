//! Exports for recurrent stacks: create, parameters, forward over a sequence, BPTT, and the
//! streaming step. Each call is a whole stack over a whole sequence (or one whole step).

use std::cell::RefCell;

use recurrent_core::rnn::{
    self, CellKind, InferScratch, Layout, ParamLayout, SeqGradInput, SeqGradOutput, SeqInput, SeqOutput, StackSpec,
    StepScratch, Tape,
};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::registry::Registry;
use crate::taken::{ensure_distinct, Taken};

/// A stack of recurrent layers with its parameters, gradients and reusable scratch.
pub struct Stack {
    spec: StackSpec,
    layout: ParamLayout,
    /// Flat parameters in PyTorch order; never resized, so its address is stable for views.
    params: Vec<f32>,
    /// Gradients, same layout; accumulated by backward, zeroed by `rnn_zero_grads`.
    grads: Vec<f32>,
    /// What BPTT needs, recorded by a training forward; regrown only when a bigger T x B comes.
    tape: Option<Tape>,
    infer: Option<InferScratch>,
    step: Option<StepScratch>,
}

thread_local! {
    static STACKS: RefCell<Registry<Stack>> = const { RefCell::new(Registry::new("recurrent stack")) };
}

fn with_stack<R>(handle: u32, f: impl FnOnce(&mut Stack) -> Result<R, JsError>) -> Result<R, JsError> {
    STACKS.with_borrow_mut(|r| f(r.get_mut(handle)?))
}

/// Creates a stack. `kind` is one of `rnn_tanh`, `rnn_relu`, `rnn_residual`, `gru`,
/// `gru_reset_before`, `lstm`, `lstm_peephole`, `lstm_cifg`, `lstm_no_forget`. Parameters
/// start at zero (the TS side initialises them).
#[wasm_bindgen]
pub fn rnn_create(kind: &str, input_size: u32, hidden_size: u32, num_layers: u32, bidirectional: bool) -> Result<u32, JsError> {
    let kind = CellKind::from_name(kind).map_err(from_core)?;
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
    let params = zeroed(len)?;
    let grads = zeroed(len)?;
    STACKS.with_borrow_mut(|r| r.insert(Stack { spec, layout, params, grads, tape: None, infer: None, step: None }))
}

fn zeroed(len: usize) -> Result<Vec<f32>, JsError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| abi_error(Kind::OutOfMemory, format!("{len} parameters do not fit in wasm memory")))?;
    v.resize(len, 0.0);
    Ok(v)
}

/// Frees a stack and everything it holds.
#[wasm_bindgen]
pub fn rnn_free(handle: u32) -> Result<(), JsError> {
    STACKS.with_borrow_mut(|r| r.remove(handle).map(drop))
}

/// Number of parameters (and of gradients).
#[wasm_bindgen]
pub fn rnn_param_len(handle: u32) -> Result<u32, JsError> {
    with_stack(handle, |s| Ok(s.params.len() as u32))
}

/// Byte address of the flat parameters.
#[wasm_bindgen]
pub fn rnn_params_ptr(handle: u32) -> Result<u32, JsError> {
    with_stack(handle, |s| Ok(s.params.as_ptr() as usize as u32))
}

/// Byte address of the flat gradients.
#[wasm_bindgen]
pub fn rnn_grads_ptr(handle: u32) -> Result<u32, JsError> {
    with_stack(handle, |s| Ok(s.grads.as_ptr() as usize as u32))
}

/// Sets every gradient to zero (before accumulating a batch).
#[wasm_bindgen]
pub fn rnn_zero_grads(handle: u32) -> Result<(), JsError> {
    with_stack(handle, |s| {
        s.grads.fill(0.0);
        Ok(())
    })
}

/// The parameter tensors as JSON: `[{"name", "offset", "shape"}]` in storage order.
#[wasm_bindgen]
pub fn rnn_param_table(handle: u32) -> Result<String, JsError> {
    with_stack(handle, |s| {
        let rows: Vec<String> = s
            .layout
            .tensors()
            .iter()
            .map(|t| {
                let shape: Vec<String> = t.shape.iter().map(usize::to_string).collect();
                format!(r#"{{"name":"{}","offset":{},"shape":[{}]}}"#, t.name, t.offset, shape.join(","))
            })
            .collect();
        Ok(format!("[{}]", rows.join(",")))
    })
}

/// Floats held by the stack's training tape now (for memory reports).
#[wasm_bindgen]
pub fn rnn_tape_floats(handle: u32) -> Result<f64, JsError> {
    with_stack(handle, |s| match &s.tape {
        Some(tape) => Tape::floats(&s.spec, tape.max_seq_len(), tape.max_batch()).map(|n| n as f64).map_err(from_core),
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
/// `h_n`, `c_n` (LSTM family; 0 otherwise). `h0`, `c0`: 0 for zeros. `lengths`: empty for
/// all T. With `train`, records what `rnn_backward` needs.
#[wasm_bindgen]
pub fn rnn_forward(
    handle: u32,
    train: bool,
    batch_major: bool,
    seq_len: u32,
    batch: u32,
    x: u32,
    lengths: Vec<u32>,
    h0: u32,
    c0: u32,
    y: u32,
    h_n: u32,
    c_n: u32,
) -> Result<(), JsError> {
    const OP: &str = "rnn_forward";
    ensure_distinct(OP, &[("y", y), ("h_n", h_n), ("c_n", c_n)], &[("x", x), ("h0", h0), ("c0", c0)])?;
    let (t, b) = (seq_len as usize, batch as usize);
    let mut y = Taken::take(y)?;
    let mut h_n = Taken::take(h_n)?;
    let mut c_n = Taken::take_opt(c_n)?;
    with_stack(handle, |s| {
        with_buffers(|reg| {
            let input = SeqInput {
                layout: layout_of(batch_major),
                seq_len: t,
                batch: b,
                x: reg.get(x)?,
                lengths: (!lengths.is_empty()).then_some(&lengths[..]),
                h0: optional(reg, h0)?,
                c0: optional(reg, c0)?,
            };
            let output = SeqOutput { y: y.data(), h_n: h_n.data(), c_n: c_n.as_mut().map(Taken::data) };
            let pool = recurrent_core::default_pool();
            if train {
                let tape = fitting_tape(&mut s.tape, &s.spec, t, b)?;
                rnn::forward_train(pool, &s.spec, &s.params, &input, output, tape).map_err(from_core)
            } else {
                let scratch = fitting_scratch(&mut s.infer, &s.spec, t, b)?;
                rnn::forward_infer(pool, &s.spec, &s.params, &input, output, scratch).map_err(from_core)
            }
        })
    })
}

fn optional<'a>(reg: &'a Registry<Vec<f32>>, handle: u32) -> Result<Option<&'a [f32]>, JsError> {
    if handle == 0 {
        Ok(None)
    } else {
        reg.get(handle).map(|v| Some(&v[..]))
    }
}

/// The stack's tape, regrown when this T x B does not fit (validated before allocating).
fn fitting_tape<'a>(slot: &'a mut Option<Tape>, spec: &StackSpec, t: usize, b: usize) -> Result<&'a mut Tape, JsError> {
    let fits = slot.as_ref().is_some_and(|tape| tape.max_seq_len() >= t && tape.max_batch() >= b);
    if !fits {
        // Drop the old tape first so its memory can be reused for the new one.
        *slot = None;
        *slot = Some(Tape::new(spec, t, b).map_err(from_core)?);
    }
    slot.as_mut().ok_or_else(|| abi_error(Kind::OutOfMemory, "tape"))
}

fn fitting_scratch<'a>(
    slot: &'a mut Option<InferScratch>,
    spec: &StackSpec,
    t: usize,
    b: usize,
) -> Result<&'a mut InferScratch, JsError> {
    let fits = slot.as_ref().is_some_and(|s| s.max_seq_len() >= t && s.max_batch() >= b);
    if !fits {
        // Drop the old scratch first so its memory can be reused.
        *slot = None;
        *slot = Some(InferScratch::new(spec, t, b).map_err(from_core)?);
    }
    slot.as_mut().ok_or_else(|| abi_error(Kind::OutOfMemory, "scratch"))
}

/// BPTT over the last training forward: `gy` shaped like `y`; `ghn`, `gcn` 0 for zeros.
/// Parameter gradients are ACCUMULATED into the stack's gradients; `gx`, `gh0`, `gc0` are
/// overwritten when non-zero.
#[wasm_bindgen]
pub fn rnn_backward(handle: u32, gy: u32, ghn: u32, gcn: u32, gx: u32, gh0: u32, gc0: u32) -> Result<(), JsError> {
    const OP: &str = "rnn_backward";
    ensure_distinct(OP, &[("gx", gx), ("gh0", gh0), ("gc0", gc0)], &[("gy", gy), ("ghn", ghn), ("gcn", gcn)])?;
    let mut gx = Taken::take_opt(gx)?;
    let mut gh0 = Taken::take_opt(gh0)?;
    let mut gc0 = Taken::take_opt(gc0)?;
    with_stack(handle, |s| {
        let tape = s.tape.as_mut().ok_or_else(|| {
            abi_error(Kind::InvalidArgument, "rnn_backward: no training forward was recorded (call forward with train first)")
        })?;
        with_buffers(|reg| {
            let input = SeqGradInput { gy: reg.get(gy)?, ghn: optional(reg, ghn)?, gcn: optional(reg, gcn)? };
            let output = SeqGradOutput {
                params: &mut s.grads,
                x: gx.as_mut().map(Taken::data),
                h0: gh0.as_mut().map(Taken::data),
                c0: gc0.as_mut().map(Taken::data),
            };
            rnn::backward(recurrent_core::default_pool(), &s.spec, &s.params, tape, &input, output).map_err(from_core)
        })
    })
}

/// One streaming step of a unidirectional stack for `batch` sequences: reads `x [B, I]`,
/// updates `h [L, B, H]` and `c` (LSTM family; 0 otherwise) in place, writes `y [B, H]`.
#[wasm_bindgen]
pub fn rnn_step(handle: u32, batch: u32, x: u32, h: u32, c: u32, y: u32) -> Result<(), JsError> {
    const OP: &str = "rnn_step";
    ensure_distinct(OP, &[("h", h), ("c", c), ("y", y)], &[("x", x)])?;
    let mut h = Taken::take(h)?;
    let mut c = Taken::take_opt(c)?;
    let mut y = Taken::take(y)?;
    with_stack(handle, |s| {
        let b = batch as usize;
        if s.step.as_ref().is_none_or(|st| st.batch() != b) {
            s.step = None;
            s.step = Some(StepScratch::new(&s.spec, b).map_err(from_core)?);
        }
        let scratch = s.step.as_mut().ok_or_else(|| abi_error(Kind::OutOfMemory, "step scratch"))?;
        with_buffers(|reg| {
            rnn::step(
                recurrent_core::default_pool(),
                &s.spec,
                &s.params,
                reg.get(x)?,
                h.data(),
                c.as_mut().map(Taken::data),
                y.data(),
                scratch,
            )
            .map_err(from_core)
        })
    })
}
