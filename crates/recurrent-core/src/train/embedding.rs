//! Token inputs: embedding look-up, and the one-hot input projection of a recurrent layer.
//!
//! * [`embedding_forward`] / [`embedding_backward`]: `nn.Embedding` with a table `[V, E]`,
//!   one row per token.
//! * [`onehot_project`] / [`onehot_project_backward`]: a recurrent layer fed one-hot vectors
//!   `x_n = e_{id_n}` (d2l's character models) computes the input projection
//!   `x_n W_ih^T + b_ih` with `W_ih [GH, V]`; since `W_ih e_id` is column `id` of `W_ih`, the
//!   whole `[N, V] . [V, GH]` GEMM is a gather of columns, and its weight gradient
//!   `dW_ih += dG^T X` a scatter of rows of `dG` into columns. These two functions produce
//!   and consume exactly the `[N, GH]` gate pre-activations (input part) that the input GEMM
//!   of the recurrent driver would (rows `n = t*B + b` for a time-major batch), so a driver
//!   given the projection can skip the input GEMM, and `x` never has to be materialised.
//!
//! Ids are validated (`< V`) before anything is written. Backward passes add rows in the
//! order of `n`, so repeated ids give the same bits every time; they run on the calling
//! thread (they move `N * width` numbers, far less work than a GEMM).

use super::check;
use crate::error::CoreResult;

/// `out[n, :] = table[ids[n], :]` for a table `[vocab, dim]`; `out` is `[N, dim]` with
/// `N = ids.len()`, overwritten.
///
/// Errors (nothing written) unless `table` has `vocab * dim` elements, `out` has `N * dim`
/// and every id is below `vocab`.
pub fn embedding_forward(
    vocab: usize,
    dim: usize,
    ids: &[u32],
    table: &[f32],
    out: &mut [f32],
) -> CoreResult<()> {
    const OP: &str = "train::embedding_forward";
    check::exact(
        OP,
        "table",
        table.len(),
        check::product(OP, "table", vocab, dim)?,
    )?;
    check::exact(
        OP,
        "out",
        out.len(),
        check::product(OP, "out", ids.len(), dim)?,
    )?;
    check::ids_below(OP, "ids", ids, vocab)?;
    if dim == 0 {
        return Ok(());
    }
    for (row, &id) in out.chunks_exact_mut(dim).zip(ids) {
        let at = id as usize * dim;
        row.copy_from_slice(&table[at..at + dim]);
    }
    Ok(())
}

/// `dtable[ids[n], :] += dout[n, :]` for `n = 0, 1, ..., N-1` in that order (repeated ids
/// accumulate; the order is fixed, so the bits are too). `dout` is `[N, dim]`, `dtable`
/// `[vocab, dim]`.
///
/// Errors (nothing written) unless the sizes match and every id is below `vocab`.
pub fn embedding_backward(
    vocab: usize,
    dim: usize,
    ids: &[u32],
    dout: &[f32],
    dtable: &mut [f32],
) -> CoreResult<()> {
    const OP: &str = "train::embedding_backward";
    check::exact(
        OP,
        "dout",
        dout.len(),
        check::product(OP, "dout", ids.len(), dim)?,
    )?;
    check::exact(
        OP,
        "dtable",
        dtable.len(),
        check::product(OP, "dtable", vocab, dim)?,
    )?;
    check::ids_below(OP, "ids", ids, vocab)?;
    if dim == 0 {
        return Ok(());
    }
    for (g, &id) in dout.chunks_exact(dim).zip(ids) {
        let at = id as usize * dim;
        for (d, &v) in dtable[at..at + dim].iter_mut().zip(g) {
            *d += v;
        }
    }
    Ok(())
}

/// Input projection of one-hot inputs: `out[n, r] = w_ih[r, ids[n]] + bias[r]` for
/// `W_ih [rows, vocab]` (PyTorch's `weight_ih_l0`, `rows = G*H`) and `bias [rows]`
/// (`bias_ih_l0`, or absent). Equal to `one_hot(ids) . W_ih^T + b_ih`, `out [N, rows]`
/// overwritten.
///
/// Errors (nothing written) unless `w_ih` has `rows * vocab` elements, `bias` (if given)
/// `rows`, `out` `N * rows`, and every id is below `vocab`.
pub fn onehot_project(
    rows: usize,
    vocab: usize,
    ids: &[u32],
    w_ih: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) -> CoreResult<()> {
    const OP: &str = "train::onehot_project";
    check::exact(
        OP,
        "w_ih",
        w_ih.len(),
        check::product(OP, "w_ih", rows, vocab)?,
    )?;
    check::optional(OP, "bias", bias.map(<[f32]>::len), rows)?;
    check::exact(
        OP,
        "out",
        out.len(),
        check::product(OP, "out", ids.len(), rows)?,
    )?;
    check::ids_below(OP, "ids", ids, vocab)?;
    if rows == 0 {
        return Ok(());
    }
    for (o, &id) in out.chunks_exact_mut(rows).zip(ids) {
        // Column `id` of W_ih: element r sits at r * vocab + id.
        let col = w_ih[id as usize..].iter().step_by(vocab);
        match bias {
            Some(b) => o
                .iter_mut()
                .zip(col)
                .zip(b)
                .for_each(|((o, &w), &b)| *o = w + b),
            None => o.iter_mut().zip(col).for_each(|(o, &w)| *o = w),
        }
    }
    Ok(())
}

/// Backward of [`onehot_project`] given `dG [N, rows]`: `dw_ih[r, ids[n]] += dG[n, r]` for
/// `n = 0, 1, ...` in order, and `dbias[r] += sum_n dG[n, r]` (summed in `f64`, added once)
/// when `dbias` is given. Equal to `dW_ih += dG^T one_hot(ids)`.
///
/// Errors (nothing written) unless the sizes match and every id is below `vocab`.
pub fn onehot_project_backward(
    rows: usize,
    vocab: usize,
    ids: &[u32],
    dg: &[f32],
    dw_ih: &mut [f32],
    dbias: Option<&mut [f32]>,
) -> CoreResult<()> {
    const OP: &str = "train::onehot_project_backward";
    check::exact(
        OP,
        "dg",
        dg.len(),
        check::product(OP, "dg", ids.len(), rows)?,
    )?;
    check::exact(
        OP,
        "dw_ih",
        dw_ih.len(),
        check::product(OP, "dw_ih", rows, vocab)?,
    )?;
    check::optional(OP, "dbias", dbias.as_ref().map(|d| d.len()), rows)?;
    check::ids_below(OP, "ids", ids, vocab)?;
    if rows == 0 {
        return Ok(());
    }
    for (g, &id) in dg.chunks_exact(rows).zip(ids) {
        for (d, &v) in dw_ih[id as usize..].iter_mut().step_by(vocab).zip(g) {
            *d += v;
        }
    }
    if let Some(db) = dbias {
        super::dense::col_sum_into(&crate::parallel::Sequential, ids.len(), rows, dg, db);
    }
    Ok(())
}
