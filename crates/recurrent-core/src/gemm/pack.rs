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
        // The vector paths move whole 4-lane groups; full panels narrower than a vector
        // (the relaxed builds' 3-row A panels) have vector paths of their own.
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
            // Full panels narrower than a vector (the relaxed builds' 3-row A panels).
            (true, false) if w == W && W < LANES && 2 * W >= LANES => {
                let rows: [&[f32]; W] =
                    core::array::from_fn(|r| &data[(base + r) * ld + p0..][..kc]);
                interleave_narrow(&rows, dst);
            }
            // Ragged edge panels (and other widths that are not a multiple of 4): element
            // by element, zero-filled past the last row.
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
            // Full panels narrower than a vector (the relaxed builds' 3-row A panels of
            // A^T): one vector per depth; its lanes past `W` land on later depths, which
            // their own stores overwrite afterwards. Element copies where the vector would
            // read past `data` or write past the panel.
            (false, false) if w == W && W < LANES => {
                for p in 0..kc {
                    let (start, o) = ((p0 + p) * ld + base, p * W);
                    match data.get(start..start + LANES) {
                        Some(src) if o + LANES <= dst.len() => {
                            F32x4::load(src).store(&mut dst[o..])
                        }
                        _ => dst[o..o + W].copy_from_slice(&data[start..][..W]),
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

/// [`transpose_rows`] for `W` rows, `LANES / 2 <= W < LANES`: 4 x 4 transposes with zero
/// rows past `W`, each depth's vector stored at its `W` values. A store's lanes past `W`
/// land on the next depth's first values, which the next store (in this block or the next)
/// overwrites; so the vector blocks stop while a depth follows them, and the rest are
/// copied one by one.
#[inline(always)]
fn interleave_narrow<const W: usize>(rows: &[&[f32]; W], dst: &mut [f32]) {
    let kc = rows[0].len();
    let mut p = 0;
    while p + LANES < kc {
        let t = F32x4::transpose4(core::array::from_fn(|r| {
            if r < W {
                F32x4::load(&rows[r][p..])
            } else {
                F32x4::zero()
            }
        }));
        for (d, v) in t.into_iter().enumerate() {
            v.store(&mut dst[(p + d) * W..]);
        }
        p += LANES;
    }
    for p in p..kc {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Panels of `W` rows as their definition says: element `(i, p)` of the block at
    /// `out[panel * W * kc + (p - p0) * W + (i - i0) % W]`, zero past `i1`.
    fn naive<const W: usize>(
        data: &[f32],
        ld: usize,
        by_rows: bool,
        (i0, i1): (usize, usize),
        (p0, kc): (usize, usize),
    ) -> Vec<f32> {
        let mut out = vec![0.0; packed_len(i1 - i0, kc, W)];
        for i in i0..i1 {
            for p in 0..kc {
                let x = if by_rows {
                    data[i * ld + p0 + p]
                } else {
                    data[(p0 + p) * ld + i]
                };
                out[(i - i0) / W * W * kc + p * W + (i - i0) % W] = x;
            }
        }
        out
    }

    fn check<const W: usize>() {
        let (rows, depth) = (13, 23);
        let data: Vec<f32> = (0..rows * depth).map(|x| x as f32 + 1.0).collect();
        for by_rows in [true, false] {
            let ld = if by_rows { depth } else { rows };
            for (i0, i1) in [
                (0, rows),
                (1, 8),
                (2, 3),
                (0, W),
                (3, (3 + 2 * W).min(rows)),
            ] {
                for (p0, kc) in [(0, depth), (1, 1), (2, 4), (0, 5), (3, 9), (5, 18)] {
                    let mut out = vec![f32::NAN; packed_len(i1 - i0, kc, W) + 8];
                    pack_panels::<W>(&data, ld, by_rows, (i0, i1), (p0, kc), &mut out);
                    let want = naive::<W>(&data, ld, by_rows, (i0, i1), (p0, kc));
                    assert_eq!(
                        &out[..want.len()],
                        &want[..],
                        "W {W} by_rows {by_rows} rows {i0}..{i1} depths {p0}+{kc}"
                    );
                    assert!(
                        out[want.len()..].iter().all(|x| x.is_nan()),
                        "wrote past the panels"
                    );
                }
            }
        }
    }

    #[test]
    fn panels_of_every_width_match_their_definition() {
        check::<1>();
        check::<2>();
        check::<3>();
        check::<4>();
        check::<5>();
        check::<8>();
        check::<12>();
    }
}
