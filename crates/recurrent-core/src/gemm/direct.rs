//! The direct path for few rows (batch-1 and tiny-batch products such as 1 x 256 x 1024):
//! nothing is packed, B is read once, straight from where it is stored.
//!
//! Rows of op(A) are taken in groups of up to 4 that share every load of B.
//! - op(B) = B (k x n stored): C accumulates rows of B axpy-style, in the reference's
//!   order. One row streams 8 rows of B at a time into an L1 accumulator of up to 512
//!   columns (long contiguous runs the prefetcher follows); 2-4 rows keep a register strip
//!   of C over the whole k range.
//! - op(B) = B^T (n x k stored, PyTorch's weight layout): each C element is a dot product
//!   of two contiguous rows, 4 lanes of partial sums reduced at the end.
//!
//! Tiles cut the columns only.

use super::blocking::direct_grid;
use super::kernel::{put1, put4};
use super::scratch::with_shared_scratch;
use super::{Problem, Transpose};
use crate::error::CoreResult;
use crate::parallel::Parallel;
use crate::simd::{mul_add, F32x4, LANES};

/// Computes `p` on the direct path, one task per tile of [`direct_grid`]. Errors only when
/// the gathered rows of a transposed A do not fit in memory (before anything is written).
pub fn run(pool: &dyn Parallel, p: &Problem<'_>) -> CoreResult<()> {
    let grid = direct_grid(p.m, p.n, p.k);
    match p.a.trans {
        Transpose::No => {
            pool.run(grid.tiles(), &|t| {
                let (_, _, j0, j1) = grid.tile(t, p.m, p.n);
                tile(p, p.a.data, p.a.ld, (j0, j1));
            });
            Ok(())
        }
        // Rows of op(A) are strided columns of A: the calling thread gathers them once (m x k,
        // small next to the m x k x n work) and every tile reads them.
        Transpose::Yes => with_shared_scratch(p.m * p.k, |rows| {
            for (i, row) in rows.chunks_exact_mut(p.k).enumerate() {
                for (q, x) in row.iter_mut().enumerate() {
                    *x = p.a.data[q * p.a.ld + i];
                }
            }
            let rows = &*rows;
            pool.run(grid.tiles(), &|t| {
                let (_, _, j0, j1) = grid.tile(t, p.m, p.n);
                tile(p, rows, p.k, (j0, j1));
            });
        }),
    }
}

/// Columns `[j0, j1)` of C, all rows; row `i` of op(A) is `a[i * lda..][..k]`.
fn tile(p: &Problem<'_>, a: &[f32], lda: usize, cols: (usize, usize)) {
    let mut i = 0;
    while i < p.m {
        let g = (p.m - i).min(4);
        let row = |r: usize| &a[(i + r) * lda..][..p.k];
        // Accumulators per group: M * V vectors for op(B) = B, M * J for op(B) = B^T, kept
        // at 7-12 so they and the operands fit V8's 16 xmm registers. (One row with
        // op(B) = B uses `stream`, not V.) One row of op(B) = B^T (batch-1 streaming) takes
        // J = 7: Node 20's V8 (11.3) loads all J rows of B before the products, so J = 8
        // needed 17 registers and spilled an accumulator every depth (W2 h512: 108 us/step
        // against 63-67 with J = 7; Node 24 the same with either).
        match g {
            1 => group::<1, 8, 7>(p, [row(0)], i, cols),
            2 => group::<2, 4, 4>(p, [row(0), row(1)], i, cols),
            3 => group::<3, 4, 2>(p, [row(0), row(1), row(2)], i, cols),
            _ => group::<4, 2, 2>(p, [row(0), row(1), row(2), row(3)], i, cols),
        }
        i += g;
    }
}

/// Rows `[i, i + M)` of C, columns `[j0, j1)`: the widest strips first, then narrower
/// ones for the edge. Which columns get which strip depends only on the tile.
fn group<const M: usize, const V: usize, const J: usize>(
    p: &Problem<'_>,
    a: [&[f32]; M],
    i: usize,
    (j0, j1): (usize, usize),
) {
    let mut j = j0;
    match p.b.trans {
        Transpose::No if M == 1 => {
            while j + LANES <= j1 {
                let w = (j1 - j).min(STREAM_COLS) / LANES * LANES;
                stream(p, a[0], i, j, w);
                j += w;
            }
            while j < j1 {
                column::<M>(p, &a, i, j);
                j += 1;
            }
        }
        Transpose::No => {
            while j + V * LANES <= j1 {
                strip::<M, V>(p, &a, i, j);
                j += V * LANES;
            }
            while j + LANES <= j1 {
                strip::<M, 1>(p, &a, i, j);
                j += LANES;
            }
            while j < j1 {
                column::<M>(p, &a, i, j);
                j += 1;
            }
        }
        Transpose::Yes => {
            while j + J <= j1 {
                dots::<M, J>(p, &a, i, j);
                j += J;
            }
            while j < j1 {
                dots::<M, 1>(p, &a, i, j);
                j += 1;
            }
        }
    }
}

/// op(B) = B: `C[i + r, j..j + 4V] = sum_q a[r][q] * B[q, j..j + 4V]`, q increasing.
#[inline(always)]
fn strip<const M: usize, const V: usize>(p: &Problem<'_>, a: &[&[f32]; M], i: usize, j: usize) {
    let (k, ldb) = (p.k, p.b.ld);
    let a: [&[f32]; M] = core::array::from_fn(|r| &a[r][..k]);
    // Every B read below is at `j + q * ldb + v * 4 + lane` with q < k, v < V.
    assert!(k == 0 || j + (k - 1) * ldb + V * LANES <= p.b.data.len());
    let b = p.b.data[j..].as_ptr();
    let mut acc = [[F32x4::zero(); V]; M];
    for q in 0..k {
        let mut bv = [F32x4::zero(); V];
        for (v, bv) in bv.iter_mut().enumerate() {
            // SAFETY: in bounds by the assert above.
            *bv = unsafe { F32x4::load_ptr(b.add(q * ldb + v * LANES)) };
        }
        for r in 0..M {
            // SAFETY: q < k == a[r].len().
            let av = unsafe { F32x4::splat_ptr(a[r].as_ptr().add(q)) };
            for v in 0..V {
                acc[r][v] = av.mul_add(bv[v], acc[r][v]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (v, &x) in acc.iter().enumerate() {
            // SAFETY: row i + r < m, columns j + 4v .. j + 4v + 4 <= j1 <= n of this
            // tile's part of the validated C.
            unsafe { put4(p.c_at(i + r, j + v * LANES), x, p.alpha, p.beta) };
        }
    }
}

/// Columns per pass of [`stream`]: its accumulators (2 KiB) stay in L1.
const STREAM_COLS: usize = 512;
/// Rows of B per pass of [`stream`]: each accumulator load and store serves this many.
const STREAM_DEPTH: usize = 8;

/// op(B) = B, one row of A: `C[i, j..j + w] = sum_q a[q] * B[q, j..j + w]`, q increasing
/// (the same order as [`strip`]), with `w <= STREAM_COLS` a multiple of 4. Reads B row by
/// row in long runs, which the hardware prefetcher follows, where a strip would jump a
/// whole row of B per depth.
fn stream(p: &Problem<'_>, a: &[f32], i: usize, j: usize, w: usize) {
    let (k, ldb) = (p.k, p.b.ld);
    let a = &a[..k];
    let mut acc = [F32x4::zero(); STREAM_COLS / LANES];
    let acc = &mut acc[..w / LANES];
    let row = |q: usize| &p.b.data[q * ldb + j..][..w];
    let k4 = k - k % STREAM_DEPTH;
    for q in (0..k4).step_by(STREAM_DEPTH) {
        let b: [*const f32; STREAM_DEPTH] = core::array::from_fn(|d| row(q + d).as_ptr());
        let av: [F32x4; STREAM_DEPTH] = core::array::from_fn(|d| F32x4::splat(a[q + d]));
        for (v, x) in acc.iter_mut().enumerate() {
            let o = v * LANES;
            let mut y = *x;
            for d in 0..STREAM_DEPTH {
                // SAFETY: o + 4 <= w == the length of every row.
                y = av[d].mul_add(unsafe { F32x4::load_ptr(b[d].add(o)) }, y);
            }
            *x = y;
        }
    }
    for q in k4..k {
        let (b0, a0) = (row(q), F32x4::splat(a[q]));
        for (v, x) in acc.iter_mut().enumerate() {
            *x = a0.mul_add(F32x4::load(&b0[v * LANES..]), *x);
        }
    }
    for (v, &x) in acc.iter().enumerate() {
        // SAFETY: columns j + 4v .. j + 4v + 4 <= j + w <= j1 <= n of row i < m, in this
        // tile's part of the validated C.
        unsafe { put4(p.c_at(i, j + v * LANES), x, p.alpha, p.beta) };
    }
}

/// op(B) = B, one column: the scalar edge of [`strip`], same order.
fn column<const M: usize>(p: &Problem<'_>, a: &[&[f32]; M], i: usize, j: usize) {
    for (r, a) in a.iter().enumerate() {
        let mut s = 0.0f32;
        for (q, &x) in a[..p.k].iter().enumerate() {
            s = mul_add(x, p.b.data[q * p.b.ld + j], s);
        }
        // SAFETY: element (i + r, j) is in this tile's part of the validated C.
        unsafe { put1(p.c_at(i + r, j), s, p.alpha, p.beta) };
    }
}

/// op(B) = B^T: `C[i + r, j + c] = dot(a[r], B[j + c, ..])`, 4 lanes of partial sums over
/// the first `k - k % 4` depths, reduced with [`F32x4::hsum`], then the rest in order.
///
/// Not inlined: V8 11.3 (Node 20) allocates registers per function, and inside the large
/// `tile` it kept spilling this loop's accumulators (1-3 rows at 2048 x 512: 25-28 GFLOP/s
/// inlined, 35-51 on its own; Node 24 the same either way).
#[inline(never)]
fn dots<const M: usize, const J: usize>(p: &Problem<'_>, a: &[&[f32]; M], i: usize, j: usize) {
    let k = p.k;
    let a: [&[f32]; M] = core::array::from_fn(|r| &a[r][..k]);
    let b: [&[f32]; J] = core::array::from_fn(|c| &p.b.data[(j + c) * p.b.ld..][..k]);
    let k4 = k - k % LANES;
    let mut acc = [[F32x4::zero(); J]; M];
    let mut q = 0;
    while q < k4 {
        // SAFETY: q + 4 <= k4 <= k == a[r].len().
        let av: [F32x4; M] =
            core::array::from_fn(|r| unsafe { F32x4::load_ptr(a[r].as_ptr().add(q)) });
        for c in 0..J {
            // SAFETY: q + 4 <= k == b[c].len().
            let bv = unsafe { F32x4::load_ptr(b[c].as_ptr().add(q)) };
            for r in 0..M {
                acc[r][c] = av[r].mul_add(bv, acc[r][c]);
            }
        }
        q += LANES;
    }
    for r in 0..M {
        for c in 0..J {
            let mut s = acc[r][c].hsum();
            for q in k4..k {
                s = mul_add(a[r][q], b[c][q], s);
            }
            // SAFETY: element (i + r, j + c) is in this tile's part of the validated C.
            unsafe { put1(p.c_at(i + r, j + c), s, p.alpha, p.beta) };
        }
    }
}
