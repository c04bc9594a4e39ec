//! The forward pass over a forest, pass by pass (see the module doc).

use crate::error::{check_exact, CoreResult};
use crate::gemm::{sgemm, Transpose::No, Transpose::Yes};
use crate::math::{sigmoid, tanh};
use crate::mem;
use crate::parallel::Parallel;

use super::forest::Forest;
use super::gather;
use super::kind::{TreeKind, TreeShape};
use super::parts::{self, Params, Tape};

const OP: &str = "tree_forward";

/// Runs the forest forward: `h_out [nodes, H]` (and `c_out` for the LSTMs, when given) in node
/// order; `tape` (`shape.tape_len(nodes)` floats) keeps what [`super::tree_backward`] needs.
/// `params` is the flat parameter list of [`TreeShape`], `x` is `[forest.num_inputs, I]`.
/// Everything is checked before anything is written.
#[allow(clippy::too_many_arguments)]
pub fn tree_forward(
    pool: &dyn Parallel,
    shape: TreeShape,
    forest: &Forest,
    params: &[f32],
    x: &[f32],
    tape: &mut [f32],
    h_out: &mut [f32],
    c_out: Option<&mut [f32]>,
) -> CoreResult<()> {
    let p = parts::params(OP, "params", &shape, params)?;
    parts::check_x(OP, &shape, forest, x)?;
    let nh = forest.nodes * shape.hidden_size;
    check_exact(OP, "h_out", h_out.len(), nh)?;
    if let Some(c) = &c_out {
        parts::check_cell(OP, "c_out", &shape, forest, c.len())?;
    }
    let mut t = parts::tape(OP, &shape, forest, tape)?;
    match shape.kind {
        TreeKind::Rnn => rnn(pool, &shape, forest, &p, x, t.h)?,
        TreeKind::ChildSumLstm | TreeKind::NaryLstm => lstm(pool, &shape, forest, &p, x, &mut t)?,
    }
    let h = shape.hidden_size;
    to_node_order(forest, t.h, h, h_out);
    if let Some(c) = c_out {
        to_node_order(forest, t.c, h, c);
    }
    Ok(())
}

fn to_node_order(f: &Forest, src: &[f32], width: usize, dst: &mut [f32]) {
    for (s, row) in src.chunks_exact(width).enumerate().take(f.nodes) {
        let j = f.order[s] as usize;
        dst[j * width..(j + 1) * width].copy_from_slice(row);
    }
}

fn rnn(
    pool: &dyn Parallel,
    shape: &TreeShape,
    f: &Forest,
    p: &Params<'_>,
    x: &[f32],
    h_all: &mut [f32],
) -> CoreResult<()> {
    let h = shape.hidden_size;
    let mut buf = mem::zeros::<f32>(OP, "child states", f.max_pass * 2 * h)?;
    let mut pre = mem::zeros::<f32>(OP, "pre-activations", f.max_pass * h)?;
    for pass in 0..f.passes() {
        let (s0, s1) = f.pass(pass);
        let (k0, k1) = f.kid_range(s0, s1);
        let m = s1 - s0;
        if k0 == k1 {
            // Leaves: their input row is their state (I == H).
            for s in s0..s1 {
                let r = f.x_row[s] as usize;
                h_all[s * h..(s + 1) * h].copy_from_slice(&x[r * h..(r + 1) * h]);
            }
            continue;
        }
        gather::kid_positions(f, (s0, s1), h_all, h, 2, &mut buf);
        sgemm(
            pool,
            No,
            Yes,
            m,
            h,
            2 * h,
            1.0,
            &buf[..m * 2 * h],
            2 * h,
            p.w_ih,
            2 * h,
            0.0,
            &mut pre[..m * h],
            h,
        )?;
        for (row, out) in pre
            .chunks_exact(h)
            .zip(h_all[s0 * h..s1 * h].chunks_exact_mut(h))
        {
            for ((o, &a), &b) in out.iter_mut().zip(row).zip(p.b_ih) {
                *o = tanh(a + b);
            }
        }
    }
    Ok(())
}

/// Every slot's input row (zeros where a node has none): `[n, I]`.
pub(super) fn gathered_inputs(shape: &TreeShape, f: &Forest, x: &[f32]) -> CoreResult<Vec<f32>> {
    let i = shape.input_size;
    let mut xg = mem::zeros::<f32>(OP, "gathered inputs", f.nodes * i)?;
    gather::inputs(f, x, i, &mut xg);
    Ok(xg)
}

/// Input projections of the slots `s0..s1` (one pass) in one GEMM, both biases added: rows
/// `s0..s1` of `xw [n, 4H]` (i, f, g, o). Per pass, so that a node-at-a-time schedule is
/// node-at-a-time throughout.
fn project_pass(
    pool: &dyn Parallel,
    shape: &TreeShape,
    p: &Params<'_>,
    (s0, s1): (usize, usize),
    xg: &[f32],
    xw: &mut [f32],
) -> CoreResult<()> {
    let (i, g4) = (shape.input_size, 4 * shape.hidden_size);
    let xw = &mut xw[s0 * g4..s1 * g4];
    sgemm(
        pool,
        No,
        Yes,
        s1 - s0,
        g4,
        i,
        1.0,
        &xg[s0 * i..s1 * i],
        i,
        p.w_ih,
        i,
        0.0,
        xw,
        g4,
    )?;
    for row in xw.chunks_exact_mut(g4) {
        for ((o, &a), &b) in row.iter_mut().zip(p.b_ih).zip(p.b_hh) {
            *o += a + b;
        }
    }
    Ok(())
}

fn lstm(
    pool: &dyn Parallel,
    shape: &TreeShape,
    f: &Forest,
    p: &Params<'_>,
    x: &[f32],
    t: &mut Tape<'_>,
) -> CoreResult<()> {
    let h = shape.hidden_size;
    let xg = gathered_inputs(shape, f, x)?;
    let mut xw = mem::zeros::<f32>(OP, "input projections", f.nodes * 4 * h)?;
    let nary = shape.kind == TreeKind::NaryLstm;
    let g = shape.hh_gates();
    let kin = if nary { 2 * h } else { h };
    let mut hin = mem::zeros::<f32>(OP, "child states", f.max_pass * kin)?;
    let mut pre = mem::zeros::<f32>(OP, "pre-activations", f.max_pass * g * h)?;
    let kid_rows = if nary { 0 } else { f.max_pass_kids * h };
    let mut hk = mem::zeros::<f32>(OP, "kid states", kid_rows)?;
    let mut fpre = mem::zeros::<f32>(OP, "forget pre-activations", kid_rows)?;
    for pass in 0..f.passes() {
        let (s0, s1) = f.pass(pass);
        let (k0, k1) = f.kid_range(s0, s1);
        let (m, nk) = (s1 - s0, k1 - k0);
        project_pass(pool, shape, p, (s0, s1), &xg, &mut xw)?;
        let pre = &mut pre[..m * g * h];
        // Input part: child-sum takes the 4 blocks as they are; N-ary repeats f for f0, f1.
        for (row, xrow) in pre
            .chunks_exact_mut(g * h)
            .zip(xw[s0 * 4 * h..s1 * 4 * h].chunks_exact(4 * h))
        {
            if nary {
                row[..2 * h].copy_from_slice(&xrow[..2 * h]);
                row[2 * h..].copy_from_slice(&xrow[h..]);
            } else {
                row.copy_from_slice(xrow);
            }
        }
        if nk > 0 {
            let hin = &mut hin[..m * kin];
            if nary {
                gather::kid_positions(f, (s0, s1), t.h, h, 2, hin);
            } else {
                gather::kid_sums(f, (s0, s1), t.h, h, hin);
                gather::kid_rows(f, (k0, k1), t.h, h, &mut hk);
                sgemm(
                    pool,
                    No,
                    Yes,
                    nk,
                    h,
                    h,
                    1.0,
                    &hk[..nk * h],
                    h,
                    &p.w_hh[h * h..2 * h * h],
                    h,
                    0.0,
                    &mut fpre[..nk * h],
                    h,
                )?;
            }
            sgemm(
                pool,
                No,
                Yes,
                m,
                g * h,
                kin,
                1.0,
                hin,
                kin,
                p.w_hh,
                kin,
                1.0,
                pre,
                g * h,
            )?;
        }
        if nary {
            nary_gates(f, (s0, s1), h, pre, t);
        } else {
            child_sum_gates(f, (s0, s1), h, pre, &xw, &fpre, t);
        }
    }
    Ok(())
}

/// The fused gate pass of a child-sum pass: `pre [m, 4H]`, `fpre [kids, H]` (W_hf h_k).
fn child_sum_gates(
    f: &Forest,
    (s0, s1): (usize, usize),
    h: usize,
    pre: &[f32],
    xw: &[f32],
    fpre: &[f32],
    t: &mut Tape<'_>,
) {
    let k0 = f.kid_start[s0] as usize;
    for (s, a) in (s0..s1).zip(pre.chunks_exact(4 * h)) {
        for u in 0..h {
            let (i, gg, o) = (sigmoid(a[u]), tanh(a[2 * h + u]), sigmoid(a[3 * h + u]));
            t.gates[s * 3 * h + u] = i;
            t.gates[s * 3 * h + h + u] = gg;
            t.gates[s * 3 * h + 2 * h + u] = o;
            t.c[s * h + u] = i * gg;
        }
        let xf = &xw[s * 4 * h + h..s * 4 * h + 2 * h];
        for e in f.kid_start[s] as usize..f.kid_start[s + 1] as usize {
            let k = f.kids[e] as usize;
            let fp = &fpre[(e - k0) * h..(e - k0 + 1) * h];
            for u in 0..h {
                let fg = sigmoid(xf[u] + fp[u]);
                t.fk[k * h + u] = fg;
                t.c[s * h + u] += fg * t.c[k * h + u];
            }
        }
        for u in 0..h {
            t.h[s * h + u] = t.gates[s * 3 * h + 2 * h + u] * tanh(t.c[s * h + u]);
        }
    }
}

/// The fused gate pass of an N-ary pass: `pre [m, 5H]` (i, f0, f1, g, o).
fn nary_gates(f: &Forest, (s0, s1): (usize, usize), h: usize, pre: &[f32], t: &mut Tape<'_>) {
    for (s, a) in (s0..s1).zip(pre.chunks_exact(5 * h)) {
        let kids = f.kids_of(s);
        let gs = &mut t.gates[s * 5 * h..(s + 1) * 5 * h];
        for u in 0..h {
            let i = sigmoid(a[u]);
            let gg = tanh(a[3 * h + u]);
            let o = sigmoid(a[4 * h + u]);
            let (f0, f1) = (sigmoid(a[h + u]), sigmoid(a[2 * h + u]));
            gs[u] = i;
            gs[h + u] = f0;
            gs[2 * h + u] = f1;
            gs[3 * h + u] = gg;
            gs[4 * h + u] = o;
            let mut c = i * gg;
            for (l, &k) in kids.iter().enumerate() {
                let fl = if l == 0 { f0 } else { f1 };
                c += fl * t.c[k as usize * h + u];
            }
            t.c[s * h + u] = c;
            t.h[s * h + u] = o * tanh(c);
        }
    }
}
