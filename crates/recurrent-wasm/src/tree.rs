//! Exports for the tree layers (`recurrent_core::tree`): a whole forest per call, forward or
//! backpropagation through structure; never a call per node. The forest comes as three
//! `Uint32Array`s (child offsets, children, input rows with `0xFFFFFFFF` for "no input") and is
//! checked and scheduled by the core on every call (linear in the nodes, small beside the
//! GEMMs). The tape is a buffer the caller sizes with `tree_tape_len`.

use recurrent_core::mem;
use recurrent_core::tree::{self, Forest, Schedule, TreeKind, TreeShape};
use wasm_bindgen::prelude::*;

use crate::abi_error::from_core;
use crate::buffers::with_buffers;
use crate::js_input::u32s;
use crate::registry::Handle;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_opt};

fn shape(kind: u32, input_size: u32, hidden_size: u32) -> Result<TreeShape, JsError> {
    let kind = TreeKind::from_code(kind).map_err(from_core)?;
    TreeShape::new(kind, input_size as usize, hidden_size as usize).map_err(from_core)
}

/// The forest of a call, checked and scheduled by the core: three `Uint32Array`s (child
/// offsets, children, input rows with `0xFFFFFFFF` for "no input"), copied into fallibly
/// reserved vectors.
fn forest(
    op: &'static str,
    kind: TreeKind,
    offsets: &JsValue,
    children: &JsValue,
    x_rows: &JsValue,
    num_inputs: u32,
    schedule: Schedule,
) -> Result<Forest, JsError> {
    let offsets = u32s(op, "child_offsets", offsets)?;
    let children = u32s(op, "children", children)?;
    let rows = u32s(op, "x_rows", x_rows)?;
    // Reinterpreted: 0xFFFFFFFF is -1 ("no input"); other values above i32::MAX are refused.
    let mut signed = mem::with_capacity::<i32>(op, "x_rows", rows.len()).map_err(from_core)?;
    signed.extend(rows.iter().map(|&r| r as i32));
    Forest::new(
        kind,
        &offsets,
        &children,
        &signed,
        num_inputs as usize,
        schedule,
    )
    .map_err(from_core)
}

/// What `tree_forward` and `tree_backward` both start from: the layer's shape, the forest
/// (checked, scheduled by level or one node per pass) and the length of its tape.
fn call(
    op: &'static str,
    (kind, input_size, hidden_size, level_batched): (u32, u32, u32, bool),
    (offsets, children, x_rows, num_inputs): (&JsValue, &JsValue, &JsValue, u32),
) -> Result<(TreeShape, Forest, usize), JsError> {
    let s = shape(kind, input_size, hidden_size)?;
    let schedule = if level_batched {
        Schedule::Levels
    } else {
        Schedule::NodeAtATime
    };
    let f = forest(op, s.kind, offsets, children, x_rows, num_inputs, schedule)?;
    let tape_len = s.tape_len(f.nodes).map_err(from_core)?;
    Ok((s, f, tape_len))
}

/// Floats of the tape of a forest of `nodes` nodes.
#[wasm_bindgen]
pub fn tree_tape_len(
    kind: u32,
    input_size: u32,
    hidden_size: u32,
    nodes: u32,
) -> Result<f64, JsError> {
    let s = shape(kind, input_size, hidden_size)?;
    Ok(s.tape_len(nodes as usize).map_err(from_core)? as f64)
}

/// Parameter count of a tree layer (the flat layout of `recurrent_core::tree::TreeShape`).
#[wasm_bindgen]
pub fn tree_param_len(kind: u32, input_size: u32, hidden_size: u32) -> Result<f64, JsError> {
    Ok(shape(kind, input_size, hidden_size)?.param_len() as f64)
}

/// Checks a forest (typed errors naming the node) and returns its number of levels.
#[wasm_bindgen]
pub fn tree_check(
    kind: u32,
    child_offsets: JsValue,
    children: JsValue,
    x_rows: JsValue,
    num_inputs: u32,
) -> Result<u32, JsError> {
    let kind = TreeKind::from_code(kind).map_err(from_core)?;
    let f = forest(
        "tree_check",
        kind,
        &child_offsets,
        &children,
        &x_rows,
        num_inputs,
        Schedule::Levels,
    )?;
    Ok(f.levels as u32)
}

/// Forward over a forest: `h_out [nodes, H]` and `c_out` (LSTMs; 0: not wanted) in node
/// order, the tape for `tree_backward`. `x` is `[num_inputs, I]`. `level_batched == false`
/// runs one node per pass (the node-at-a-time baseline of the benchmark).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn tree_forward(
    kind: u32,
    input_size: u32,
    hidden_size: u32,
    level_batched: bool,
    child_offsets: JsValue,
    children: JsValue,
    x_rows: JsValue,
    num_inputs: u32,
    params: Handle,
    x: Handle,
    tape: Handle,
    h_out: Handle,
    c_out: Handle,
) -> Result<(), JsError> {
    const OP: &str = "tree_forward";
    let (s, f, tape_len) = call(
        OP,
        (kind, input_size, hidden_size, level_batched),
        (&child_offsets, &children, &x_rows, num_inputs),
    )?;
    ensure_distinct(
        OP,
        &[("tape", tape), ("h_out", h_out), ("c_out", c_out)],
        &[("params", params), ("x", x)],
    )?;
    let nh = f.nodes * s.hidden_size;
    let mut tape = Taken::take(tape)?;
    let mut h_out = Taken::take(h_out)?;
    let mut c_out = Taken::take_opt(c_out)?;
    with_buffers(|reg| {
        let c = match &mut c_out {
            Some(c) if s.kind.has_cell_state() => Some(prefix_mut(c, nh, OP, "c_out")?),
            _ => None,
        };
        tree::tree_forward(
            recurrent_core::default_pool(),
            s,
            &f,
            prefix(reg, params, s.param_len(), OP, "params")?,
            prefix(reg, x, f.num_inputs * s.input_size, OP, "x")?,
            prefix_mut(&mut tape, tape_len, OP, "tape")?,
            prefix_mut(&mut h_out, nh, OP, "h_out")?,
            c,
        )
        .map_err(from_core)
    })
}

/// Backpropagation through structure after `tree_forward` with the same forest, parameters,
/// `x` and tape: accumulates into `grads` (flat parameter layout) and `gx` (`[num_inputs, I]`;
/// 0: not wanted) the gradients for `dL/dh = gh` and `dL/dc = gc` (`[nodes, H]`, node order;
/// `gc` 0: zero).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn tree_backward(
    kind: u32,
    input_size: u32,
    hidden_size: u32,
    level_batched: bool,
    child_offsets: JsValue,
    children: JsValue,
    x_rows: JsValue,
    num_inputs: u32,
    params: Handle,
    x: Handle,
    tape: Handle,
    gh: Handle,
    gc: Handle,
    grads: Handle,
    gx: Handle,
) -> Result<(), JsError> {
    const OP: &str = "tree_backward";
    let (s, f, tape_len) = call(
        OP,
        (kind, input_size, hidden_size, level_batched),
        (&child_offsets, &children, &x_rows, num_inputs),
    )?;
    ensure_distinct(
        OP,
        &[("tape", tape), ("grads", grads), ("gx", gx)],
        &[("params", params), ("x", x), ("gh", gh), ("gc", gc)],
    )?;
    let nh = f.nodes * s.hidden_size;
    let nx = f.num_inputs * s.input_size;
    let mut tape = Taken::take(tape)?;
    let mut grads = Taken::take(grads)?;
    let mut gx = Taken::take_opt(gx)?;
    with_buffers(|reg| {
        let gc = if s.kind.has_cell_state() {
            prefix_opt(reg, gc, nh, OP, "gc")?
        } else {
            None
        };
        let gx = match &mut gx {
            Some(g) => Some(prefix_mut(g, nx, OP, "gx")?),
            None => None,
        };
        tree::tree_backward(
            recurrent_core::default_pool(),
            s,
            &f,
            prefix(reg, params, s.param_len(), OP, "params")?,
            prefix(reg, x, nx, OP, "x")?,
            prefix_mut(&mut tape, tape_len, OP, "tape")?,
            prefix(reg, gh, nh, OP, "gh")?,
            gc,
            prefix_mut(&mut grads, s.param_len(), OP, "grads")?,
            gx,
        )
        .map_err(from_core)
    })
}
