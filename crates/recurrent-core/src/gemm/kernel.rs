//! The register-blocked micro-kernel of the packed path and its write-back into C.
//!
//! Written once over [`F32x4`]: on wasm it is v128 code, natively the scalar twin with the
//! same operation order, so native tests check the arithmetic the wasm build runs.
//!
//! Shape `MR x NR` = 4 x 8 (the baseline builds and native): 8 accumulators + 2 B vectors + 1 broadcast A = 11 live v128,
//! inside the 16 xmm registers V8 maps them to on x64, with 16 multiply/add per 6 loads
//! per k step. Measured in Node 20 (V8) on a Xeon, GFLOP/s at 512^3 / 1024^3: 4x8 29.6 /
//! 28.2, 3x12 28.9 / 27.3, 3x16 26.5 / 25.0, 4x12 25.6 / 24.4, 6x8 23.5 / 22.1, 4x16 22.6 /
//! 21.6, 8x8 20.8 / 19.4: past ~12 accumulators V8 spills. Unrolling the k loop by two
//! was 10-20% slower (more live values); the plain loop is what V8 schedules best.
//!
//! The relaxed builds (issue 18) run the same kernel with `mul_add` as `f32x4.relaxed_madd`
//! (one FMA per accumulator per k step instead of a multiply and an add), at 3 x 12: 9
//! accumulators + 3 B vectors + 1 broadcast A = 13 live v128, 9 FMA per 6 loads. What V8
//! (Node 24) makes of it on x64: per k step 3 `vbroadcastss` from memory, 3 `vmovdqu`, 9
//! `vfmadd231ps`, a few `lea`/`add`, the loop unrolled by two with one stack check; no
//! bounds checks, no spills. The baseline 4 x 8 has 8 `vmulps` + 8 `vaddps` per 6 loads;
//! the relaxed 4 x 8 8 `vfmadd231ps`. Both are bound by the FP pipes, not by loads,
//! broadcasts or loop overhead: on the bench machine (AMD EPYC, Zen 5, ~4.2 GHz) a native
//! loop of independent xmm ops issues 7.9 FMA/ns and 8.2 multiply+add pairs/ns (two
//! multiply/FMA pipes, two more for adds), so FMA cannot speed up a 128-bit kernel there
//! (it does on cores whose adds share the FMA ports). Measured in one Node 24 process, the
//! variants interleaved call by call, best / median GFLOP/s over 40 rounds (load ~2-3 on 2
//! cores), relaxed 3x12 against relaxed 4x8: 1024^3 59.4 / 58.2 vs 56.4 / 55.2; 32 x 1024 x
//! 256 52.4 / 52.1 vs 48.9 / 48.6; 64 x 1024 x 256 56.7 / 56.4 vs 54.3 / 53.8; 1120 x 1024 x
//! 28 57.7 / 57.2 vs 55.6 / 55.1; 512^3 59.8 / 58.5 vs 57.8 / 56.4; but 32 x 256 x 1024 52.0
//! / 51.4 vs 53.4 / 52.8, 256^3 56.3 / 55.7 vs 56.9 / 56.1, 128^3 54.5 / 53.0 vs 55.9 / 54.3
//! (n = 128 or 256 leaves a part-empty 12-wide panel). 3-row A panels need their own
//! vector packing (`pack.rs`): element by element they cost 10-30% at 256 columns. Relaxed
//! 5x8 ran at 27.1 / 25.7 at 1024^3 (V8 spills two accumulators to the stack every k step). The baseline at 3x12 (which needs a
//! register for each product) fell to 23 GFLOP/s against 55-57 at 4x8, so it keeps 4x8.
//! Results do not depend on the tile shape: every C element sums its k steps in the same
//! order either way.

use crate::simd::{F32x4, LANES, RELAXED_ENABLED};

/// Rows of the register tile (one broadcast of packed A per row per k step).
pub const MR: usize = if RELAXED_ENABLED { 3 } else { 4 };
/// Columns of the register tile (`NV` vectors of packed B per k step).
pub const NR: usize = if RELAXED_ENABLED { 12 } else { 8 };
const NV: usize = NR / LANES;

/// The accumulators of one register tile, row by row.
pub type Acc = [[F32x4; NV]; MR];

/// `acc = sum over p < kc of a[p] (outer) b[p]`, p increasing, each step `acc + a*b`.
///
/// # Safety
/// `a` must point to `kc * MR` readable floats (packed A: MR per k step) and `b` to
/// `kc * NR` (packed B: NR per k step).
#[inline(always)]
pub unsafe fn micro_kernel(kc: usize, a: *const f32, b: *const f32) -> Acc {
    let mut acc = [[F32x4::zero(); NV]; MR];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let mut bv = [F32x4::zero(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            // SAFETY: `v * LANES + 4 <= NR` floats of this k step's B row are readable.
            *bv = unsafe { F32x4::load_ptr(b.add(v * LANES)) };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r < MR` floats of this k step's A column are readable.
            let av = unsafe { F32x4::splat_ptr(a.add(r)) };
            for v in 0..NV {
                acc[v] = av.mul_add(bv[v], acc[v]);
            }
        }
        // wrapping_add: after the last step the pointers may leave the panel unused.
        a = a.wrapping_add(MR);
        b = b.wrapping_add(NR);
    }
    acc
}

/// Stores `alpha * x + beta * c` (or `alpha * x`, C unread, when `beta == 0`) to 4
/// consecutive elements of C: the one write-back formula of every path.
///
/// # Safety
/// `c..c+4` must be readable and writable by this caller alone.
#[inline(always)]
pub unsafe fn put4(c: *mut f32, x: F32x4, alpha: f32, beta: f32) {
    let out = if beta == 0.0 {
        F32x4::splat(alpha) * x
    } else {
        // SAFETY: the caller guarantees c..c+4 is readable.
        let old = unsafe { F32x4::load_ptr(c) };
        F32x4::splat(alpha) * x + F32x4::splat(beta) * old
    };
    // SAFETY: the caller guarantees c..c+4 is writable.
    unsafe { out.store_ptr(c) };
}

/// [`put4`] for one element, with the same operations as one lane.
///
/// # Safety
/// `c` must be readable and writable by this caller alone.
#[inline(always)]
pub unsafe fn put1(c: *mut f32, x: f32, alpha: f32, beta: f32) {
    // SAFETY: the caller guarantees `c` is readable and writable.
    unsafe {
        *c = if beta == 0.0 {
            alpha * x
        } else {
            alpha * x + beta * *c
        }
    };
}

/// Writes a register tile into C with [`put4`] / [`put1`], the `rows x cols` top-left part.
///
/// # Safety
/// `c` must point to a `rows x cols` block with row stride `ldc`, readable and writable by
/// this caller alone; `rows <= MR`, `cols <= NR`.
#[inline(always)]
pub unsafe fn write_back(
    acc: &Acc,
    rows: usize,
    cols: usize,
    alpha: f32,
    beta: f32,
    c: *mut f32,
    ldc: usize,
) {
    if rows == MR && cols == NR {
        for (r, acc) in acc.iter().enumerate() {
            for (v, &x) in acc.iter().enumerate() {
                // SAFETY: the full MR x NR block is inside C's tile (checked just above).
                unsafe { put4(c.add(r * ldc + v * LANES), x, alpha, beta) };
            }
        }
        return;
    }
    for (r, acc) in acc.iter().enumerate().take(rows) {
        let mut row = [0.0f32; NR];
        for (v, x) in acc.iter().enumerate() {
            x.store(&mut row[v * LANES..]);
        }
        for (j, &x) in row.iter().enumerate().take(cols) {
            // SAFETY: r < rows and j < cols: inside C's tile.
            unsafe { put1(c.add(r * ldc + j), x, alpha, beta) };
        }
    }
}
