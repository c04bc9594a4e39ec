//! The checked pieces of a tree call: parameters split by name, the tape split in planes.

use crate::error::{check_exact, CoreResult};

use super::forest::Forest;
use super::kind::{TreeKind, TreeShape};

/// `weight_ih` (or the tree RNN's `weight`), `weight_hh`, `bias_ih` (or `bias`), `bias_hh`;
/// empty slices where a kind has no such parameter.
pub struct Params<'a> {
    pub w_ih: &'a [f32],
    pub w_hh: &'a [f32],
    pub b_ih: &'a [f32],
    pub b_hh: &'a [f32],
}

/// Splits the flat parameters (checked to be exactly the shape's count).
pub fn params<'a>(
    op: &'static str,
    arg: &'static str,
    shape: &TreeShape,
    p: &'a [f32],
) -> CoreResult<Params<'a>> {
    check_exact(op, arg, p.len(), shape.param_len())?;
    let [a, b, c, _] = shape.param_sizes().0;
    let (w_ih, rest) = p.split_at(a);
    let (x1, rest) = rest.split_at(b);
    let (x2, x3) = rest.split_at(c);
    Ok(if shape.kind == TreeKind::Rnn {
        Params {
            w_ih,
            w_hh: &[],
            b_ih: x1,
            b_hh: &[],
        }
    } else {
        Params {
            w_ih,
            w_hh: x1,
            b_ih: x2,
            b_hh: x3,
        }
    })
}

/// The same split of the gradient buffer, mutable.
pub struct Grads<'a> {
    pub w_ih: &'a mut [f32],
    pub w_hh: &'a mut [f32],
    pub b_ih: &'a mut [f32],
    pub b_hh: &'a mut [f32],
}

pub fn grads<'a>(op: &'static str, shape: &TreeShape, g: &'a mut [f32]) -> CoreResult<Grads<'a>> {
    check_exact(op, "grads", g.len(), shape.param_len())?;
    let [a, b, c, _] = shape.param_sizes().0;
    let (w_ih, rest) = g.split_at_mut(a);
    let (x1, rest) = rest.split_at_mut(b);
    let (x2, x3) = rest.split_at_mut(c);
    Ok(if shape.kind == TreeKind::Rnn {
        Grads {
            w_ih,
            w_hh: &mut [],
            b_ih: x1,
            b_hh: &mut [],
        }
    } else {
        Grads {
            w_ih,
            w_hh: x1,
            b_ih: x2,
            b_hh: x3,
        }
    })
}

/// The tape in planes: `h [n, H]`, `c [n, H]`, gate activations `[n, G*H]` (child-sum: i, g,
/// o; N-ary: i, f0, f1, g, o), child-sum forget gates `[n, H]` (node as its parent's child).
pub struct Tape<'a> {
    pub h: &'a mut [f32],
    pub c: &'a mut [f32],
    pub gates: &'a mut [f32],
    pub fk: &'a mut [f32],
}

/// Gates stored per node by the tape.
pub fn tape_gates(kind: TreeKind) -> usize {
    match kind {
        TreeKind::Rnn => 0,
        TreeKind::ChildSumLstm => 3,
        TreeKind::NaryLstm => 5,
    }
}

pub fn tape<'a>(
    op: &'static str,
    shape: &TreeShape,
    f: &Forest,
    t: &'a mut [f32],
) -> CoreResult<Tape<'a>> {
    check_exact(op, "tape", t.len(), shape.tape_len(f.nodes)?)?;
    let nh = f.nodes * shape.hidden_size;
    let (h, rest) = t.split_at_mut(nh);
    if shape.kind == TreeKind::Rnn {
        return Ok(Tape {
            h,
            c: &mut [],
            gates: &mut [],
            fk: &mut [],
        });
    }
    let (c, rest) = rest.split_at_mut(nh);
    let (gates, fk) = rest.split_at_mut(nh * tape_gates(shape.kind));
    Ok(Tape { h, c, gates, fk })
}

/// Checks the forest against the shape and `x` (`[num_inputs, I]`).
pub fn check_x(op: &'static str, shape: &TreeShape, f: &Forest, x: &[f32]) -> CoreResult<()> {
    check_exact(
        op,
        "x",
        x.len(),
        f.num_inputs.saturating_mul(shape.input_size),
    )
}

/// Checks a buffer of cell states (or their gradients) in node order: `[nodes, H]` for the
/// Tree-LSTMs; a tree RNN has no cell state, so only an empty one is accepted.
pub fn check_cell(
    op: &'static str,
    name: &'static str,
    shape: &TreeShape,
    f: &Forest,
    len: usize,
) -> CoreResult<()> {
    let want = if shape.kind.has_cell_state() {
        f.nodes * shape.hidden_size
    } else {
        0
    };
    check_exact(op, name, len, want)
}
