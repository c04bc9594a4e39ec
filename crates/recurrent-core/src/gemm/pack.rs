//! Packing of op(A) and op(B) blocks into the contiguous panels the micro-kernel streams.
//!
//! Both operands pack the same way once op(B) is seen as its transpose: a block of rows
//! `[i0, i1)` and depths `[p0, p0 + kc)` becomes panels of `W` rows (`MR` for A, `NR` for
//! B), each stored depth by depth with `W` consecutive values per depth. Rows past `i1` are
//! zero-filled, so edge tiles run the same micro-kernel. The four transpose combinations
//! differ only in what is contiguous in memory: a panel's rows (read 4 x 4 blocks and
//! transpose them in registers) or its depths (copy whole vectors).

use super::Transpose;
use crate::simd::{F32x4, LANES};

/// A row-major operand as stored, and how it is used.
#[derive(Debug, Clone, Copy)]
pub struct Operand<'a> {
    /// The stored elements.
    pub data: &'a [f32],
    /// Distance between stored rows.
    pub ld: usize,
    /// Whether the operand is used transposed.
    pub trans: Transpose,
}

impl<'a> Operand<'a> {
    /// `data` with leading dimension `ld`, used as `trans` says.
    pub fn new(data: &'a [f32], ld: usize, trans: Transpose) -> Self {
        Self { data, ld, trans }
    }
}

/// Floats needed to pack `rows` rows at depth `kc` into `w`-row panels.
pub fn packed_len(rows: usize, kc: usize, w: usize) -> usize {
    rows.div_ceil(w) * w * kc
}

/// Packs rows `[i0, i1)` x depths `[p0, p0 + kc)` of a matrix whose element `(i, p)` is
/// `data[i * ld + p]` (`by_rows`) or `data[p * ld + i]` (otherwise) into `W`-row panels.
fn pack_panels<const W: usize>(
    data: &[f32],
    ld: usize,
    by_rows: bool,
    (i0, i1): (usize, usize),
    (p0, kc): (usize, usize),
    out: &mut [f32],
) {
    let out = &mut out[..packed_len(i1 - i0, kc, W)];
    for (panel, dst) in out.chunks_exact_mut(W * kc).enumerate() {
        let base = i0 + panel * W;
        let w = W.min(i1 - base);
        // The vector paths move whole 4-lane groups: panels of a width that is not a
        // multiple of 4 (the relaxed builds' 3-row A panels) take the element paths.
        match (by_rows, w == W && W % LANES == 0) {
            (true, true) => {
                let rows: [&[f32]; W] =
                    core::array::from_fn(|r| &data[(base + r) * ld + p0..][..kc]);
                transpose_rows(&rows, dst);
            }
            (false, true) => {
                // Each depth holds the panel's W values contiguously: whole vectors.
                for (p, step) in dst.chunks_exact_mut(W).enumerate() {
                    let src = &data[(p0 + p) * ld + base..][..W];
                    for v in (0..W).step_by(LANES) {
                        F32x4::load(&src[v..]).store(&mut step[v..]);
                    }
                }
            }
            // Ragged edge panels (and widths that are not a multiple of 4): element by
            // element, zero-filled past the last row.
            (true, false) => {
                for (p, step) in dst.chunks_exact_mut(W).enumerate() {
                    for (r, x) in step.iter_mut().enumerate() {
                        *x = if r < w {
                            data[(base + r) * ld + p0 + p]
                        } else {
                            0.0
                        };
                    }
                }
            }
            (false, false) => {
                for (p, step) in dst.chunks_exact_mut(W).enumerate() {
                    step[..w].copy_from_slice(&data[(p0 + p) * ld + base..][..w]);
                    step[w..].fill(0.0);
                }
            }
        }
    }
}

/// Interleaves `W` rows of equal length into `dst` (`W` values per depth), 4 x 4 blocks at
/// a time through [`F32x4::transpose4`].
#[inline(always)]
fn transpose_rows<const W: usize>(rows: &[&[f32]; W], dst: &mut [f32]) {
    let kc = rows[0].len();
    let k4 = kc - kc % LANES;
    for p in (0..k4).step_by(LANES) {
        let block = &mut dst[p * W..][..LANES * W];
        for g in (0..W).step_by(LANES) {
            let t = F32x4::transpose4(core::array::from_fn(|r| F32x4::load(&rows[g + r][p..])));
            for (d, v) in t.into_iter().enumerate() {
                v.store(&mut block[d * W + g..]);
            }
        }
    }
    for p in k4..kc {
        for (r, row) in rows.iter().enumerate() {
            dst[p * W + r] = row[p];
        }
    }
}

/// Packs rows `[i0, i1)` and depths `[p0, p0 + kc)` of op(A) into `MR`-row panels.
pub fn pack_a(a: Operand<'_>, rows: (usize, usize), depth: (usize, usize), out: &mut [f32]) {
    pack_panels::<{ super::kernel::MR }>(a.data, a.ld, a.trans == Transpose::No, rows, depth, out);
}

/// Packs columns `[j0, j1)` and depths `[p0, p0 + kc)` of op(B) into `NR`-column panels.
pub fn pack_b(b: Operand<'_>, cols: (usize, usize), depth: (usize, usize), out: &mut [f32]) {
    pack_panels::<{ super::kernel::NR }>(b.data, b.ld, b.trans == Transpose::Yes, cols, depth, out);
}
