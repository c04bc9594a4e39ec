//! Single-precision GEMM: `C <- alpha * op(A) * op(B) + beta * C`.
//!
//! Row-major with leading dimensions (the distance in elements between consecutive rows as
//! stored). `op(X)` is `X` or `X^T`. `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`.
//! `beta == 0` never reads C, so C may hold garbage or NaN. The result does not depend on
//! the number of threads, bit for bit.
//!
//! Two kernel paths, both written over [`crate::simd::F32x4`] (so the wasm SIMD build and
//! the native scalar twin run the same arithmetic), both cut C into a tile grid that depends
//! only on `(m, n, k)`:
//!
//! - packed (`packed.rs`): BLIS-style, panels of op(A) and op(B) packed per tile into
//!   thread-private scratch, an `MR x NR` register micro-kernel (`kernel.rs`), blocking in
//!   `blocking.rs`. All four transpose combinations are absorbed by the packing.
//! - direct (`direct.rs`): for `m <= DIRECT_MAX_M` rows, no packing at all.
//!
//! [`sgemm`] chooses by shape; [`sgemm_with_path`] forces a path (tests run every path).

mod blocking;
mod direct;
mod kernel;
mod pack;
mod packed;
mod reference;
mod scratch;

pub use blocking::{DIRECT_MAX_M, KC, MC, NC};
pub use kernel::{MR, NR};
pub use reference::sgemm_reference;

use crate::error::{CoreError, CoreResult};
use crate::parallel::{Parallel, SharedMut};
use pack::Operand;

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
        return Err(CoreError::new(
            "sgemm",
            ld_name,
            format!(">= {cols} (the row width)"),
            ld.to_string(),
        ));
    }
    let need = (rows - 1)
        .checked_mul(ld)
        .and_then(|x| x.checked_add(cols))
        .ok_or_else(|| {
            CoreError::new(
                "sgemm",
                name,
                "a size that fits in memory",
                format!("{rows} x {cols}, ld {ld}"),
            )
        })?;
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
///
/// Contract: `op(A)` is `m x k`, `op(B)` is `k x n`, C is `m x n`, all row-major with
/// leading dimensions `lda`, `ldb`, `ldc` (elements between stored rows, at least the stored
/// width). Only the `m x n` elements of C are touched: padding between rows is never
/// written. `beta == 0` never reads C. `k == 0` gives `C <- alpha * 0 + beta * C`. The
/// k-sum runs in a fixed order that depends on `(m, n, k)` only, so the result is
/// bit-identical for any `pool`. Errors (nothing written) if a size or slice is
/// inconsistent.
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
    sgemm_with_path(
        pool,
        GemmPath::Auto,
        ta,
        tb,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    )
}

/// Which kernel path computes a GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmPath {
    /// Chosen by shape: direct for `m <= DIRECT_MAX_M`, packed otherwise.
    Auto,
    /// Packed panels and the register micro-kernel, any shape.
    Packed,
    /// No packing, rows in groups of up to 4; meant for few rows, correct for any shape.
    Direct,
}

/// [`sgemm`] on a given path, with the same contract. Both paths are deterministic but sum
/// in different orders, so they agree to rounding, not bit for bit.
pub fn sgemm_with_path(
    pool: &dyn Parallel,
    path: GemmPath,
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
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        for row in c.chunks_mut(ldc).take(m) {
            for x in &mut row[..n] {
                *x = if beta == 0.0 {
                    alpha * 0.0
                } else {
                    alpha * 0.0 + beta * *x
                };
            }
        }
        return Ok(());
    }
    let problem = Problem {
        a: Operand {
            data: a,
            ld: lda,
            trans: ta,
        },
        b: Operand {
            data: b,
            ld: ldb,
            trans: tb,
        },
        m,
        n,
        k,
        alpha,
        beta,
        c: SharedMut::new(c),
        ldc,
    };
    let direct = match path {
        GemmPath::Auto => m <= DIRECT_MAX_M,
        GemmPath::Packed => false,
        GemmPath::Direct => true,
    };
    if direct {
        direct::run(pool, &problem);
    } else {
        packed::run(pool, &problem);
    }
    Ok(())
}

/// A validated GEMM with `m, n, k > 0`, shared read-only by the tiles.
struct Problem<'a> {
    a: Operand<'a>,
    b: Operand<'a>,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    beta: f32,
    /// C, written by the tiles at disjoint elements.
    c: SharedMut<f32>,
    ldc: usize,
}

impl Problem<'_> {
    /// Address of C's element `(i, j)`; dereferencing it is the caller's `unsafe`.
    fn c_at(&self, i: usize, j: usize) -> *mut f32 {
        self.c.0.wrapping_add(i * self.ldc + j)
    }
}
