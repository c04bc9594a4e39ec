//! Weight gradients of one layer/direction, deferred until after its time loop so that they
//! are a few big GEMMs over all `R = T*B` rows instead of `T` small ones (the cuDNN recipe).
//! All of them accumulate (`+=`) into the gradient buffer.

use super::cells::{CellInfo, Recurrence};
use super::params::DirParamsMut;
use super::tape::DirTape;
use crate::error::CoreResult;
use crate::gemm::{sgemm, Transpose};
use crate::parallel::Parallel;

/// `dW += A^T [m, R] . B [R, n]`: A stored `[R, m]` with leading dimension `lda`.
pub(crate) fn at_b(
    pool: &dyn Parallel,
    rows: usize,
    m: usize,
    n: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    dw: &mut [f32],
) -> CoreResult<()> {
    sgemm(
        pool,
        Transpose::Yes,
        Transpose::No,
        m,
        n,
        rows,
        1.0,
        a,
        lda,
        b,
        n,
        1.0,
        dw,
        n,
    )
}

/// `dX [R, width] = dG [R, gh] . W [gh, width] + beta dX`: gate gradients back through a
/// weight stored `[gh, width]` (PyTorch's `W_ih` layout), e.g. to a layer's input.
#[allow(clippy::too_many_arguments)]
pub(crate) fn back_through(
    pool: &dyn Parallel,
    rows: usize,
    width: usize,
    gh: usize,
    dg: &[f32],
    w: &[f32],
    beta: f32,
    dx: &mut [f32],
) -> CoreResult<()> {
    sgemm(
        pool,
        Transpose::No,
        Transpose::No,
        rows,
        width,
        gh,
        1.0,
        dg,
        gh,
        w,
        width,
        beta,
        dx,
        width,
    )
}

/// `out[j] += sum_r m[r, j]` over the first `out.len()` columns of `m` (rows `ld` apart), in
/// row order: a fixed order, so the same bits for any thread count.
fn column_sums(m: &[f32], ld: usize, rows: usize, out: &mut [f32]) {
    for r in 0..rows {
        let row = &m[r * ld..r * ld + out.len()];
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Accumulates the gradients of `W_ih`, `W_hh`, `b_ih`, `b_hh` (the peepholes, `W_hr` and
/// `W_skip` when present) of one
/// layer/direction from its record after backward (`act` holds `dG`, see `backward`), with
/// `x` the layer's input `[R, input]`. Without biases the bias gradients are empty slices and
/// their column sums add nothing.
pub(crate) fn accumulate(
    pool: &dyn Parallel,
    cell: &CellInfo,
    h: usize,
    rows: usize,
    record: &DirTape,
    x: &[f32],
    input: usize,
    g: DirParamsMut<'_>,
) -> CoreResult<()> {
    let rec = RecordRows {
        act: &record.act,
        extra: &record.extra,
        hprev: &record.hprev,
        cprev: &record.cprev,
        dproj: &record.dproj,
        hcell: &record.hcell,
        hskip: &record.hskip,
    };
    accumulate_rows(pool, cell, h, rows, rec, x, input, g)
}

/// A record's rows as slices (a [`DirTape`], or the attention decoder's flat tape).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRows<'a> {
    pub act: &'a [f32],
    pub extra: &'a [f32],
    pub hprev: &'a [f32],
    pub cprev: &'a [f32],
    /// With a projection: the state gradients `[R, P]` backward left, and `o * tanh(c)` `[R, H]`.
    /// Empty without (the attention decoder's stacks have no projection).
    pub dproj: &'a [f32],
    pub hcell: &'a [f32],
    /// With a skip connection: the skip source `h_{t-d}` `[R, H]` of every row. Empty without
    /// (the attention decoder's stacks have no skip connection).
    pub hskip: &'a [f32],
}

/// [`accumulate`] over a record given as slices.
pub(crate) fn accumulate_rows(
    pool: &dyn Parallel,
    cell: &CellInfo,
    h: usize,
    rows: usize,
    record: RecordRows<'_>,
    x: &[f32],
    input: usize,
    g: DirParamsMut<'_>,
) -> CoreResult<()> {
    let gh = cell.gates * h;
    // The state's width: P with a projection (`W_hr [P, H]`), else H.
    let s = match g.w_hr.len() / h {
        0 => h,
        p => p,
    };
    let act = &record.act[..rows * gh];
    let extra = &record.extra[..rows * cell.extra * h];
    let hprev = &record.hprev[..rows * s];
    // dW_ih [GH, I] += dG^T [GH, R] . X [R, I];  db_ih += column sums of dG.
    at_b(pool, rows, gh, input, act, gh, x, g.w_ih)?;
    column_sums(act, gh, rows, g.b_ih);
    match cell.recurrence {
        // dW_hh [GH, P] += dG^T [GH, R] . H_prev [R, P];  db_hh likewise.
        Recurrence::Full => {
            at_b(pool, rows, gh, s, act, gh, hprev, g.w_hh)?;
            column_sums(act, gh, rows, g.b_hh);
        }
        // r, z rows as above; n rows from d(W_hn h + b_hn) = dn * r, kept in `extra`.
        Recurrence::ResetAfter => {
            let (w_rz, w_n) = g.w_hh.split_at_mut(2 * h * h);
            at_b(pool, rows, 2 * h, h, act, gh, hprev, w_rz)?;
            at_b(pool, rows, h, h, extra, h, hprev, w_n)?;
            if !g.b_hh.is_empty() {
                let (b_rz, b_n) = g.b_hh.split_at_mut(2 * h);
                column_sums(act, gh, rows, b_rz);
                column_sums(extra, h, rows, b_n);
            }
        }
        // r, z rows as above; the n rows multiplied r * h_{t-1}, kept in `extra`.
        Recurrence::ResetBefore => {
            let (w_rz, w_n) = g.w_hh.split_at_mut(2 * h * h);
            at_b(pool, rows, 2 * h, h, act, gh, hprev, w_rz)?;
            at_b(pool, rows, h, h, &act[2 * h..], gh, extra, w_n)?;
            column_sums(act, gh, rows, g.b_hh);
        }
    }
    if !g.w_hr.is_empty() {
        // dW_hr [P, H] += dH^T [P, R] . (o * tanh(c)) [R, H] (backward left dH in `dproj`).
        let (dproj, hcell) = (&record.dproj[..rows * s], &record.hcell[..rows * h]);
        at_b(pool, rows, s, h, dproj, s, hcell, g.w_hr)?;
    }
    if !g.w_skip.is_empty() {
        // dW_skip [H, H] += dG^T [H, R] . H_skip [R, H] (plain RNNs: GH = H).
        let hskip = &record.hskip[..rows * h];
        at_b(pool, rows, h, h, act, gh, hskip, g.w_skip)?;
    }
    if cell.leak_grad {
        // dleak += column sums of d * (h_{t-1} - g) * s * (1 - s), left in `extra` by backward.
        column_sums(extra, h, rows, &mut g.peep[..h]);
    }
    if cell.peephole {
        // dp_i += sum dA_i * c_{t-1}, dp_f += sum dA_f * c_{t-1}, dp_o += sum dA_o * c_t.
        let (pi, rest) = g.peep.split_at_mut(h);
        let (pf, po) = rest.split_at_mut(h);
        let cprev = &record.cprev[..rows * h];
        let b = cell.lstm_blocks();
        let (bi, bf, bo) = (b.i * h, b.f.unwrap_or(0) * h, b.o * h);
        for r in 0..rows {
            let (a, cp, c) = (&act[r * gh..(r + 1) * gh], &cprev[r * h..], &extra[r * h..]);
            for j in 0..h {
                pi[j] += a[bi + j] * cp[j];
                pf[j] += a[bf + j] * cp[j];
                po[j] += a[bo + j] * c[j];
            }
        }
    }
    Ok(())
}
