//! Exports for recurrent stacks: create, free, parameters and memory reports; running them
//! (forward, BPTT, step) is `rnn_run.rs`.

use std::cell::RefCell;

use recurrent_core::rnn::{
    CellKind, InferScratch, KindIds, ParamLayout, StackSpec, StepScratch, Tape,
};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::registry::{Handle, Registry};

/// A stack of recurrent layers with its parameters, gradients and reusable scratch.
pub struct Stack {
    pub(crate) spec: StackSpec,
    pub(crate) layout: ParamLayout,
    /// Buffer (in the buffer registry) of the flat parameters in PyTorch order, so optimiser
    /// and clipping exports treat them like any other parameter buffer.
    pub(crate) params: Handle,
    /// Buffer of the gradients, same layout; accumulated by backward.
    pub(crate) grads: Handle,
    /// Number of parameters.
    pub(crate) len: usize,
    /// Steps and batch of the last training forward (what backward goes through).
    pub(crate) recorded: (usize, usize),
    /// What BPTT needs, recorded by a training forward; regrown only when a bigger T x B comes.
    pub(crate) tape: Option<Tape>,
    /// The checkpointed tape of `rnn_train_forward` with `checkpoint_every`, kept beside the
    /// full one (a run whose batches are sometimes shorter than a segment uses both) and
    /// regrown the same way. A training forward into one tape forgets the other's record.
    pub(crate) ck_tape: Option<Tape>,
    pub(crate) infer: Option<InferScratch>,
    pub(crate) step: Option<StepScratch>,
}

thread_local! {
    static STACKS: RefCell<Registry<Stack>> = const { RefCell::new(Registry::new("recurrent stack")) };
}

/// Touches this module's thread-local (see `setup::engine_prepare`).
pub(crate) fn prepare_thread() {
    STACKS.with(|_| ());
}

pub(crate) fn with_stack<R>(
    handle: Handle,
    f: impl FnOnce(&mut Stack) -> Result<R, JsError>,
) -> Result<R, JsError> {
    STACKS.with_borrow_mut(|r| f(r.get_mut(handle)?))
}

/// Creates a stack. `kind` is one of `rnn_tanh`, `rnn_relu`, `rnn_residual`, `gru`,
/// `gru_reset_before`, `lstm`, `lstm_peephole`, `lstm_cifg`, `lstm_no_forget` (a JS string,
/// compared in JS: nothing is copied into wasm memory for it). Without `bias` the layers have
/// no `bias_ih`/`bias_hh` (PyTorch's `bias=False`). `skip`: the delay d of a skip connection
/// through time (plain RNNs, 2..=MAX_SKIP), or 0 for none. `proj_size` > 0 (LSTM kinds, less
/// than `hidden_size`) gives every layer PyTorch's `weight_hr` projection and P-wide states; 0
/// none. Parameters start at zero (the TS side initialises them).
#[wasm_bindgen]
pub fn rnn_create(
    #[wasm_bindgen(unchecked_param_type = "string")] kind: JsValue,
    input_size: u32,
    hidden_size: u32,
    num_layers: u32,
    bidirectional: bool,
    bias: bool,
    skip: u32,
    proj_size: u32,
) -> Result<Handle, JsError> {
    let kind = CellKind::ALL
        .into_iter()
        .find(|k| kind == *k.name())
        .ok_or_else(|| {
            abi_error(
                Kind::InvalidArgument,
                format_args!("rnn_create: argument `kind` expected one of {KindIds}"),
            )
        })?;
    let spec = StackSpec {
        kind,
        input_size: input_size as usize,
        hidden_size: hidden_size as usize,
        num_layers: num_layers as usize,
        bidirectional,
        bias,
        proj_size: proj_size as usize,
        skip: skip as usize,
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
            ck_tape: None,
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

/// Floats held by the stack's training tapes now, their per-step records and scratch (for
/// memory reports; the states a checkpointed tape keeps per segment are `rnn_checkpoint_floats`).
#[wasm_bindgen]
pub fn rnn_tape_floats(handle: Handle) -> Result<f64, JsError> {
    with_stack(handle, |s| {
        let floats = |t: &Option<Tape>| {
            t.as_ref()
                .map_or(0, |t| t.len_floats() - t.checkpoint_floats())
        };
        Ok((floats(&s.tape) + floats(&s.ck_tape)) as f64)
    })
}

/// Floats of the states a checkpointed tape keeps at the start of every segment (0 without
/// one): with `rnn_tape_floats`, all a stack holds for BPTT.
#[wasm_bindgen]
pub fn rnn_checkpoint_floats(handle: Handle) -> Result<f64, JsError> {
    with_stack(handle, |s| {
        Ok(s.ck_tape.as_ref().map_or(0, Tape::checkpoint_floats) as f64)
    })
}
