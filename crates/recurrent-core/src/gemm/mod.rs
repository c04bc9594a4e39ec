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
pub use scratch::prepare_thread;

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
            format_args!(">= {cols} (the row width)"),
            format_args!("{ld}"),
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
                format_args!("{rows} x {cols}, ld {ld}"),
            )
        })?;
    if len < need {
        return Err(CoreError::new(
            "sgemm",
            name,
            format_args!("at least {need} elements for {rows} x {cols} with ld {ld}"),
            format_args!("{len}"),
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
/// inconsistent; errors if scratch memory cannot be had (see `scratch::run_tiles`: rarely,
/// when a pool worker's own buffer cannot grow, after part of C was written).
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
        a: Operand::new(a, lda, ta),
        b: Operand::new(b, ldb, tb),
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
        direct::run(pool, &problem)
    } else {
        packed::run(pool, &problem)
    }
}

/// op(B) (`k x n`) packed once, for many products with the same B: the recurrent weights
/// `W_hh` of a sequence, multiplied at every step. Made by [`with_packed_b`], used by
/// [`sgemm_packed_b`]; results are bit-identical to [`sgemm`]'s (the tiles read the same
/// packed values they would have packed themselves).
#[derive(Debug)]
pub struct PackedB<'s> {
    data: &'s [f32],
    /// Address of the operand it was packed from (checked on use).
    b: usize,
    tb: Transpose,
    n: usize,
    k: usize,
    ldb: usize,
}

/// Runs `f` with op(B) packed in this thread's prepack buffer (reused across calls; a nested
/// call gets a buffer of its own). `b` is `k x n` as used (`tb`), stored with `ldb`.
/// Errors if the operand is inconsistent (as [`sgemm`] would) or the packed copy does not fit
/// in memory.
pub fn with_packed_b<R>(
    tb: Transpose,
    n: usize,
    k: usize,
    b: &[f32],
    ldb: usize,
    f: impl FnOnce(&PackedB<'_>) -> R,
) -> CoreResult<R> {
    let (rows, cols) = if tb == Transpose::No { (k, n) } else { (n, k) };
    check_operand("b", b.len(), rows, cols, ldb, "ldb")?;
    let len = packed::packed_b_len(n, k);
    scratch::with_prepack_scratch(len, |buf| {
        if n > 0 && k > 0 {
            packed::pack_b_all(Operand::new(b, ldb, tb), n, k, buf);
        }
        f(&PackedB {
            data: buf,
            b: b.as_ptr() as usize,
            tb,
            n,
            k,
            ldb,
        })
    })
}

/// [`sgemm`] with `B` given both as stored (`b`, for the unpacked direct path of few rows)
/// and packed (`packed`, made from that same `b`): the same contract and the same bits,
/// without re-packing B. Errors if `packed` was made from another operand or shape.
pub fn sgemm_packed_b(
    pool: &dyn Parallel,
    ta: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    packed: &PackedB<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> CoreResult<()> {
    let (tb, ldb) = (packed.tb, packed.ldb);
    if packed.b != b.as_ptr() as usize || packed.n != n || packed.k != k {
        return Err(CoreError::new(
            "sgemm_packed_b",
            "packed",
            format_args!("B packed from this operand as {k} x {n}"),
            format_args!("one packed as {} x {}", packed.k, packed.n),
        ));
    }
    if m <= DIRECT_MAX_M || k == 0 || m == 0 || n == 0 {
        return sgemm(pool, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    check_args(ta, tb, m, n, k, a.len(), lda, b.len(), ldb, c.len(), ldc)?;
    let problem = Problem {
        a: Operand::new(a, lda, ta),
        b: Operand::new(b, ldb, tb),
        m,
        n,
        k,
        alpha,
        beta,
        c: SharedMut::new(c),
        ldc,
    };
    packed::run_with_packed_b(pool, &problem, packed.data)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed call is a failed test
mod tests {
    //! The pre-packed-B GEMM against [`sgemm`] (bit for bit: same packed values, same tiles)
    //! and against the scalar reference (to rounding), over shapes that take every branch:
    //! the direct path (m <= 3), one tile row with shared A, several tile rows, ragged
    //! edges, k above KC (several k blocks), both layouts of B, beta 0 and 1, 1 and 3 threads.
    use super::*;
    use crate::parallel::{ScopedThreads, Sequential};

    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn packed_b_matches_sgemm_bits_and_reference() {
        let shapes = [
            (1, 1024, 256),
            (3, 70, 33),
            (4, 1024, 256),
            (32, 1024, 256),
            (32, 256, 1024),
            (33, 77, 300),
            (200, 130, 600),
            (64, 520, 5),
        ];
        let pools: [&dyn Parallel; 2] = [&Sequential, &ScopedThreads::new(3)];
        for (si, &(m, n, k)) in shapes.iter().enumerate() {
            for tb in [Transpose::No, Transpose::Yes] {
                for beta in [0.0f32, 1.0] {
                    let a = values(m * k, si as u64 + 1);
                    let b = values(k * n, si as u64 + 100);
                    let c0 = values(m * n, si as u64 + 200);
                    let ldb = if tb == Transpose::No { n } else { k };
                    let mut want = c0.clone();
                    sgemm(
                        &Sequential,
                        Transpose::No,
                        tb,
                        m,
                        n,
                        k,
                        0.5,
                        &a,
                        k,
                        &b,
                        ldb,
                        beta,
                        &mut want,
                        n,
                    )
                    .unwrap();
                    let mut refc = c0.clone();
                    sgemm_reference(
                        Transpose::No,
                        tb,
                        m,
                        n,
                        k,
                        0.5,
                        &a,
                        k,
                        &b,
                        ldb,
                        beta,
                        &mut refc,
                        n,
                    );
                    for pool in pools {
                        let mut got = c0.clone();
                        with_packed_b(tb, n, k, &b, ldb, |wp| {
                            sgemm_packed_b(
                                pool,
                                Transpose::No,
                                m,
                                n,
                                k,
                                0.5,
                                &a,
                                k,
                                &b,
                                wp,
                                beta,
                                &mut got,
                                n,
                            )
                        })
                        .unwrap()
                        .unwrap();
                        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&got), bits(&want), "{m}x{n}x{k} {tb:?} beta {beta}");
                        for (g, r) in got.iter().zip(&refc) {
                            assert!(
                                (g - r).abs() <= 1e-4 * (k as f32).sqrt(),
                                "{m}x{n}x{k}: {g} vs {r}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn packed_b_of_another_operand_is_an_error() {
        let b = values(64, 1);
        let other = values(64, 2);
        let a = values(32, 3);
        let mut c = vec![0.0; 4 * 8];
        let r = with_packed_b(Transpose::No, 8, 8, &b, 8, |wp| {
            sgemm_packed_b(
                &Sequential,
                Transpose::No,
                4,
                8,
                8,
                1.0,
                &a,
                8,
                &other,
                wp,
                0.0,
                &mut c,
                8,
            )
        })
        .unwrap();
        assert!(r.is_err());
        assert!(with_packed_b(Transpose::No, 8, 9, &b, 8, |_| ()).is_err());
    }
}
