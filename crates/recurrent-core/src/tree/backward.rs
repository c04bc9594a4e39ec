//! Backpropagation through structure: the passes of the forward, last first. Every node's
//! dL/dh and dL/dc are complete when its pass comes (its parent is in a later pass), so one
//! fused pass gives the pre-activation gradients, then per pass and matrix one GEMM for the
//! weight gradient and one for the children's dL/dh.

use crate::error::{check_exact, CoreResult};
use crate::gemm::{sgemm, Transpose::No, Transpose::Yes};
use crate::mem;
use crate::parallel::Parallel;

use super::cell_grads::{child_sum_cells, nary_cells};
use super::forest::Forest;
use super::forward::gathered_inputs;
use super::gather;
use super::kind::{TreeKind, TreeShape};
use super::parts::{self, Grads, Params, Tape};

const OP: &str = "tree_backward";

/// Accumulates into `grads` (the flat parameter layout) and `gx` (`[num_inputs, I]`, when
/// given) the gradients of `sum(h * gh) + sum(c * gc)` (`gh`, `gc` `[nodes, H]` in node order;
/// `gc` only for the LSTMs, absent means zero), from the `tape` of [`super::tree_forward`] with
/// the same forest, parameters and `x`. Everything is checked before anything is written.
#[allow(clippy::too_many_arguments)]
pub fn tree_backward(
    pool: &dyn Parallel,
    shape: TreeShape,
    forest: &Forest,
    params: &[f32],
    x: &[f32],
    tape: &mut [f32],
    gh: &[f32],
    gc: Option<&[f32]>,
    grads: &mut [f32],
    gx: Option<&mut [f32]>,
) -> CoreResult<()> {
    let p = parts::params(OP, "params", &shape, params)?;
    parts::check_x(OP, &shape, forest, x)?;
    let (n, h) = (forest.nodes, shape.hidden_size);
    check_exact(OP, "gh", gh.len(), n * h)?;
    if let Some(gc) = gc {
        parts::check_cell(OP, "gc", &shape, forest, gc.len())?;
    }
    if let Some(gx) = &gx {
        check_exact(OP, "gx", gx.len(), x.len())?;
    }
    let t = parts::tape(OP, &shape, forest, tape)?;
    let mut g = parts::grads(OP, &shape, grads)?;
    let mut dh = slot_order(forest, Some(gh), h)?;
    match shape.kind {
        TreeKind::Rnn => rnn(pool, &shape, forest, &p, &t, &mut dh, &mut g, gx),
        _ => {
            let mut dc = slot_order(forest, gc.filter(|c| !c.is_empty()), h)?;
            lstm(
                pool, &shape, forest, &p, x, &t, &mut dh, &mut dc, &mut g, gx,
            )
        }
    }
}

/// `[n, width]` in slot order from node order (zeros when absent).
fn slot_order(f: &Forest, src: Option<&[f32]>, width: usize) -> CoreResult<Vec<f32>> {
    let mut out = mem::zeros::<f32>(OP, "state gradients", f.nodes * width)?;
    if let Some(src) = src {
        for (s, row) in out.chunks_exact_mut(width).enumerate() {
            let j = f.order[s] as usize;
            row.copy_from_slice(&src[j * width..(j + 1) * width]);
        }
    }
    Ok(out)
}

fn add_col_sums(rows: &[f32], width: usize, out: &mut [f32]) {
    for row in rows.chunks_exact(width) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn rnn(
    pool: &dyn Parallel,
    shape: &TreeShape,
    f: &Forest,
    p: &Params<'_>,
    t: &Tape<'_>,
    dh: &mut [f32],
    g: &mut Grads<'_>,
    mut gx: Option<&mut [f32]>,
) -> CoreResult<()> {
    let h = shape.hidden_size;
    let mut buf = mem::zeros::<f32>(OP, "child states", f.max_pass * 2 * h)?;
    let mut dbuf = mem::zeros::<f32>(OP, "child gradients", f.max_pass * 2 * h)?;
    let mut da = mem::zeros::<f32>(OP, "pre-activation gradients", f.max_pass * h)?;
    for pass in (0..f.passes()).rev() {
        let (s0, s1) = f.pass(pass);
        let (k0, k1) = f.kid_range(s0, s1);
        let m = s1 - s0;
        if k0 == k1 {
            // Leaves: a tree RNN's leaf state is its input.
            if let Some(gx) = gx.as_deref_mut() {
                add_to_inputs(f, (s0, s1), &dh[s0 * h..s1 * h], h, gx);
            }
            continue;
        }
        let da = &mut da[..m * h];
        for ((d, &y), &gy) in da
            .iter_mut()
            .zip(&t.h[s0 * h..s1 * h])
            .zip(&dh[s0 * h..s1 * h])
        {
            *d = gy * (1.0 - y * y);
        }
        let buf = &mut buf[..m * 2 * h];
        gather::kid_positions(f, (s0, s1), t.h, h, 2, buf);
        sgemm(
            pool,
            Yes,
            No,
            h,
            2 * h,
            m,
            1.0,
            da,
            h,
            buf,
            2 * h,
            1.0,
            g.w_ih,
            2 * h,
        )?;
        add_col_sums(da, h, g.b_ih);
        let dbuf = &mut dbuf[..m * 2 * h];
        sgemm(
            pool,
            No,
            No,
            m,
            2 * h,
            h,
            1.0,
            da,
            h,
            p.w_ih,
            2 * h,
            0.0,
            dbuf,
            2 * h,
        )?;
        gather::add_to_kids(f, (s0, s1), dbuf, h, 2, dh);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn lstm(
    pool: &dyn Parallel,
    shape: &TreeShape,
    f: &Forest,
    p: &Params<'_>,
    x: &[f32],
    t: &Tape<'_>,
    dh: &mut [f32],
    dc: &mut [f32],
    g: &mut Grads<'_>,
    gx: Option<&mut [f32]>,
) -> CoreResult<()> {
    let (n, h, i) = (f.nodes, shape.hidden_size, shape.input_size);
    let nary = shape.kind == TreeKind::NaryLstm;
    let gates = shape.hh_gates();
    let kin = if nary { 2 * h } else { h };
    let mut dxw = mem::zeros::<f32>(OP, "input projection gradients", n * 4 * h)?;
    let xg = gathered_inputs(shape, f, x)?;
    let mut dxg = mem::zeros::<f32>(OP, "input gradients", f.max_pass * i)?;
    let mut gx = gx;
    let mut dpre = mem::zeros::<f32>(OP, "pre-activation gradients", f.max_pass * gates * h)?;
    let mut hin = mem::zeros::<f32>(OP, "child states", f.max_pass * kin)?;
    let mut dhin = mem::zeros::<f32>(OP, "child gradients", f.max_pass * kin)?;
    let kid_rows = if nary { 0 } else { f.max_pass_kids * h };
    let mut hk = mem::zeros::<f32>(OP, "kid states", kid_rows)?;
    let mut dfk = mem::zeros::<f32>(OP, "forget gradients", kid_rows)?;
    let mut dhk = mem::zeros::<f32>(OP, "kid gradients", kid_rows)?;
    for pass in (0..f.passes()).rev() {
        let (s0, s1) = f.pass(pass);
        let (k0, k1) = f.kid_range(s0, s1);
        let (m, nk) = (s1 - s0, k1 - k0);
        let dpre = &mut dpre[..m * gates * h];
        if nary {
            nary_cells(f, (s0, s1), h, t, dh, dc, dpre, &mut dxw);
        } else {
            child_sum_cells(f, (s0, s1), h, t, dh, dc, dpre, &mut dfk, &mut dxw);
        }
        input_grads(
            pool,
            shape,
            f,
            p,
            (s0, s1),
            &dxw,
            &xg,
            g,
            gx.as_deref_mut(),
            &mut dxg,
        )?;
        if nk == 0 {
            continue;
        }
        let (hin, dhin) = (&mut hin[..m * kin], &mut dhin[..m * kin]);
        if nary {
            gather::kid_positions(f, (s0, s1), t.h, h, 2, hin);
        } else {
            gather::kid_sums(f, (s0, s1), t.h, h, hin);
        }
        sgemm(
            pool,
            Yes,
            No,
            gates * h,
            kin,
            m,
            1.0,
            dpre,
            gates * h,
            hin,
            kin,
            1.0,
            g.w_hh,
            kin,
        )?;
        sgemm(
            pool,
            No,
            No,
            m,
            kin,
            gates * h,
            1.0,
            dpre,
            gates * h,
            p.w_hh,
            kin,
            0.0,
            dhin,
            kin,
        )?;
        gather::add_to_kids(f, (s0, s1), dhin, h, if nary { 2 } else { 0 }, dh);
        if !nary {
            // The forget gates see each kid's own state: W_hf's gradient and the kids' dL/dh.
            let (hk, dfk, dhk) = (&mut hk[..nk * h], &dfk[..nk * h], &mut dhk[..nk * h]);
            gather::kid_rows(f, (k0, k1), t.h, h, hk);
            sgemm(
                pool,
                Yes,
                No,
                h,
                h,
                nk,
                1.0,
                dfk,
                h,
                hk,
                h,
                1.0,
                &mut g.w_hh[h * h..2 * h * h],
                h,
            )?;
            sgemm(
                pool,
                No,
                No,
                nk,
                h,
                h,
                1.0,
                dfk,
                h,
                &p.w_hh[h * h..2 * h * h],
                h,
                0.0,
                dhk,
                h,
            )?;
            gather::add_kid_rows(f, (k0, k1), dhk, h, dh);
        }
    }
    Ok(())
}

/// The input side of one pass: `dW_ih += dxw^T xg`, both bias gradients, and `gx` (rows
/// `s0..s1`; one GEMM per matrix and pass).
#[allow(clippy::too_many_arguments)]
fn input_grads(
    pool: &dyn Parallel,
    shape: &TreeShape,
    f: &Forest,
    p: &Params<'_>,
    (s0, s1): (usize, usize),
    dxw: &[f32],
    xg: &[f32],
    g: &mut Grads<'_>,
    gx: Option<&mut [f32]>,
    dxg: &mut [f32],
) -> CoreResult<()> {
    let (i, g4, m) = (shape.input_size, 4 * shape.hidden_size, s1 - s0);
    let (dxw, xg) = (&dxw[s0 * g4..s1 * g4], &xg[s0 * i..s1 * i]);
    sgemm(pool, Yes, No, g4, i, m, 1.0, dxw, g4, xg, i, 1.0, g.w_ih, i)?;
    add_col_sums(dxw, g4, g.b_ih);
    add_col_sums(dxw, g4, g.b_hh);
    if let Some(gx) = gx {
        let dxg = &mut dxg[..m * i];
        sgemm(pool, No, No, m, i, g4, 1.0, dxw, g4, p.w_ih, i, 0.0, dxg, i)?;
        add_to_inputs(f, (s0, s1), dxg, i, gx);
    }
    Ok(())
}

/// Adds row `s - s0` of `rows` (`width` floats each) to the input row of node slot `s`, for
/// the slots `s0..s1` that have one.
fn add_to_inputs(f: &Forest, (s0, s1): (usize, usize), rows: &[f32], width: usize, gx: &mut [f32]) {
    for (s, row) in (s0..s1).zip(rows.chunks_exact(width)) {
        if let Ok(r) = usize::try_from(f.x_row[s]) {
            for (d, v) in gx[r * width..(r + 1) * width].iter_mut().zip(row) {
                *d += v;
            }
        }
    }
}
