//! Gathering rows of node states into the dense operands of a pass, and scattering their
//! gradients back. Sequential loops in a fixed order: the same bits for any thread count.

use super::forest::Forest;

/// `out[s] = x[x_row[s]]` for every slot, zeros where a node has no input.
pub fn inputs(f: &Forest, x: &[f32], width: usize, out: &mut [f32]) {
    for (s, row) in out.chunks_exact_mut(width).enumerate().take(f.nodes) {
        match usize::try_from(f.x_row[s]) {
            Ok(r) => row.copy_from_slice(&x[r * width..(r + 1) * width]),
            Err(_) => row.fill(0.0),
        }
    }
}

/// `out[s - s0] = sum of h[kid]` over each slot's kids, in listed order (0 for a leaf).
pub fn kid_sums(f: &Forest, (s0, s1): (usize, usize), h: &[f32], width: usize, out: &mut [f32]) {
    for (s, row) in (s0..s1).zip(out.chunks_exact_mut(width)) {
        row.fill(0.0);
        for &k in f.kids_of(s) {
            let k = k as usize;
            for (o, v) in row.iter_mut().zip(&h[k * width..(k + 1) * width]) {
                *o += v;
            }
        }
    }
}

/// `out[e - k0] = h[kids[e]]` for the kid entries `k0..k1`.
pub fn kid_rows(f: &Forest, (k0, k1): (usize, usize), h: &[f32], width: usize, out: &mut [f32]) {
    for (&k, row) in f.kids[k0..k1].iter().zip(out.chunks_exact_mut(width)) {
        let k = k as usize;
        row.copy_from_slice(&h[k * width..(k + 1) * width]);
    }
}

/// `out[s - s0] = [h[kid 0]; h[kid 1]; ...]` over `positions` positions, zeros where a
/// position has no kid.
pub fn kid_positions(
    f: &Forest,
    (s0, s1): (usize, usize),
    h: &[f32],
    width: usize,
    positions: usize,
    out: &mut [f32],
) {
    for (s, row) in (s0..s1).zip(out.chunks_exact_mut(width * positions)) {
        row.fill(0.0);
        for (part, &k) in row.chunks_exact_mut(width).zip(f.kids_of(s)) {
            let k = k as usize;
            part.copy_from_slice(&h[k * width..(k + 1) * width]);
        }
    }
}

/// `dst[kid] += src[s - s0, position of kid]` for every kid of slots `s0..s1`: the inverse of
/// [`kid_positions`]; with `positions == 0` every kid gets the whole row (the inverse of
/// [`kid_sums`]).
pub fn add_to_kids(
    f: &Forest,
    (s0, s1): (usize, usize),
    src: &[f32],
    width: usize,
    positions: usize,
    dst: &mut [f32],
) {
    let row_width = width * positions.max(1);
    for (s, row) in (s0..s1).zip(src.chunks_exact(row_width)) {
        for (l, &k) in f.kids_of(s).iter().enumerate() {
            let part = if positions == 0 {
                row
            } else {
                &row[l * width..(l + 1) * width]
            };
            let k = k as usize;
            for (d, v) in dst[k * width..(k + 1) * width].iter_mut().zip(part) {
                *d += v;
            }
        }
    }
}

/// `dst[kids[e]] += src[e - k0]` for the kid entries `k0..k1`.
pub fn add_kid_rows(
    f: &Forest,
    (k0, k1): (usize, usize),
    src: &[f32],
    width: usize,
    dst: &mut [f32],
) {
    for (&k, row) in f.kids[k0..k1].iter().zip(src.chunks_exact(width)) {
        let k = k as usize;
        for (d, v) in dst[k * width..(k + 1) * width].iter_mut().zip(row) {
            *d += v;
        }
    }
}
