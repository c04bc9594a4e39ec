//! The dense (fully connected) layer, PyTorch `nn.Linear` layout: `y = x W^T + b`.
//!
//! Shapes: `x [N, In]`, `W [O, In]`, `b [O]`, `y [N, O]`, all row-major without padding.
//! Forward is one GEMM; backward is two GEMMs (`dW += dy^T x`, `dx = dy W`) and a column sum
//! (`db += colsum(dy)`), each bit-identical for any thread count.

use super::check;
use super::grad::GradWrite;
use super::tiles::part_mut;
use crate::error::CoreResult;
use crate::gemm::{sgemm, Transpose};
use crate::parallel::{Parallel, SharedMut};

/// Columns of `dy` summed by one tile of [`col_sum_into`]; the tiling depends on `O` only.
const COLSUM_TILE: usize = 64;

/// Where [`dense_backward`] (and the fused loss) put the gradients. Every part is optional:
/// leave out what is not trained (a frozen weight, a layer whose input needs no gradient).
#[derive(Debug, Default)]
pub struct DenseGrads<'a> {
    /// `[O, In]`: `dW += dy^T x`.
    pub dw: Option<&'a mut [f32]>,
    /// `[O]`: `db += colsum(dy)` (each column summed in `f64`, added once).
    pub db: Option<&'a mut [f32]>,
    /// `[N, In]`: `dx = dy W`, or `dx += dy W`, as `dx_write` says.
    pub dx: Option<&'a mut [f32]>,
    /// Whether `dx` is overwritten or accumulated.
    pub dx_write: GradWrite,
}

/// `y [N, O] = x [N, In] . W^T + b` (`W` is `[O, In]`, `b` is `[O]` or absent).
///
/// `y` is overwritten and never read. One GEMM over `pool`; bit-identical for any thread
/// count. Errors (nothing written) unless `x`, `w`, `b`, `y` have exactly `N*In`, `O*In`,
/// `O`, `N*O` elements. `In = 0` gives `y = b` (or zeros).
pub fn dense_forward(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
) -> CoreResult<()> {
    const OP: &str = "train::dense_forward";
    check_forward(OP, n, in_dim, out_dim, x, w, b)?;
    check::exact(OP, "y", y.len(), check::product(OP, "y", n, out_dim)?)?;
    forward_unchecked(pool, n, in_dim, out_dim, x, w, b, y)
}

/// Checks the operands shared by every dense forward (`x`, `w`, `b`).
pub(crate) fn check_forward(
    op: &'static str,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
) -> CoreResult<()> {
    check::exact(op, "x", x.len(), check::product(op, "x", n, in_dim)?)?;
    check::exact(op, "w", w.len(), check::product(op, "w", out_dim, in_dim)?)?;
    check::optional(op, "b", b.map(<[f32]>::len), out_dim)
}

/// [`dense_forward`] on validated operands; `y` needs at least `N*O` elements (the first
/// `N*O` are written).
pub(crate) fn forward_unchecked(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
) -> CoreResult<()> {
    if n == 0 || out_dim == 0 {
        return Ok(());
    }
    let y = &mut y[..n * out_dim];
    let beta = match b {
        Some(b) => {
            // y <- b in every row, then y <- x W^T + y.
            for row in y.chunks_exact_mut(out_dim) {
                row.copy_from_slice(b);
            }
            1.0
        }
        None => 0.0,
    };
    // [N, In] . [O, In]^T -> [N, O]
    sgemm(
        pool,
        Transpose::No,
        Transpose::Yes,
        n,
        out_dim,
        in_dim,
        1.0,
        x,
        in_dim.max(1),
        w,
        in_dim.max(1),
        beta,
        y,
        out_dim,
    )
}

/// Backward of [`dense_forward`] given `dy [N, O]`: `dW += dy^T x`, `db += colsum(dy)`,
/// `dx = dy W` (or `+=`). Parts of `grads` that are `None` are skipped.
///
/// Errors (nothing written) unless every given tensor has its exact size. `N = 0` leaves
/// `dW` and `db` unchanged (and `dx` empty). Bit-identical for any thread count.
pub fn dense_backward(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    grads: DenseGrads<'_>,
) -> CoreResult<()> {
    const OP: &str = "train::dense_backward";
    check_forward(OP, n, in_dim, out_dim, x, w, None)?;
    check::exact(OP, "dy", dy.len(), check::product(OP, "dy", n, out_dim)?)?;
    check_grads(OP, n, in_dim, out_dim, &grads)?;
    backward_unchecked(pool, n, in_dim, out_dim, x, w, dy, grads)
}

/// Checks the sizes of the given parts of `grads`.
pub(crate) fn check_grads(
    op: &'static str,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    grads: &DenseGrads<'_>,
) -> CoreResult<()> {
    check::optional(
        op,
        "dw",
        grads.dw.as_ref().map(|d| d.len()),
        check::product(op, "dw", out_dim, in_dim)?,
    )?;
    check::optional(op, "db", grads.db.as_ref().map(|d| d.len()), out_dim)?;
    check::optional(
        op,
        "dx",
        grads.dx.as_ref().map(|d| d.len()),
        check::product(op, "dx", n, in_dim)?,
    )
}

/// [`dense_backward`] on validated operands; `dy` needs at least `N*O` elements (the first
/// `N*O` are read).
pub(crate) fn backward_unchecked(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    out_dim: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    grads: DenseGrads<'_>,
) -> CoreResult<()> {
    let dy = &dy[..n * out_dim];
    let ld_in = in_dim.max(1);
    let ld_out = out_dim.max(1);
    if let Some(dw) = grads.dw {
        // [N, O]^T . [N, In] -> [O, In], added to dW (k = N = 0 leaves dW as it is).
        sgemm(
            pool,
            Transpose::Yes,
            Transpose::No,
            out_dim,
            in_dim,
            n,
            1.0,
            dy,
            ld_out,
            x,
            ld_in,
            1.0,
            dw,
            ld_in,
        )?;
    }
    if let Some(db) = grads.db {
        col_sum_into(pool, n, out_dim, dy, db);
    }
    if let Some(dx) = grads.dx {
        // [N, O] . [O, In] -> [N, In]; O = 0 gives dx = 0 (or leaves it, when accumulating).
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            n,
            in_dim,
            out_dim,
            1.0,
            dy,
            ld_out,
            w,
            ld_in,
            grads.dx_write.beta(),
            dx,
            ld_in,
        )?;
    }
    Ok(())
}

/// `out[j] += sum_i m[i, j]` for `m [rows, cols]`: each column summed in row order in `f64`
/// and added to `out` with one rounding. Tiles of [`COLSUM_TILE`] columns, so the result does
/// not depend on the thread count. Sizes must have been checked.
pub(crate) fn col_sum_into(
    pool: &dyn Parallel,
    rows: usize,
    cols: usize,
    m: &[f32],
    out: &mut [f32],
) {
    if cols == 0 || rows == 0 {
        return;
    }
    let out = &mut out[..cols];
    let m = &m[..rows * cols];
    let tiles = cols.div_ceil(COLSUM_TILE);
    let dst = SharedMut::new(out);
    pool.run(tiles, &|t| {
        let j0 = t * COLSUM_TILE;
        let j1 = (j0 + COLSUM_TILE).min(cols);
        let mut acc = [0.0f64; COLSUM_TILE];
        let acc = &mut acc[..j1 - j0];
        for row in m.chunks_exact(cols) {
            for (a, &v) in acc.iter_mut().zip(&row[j0..j1]) {
                *a += f64::from(v);
            }
        }
        // SAFETY: tile t owns out[j0..j1]; tiles are disjoint and `out` outlives `pool.run`.
        let out = unsafe { part_mut(dst, j0, j1 - j0) };
        for (o, a) in out.iter_mut().zip(acc.iter()) {
            *o = (f64::from(*o) + a) as f32;
        }
    });
}
