//! The packed path: each tile of C runs the micro-kernel over packed panels of op(A) and
//! op(B) (see `blocking` for the loop nest and why each block has its size).
//!
//! A tile packs its panels into thread-private scratch. When the grid has a single tile row
//! (few rows, e.g. a batch-32 recurrent step) every tile would pack the same A panels, so the
//! calling thread packs op(A) once and all tiles read it; likewise op(B) for a single tile
//! column. The packed values are the same either way, so results do not change.

use super::blocking::{k_block, packed_grid, Grid};
use super::kernel::{micro_kernel, write_back, MR, NR};
use super::pack::{pack_a, pack_b, packed_len};
use super::scratch::{with_shared_scratch, with_tile_scratch, SHARED_MAX_FLOATS};
use super::Problem;
use crate::parallel::Parallel;

/// Where a tile gets the panels of one operand.
enum Panels<'s> {
    /// Packed by the caller for the whole operand, every k block back to back.
    Shared(&'s [f32]),
    /// Packed by the tile itself, one k block at a time, into its scratch.
    Own(&'s mut [f32]),
}

impl Panels<'_> {
    /// The panels of `rows` rows (`w` per panel) for the k block at `p0` of depth `kc`;
    /// `pack` fills an own buffer.
    fn block(
        &mut self,
        rows: usize,
        w: usize,
        (p0, kc): (usize, usize),
        pack: impl FnOnce(&mut [f32]),
    ) -> &[f32] {
        let len = packed_len(rows, kc, w);
        match self {
            // Blocks before p0 take rows.div_ceil(w) * w floats per depth.
            Panels::Shared(all) => &all[rows.div_ceil(w) * w * p0..][..len],
            Panels::Own(buf) => {
                pack(buf);
                &buf[..len]
            }
        }
    }
}

/// Packs every k block of one operand back to back, the layout [`Panels::Shared`] expects.
fn pack_all(
    k: usize,
    kc_max: usize,
    rows: usize,
    w: usize,
    out: &mut [f32],
    pack: impl Fn((usize, usize), &mut [f32]),
) {
    let mut p0 = 0;
    while p0 < k {
        let kc = kc_max.min(k - p0);
        pack((p0, kc), &mut out[rows.div_ceil(w) * w * p0..]);
        p0 += kc;
    }
}

/// Computes `p` on the packed path, one task per tile of [`packed_grid`].
pub fn run(pool: &dyn Parallel, p: &Problem<'_>) {
    let grid = packed_grid(p.m, p.n, p.k);
    let kc_max = k_block(p.k);
    let a_len = packed_len(grid.tm, kc_max, MR);
    let b_len = packed_len(grid.tn, kc_max, NR);
    let a_all = packed_len(p.m, p.k, MR);
    let b_all = packed_len(p.n, p.k, NR);
    if grid.rows == 1 && grid.cols > 1 && a_all <= SHARED_MAX_FLOATS {
        with_shared_scratch(a_all, |shared| {
            pack_all(p.k, kc_max, p.m, MR, shared, |d, out| {
                pack_a(p.a, (0, p.m), d, out)
            });
            let shared = &*shared;
            pool.run(grid.tiles(), &|t| {
                with_tile_scratch(b_len, |bbuf| {
                    tile(
                        p,
                        &grid,
                        t,
                        kc_max,
                        Panels::Shared(shared),
                        Panels::Own(bbuf),
                    )
                });
            });
        });
    } else if grid.cols == 1 && grid.rows > 1 && b_all <= SHARED_MAX_FLOATS {
        with_shared_scratch(b_all, |shared| {
            pack_all(p.k, kc_max, p.n, NR, shared, |d, out| {
                pack_b(p.b, (0, p.n), d, out)
            });
            let shared = &*shared;
            pool.run(grid.tiles(), &|t| {
                with_tile_scratch(a_len, |abuf| {
                    tile(
                        p,
                        &grid,
                        t,
                        kc_max,
                        Panels::Own(abuf),
                        Panels::Shared(shared),
                    )
                });
            });
        });
    } else {
        pool.run(grid.tiles(), &|t| {
            with_tile_scratch(a_len + b_len, |buf| {
                let (abuf, bbuf) = buf.split_at_mut(a_len);
                tile(p, &grid, t, kc_max, Panels::Own(abuf), Panels::Own(bbuf));
            });
        });
    }
}

/// Tile `t`: its rows `[i0, i1)` and columns `[j0, j1)` of C over the whole k range.
fn tile(
    p: &Problem<'_>,
    grid: &Grid,
    t: usize,
    kc_max: usize,
    mut a: Panels<'_>,
    mut b: Panels<'_>,
) {
    let (i0, i1, j0, j1) = grid.tile(t, p.m, p.n);
    let mut p0 = 0;
    while p0 < p.k {
        let kc = kc_max.min(p.k - p0);
        let bblock = b.block(j1 - j0, NR, (p0, kc), |buf| {
            pack_b(p.b, (j0, j1), (p0, kc), buf)
        });
        let ablock = a.block(i1 - i0, MR, (p0, kc), |buf| {
            pack_a(p.a, (i0, i1), (p0, kc), buf)
        });
        // Later k blocks accumulate onto what the earlier ones wrote.
        let beta = if p0 == 0 { p.beta } else { 1.0 };
        for (jp, bp) in bblock.chunks_exact(NR * kc).enumerate() {
            let j = j0 + jp * NR;
            let cols = NR.min(j1 - j);
            for (ip, ap) in ablock.chunks_exact(MR * kc).enumerate() {
                let i = i0 + ip * MR;
                let rows = MR.min(i1 - i);
                // SAFETY: `ap` and `bp` hold exactly kc * MR and kc * NR floats.
                let acc = unsafe { micro_kernel(kc, ap.as_ptr(), bp.as_ptr()) };
                // SAFETY: the rows x cols block at (i, j) lies inside this tile of the
                // validated C, and no other tile writes it.
                unsafe { write_back(&acc, rows, cols, p.alpha, beta, p.c_at(i, j), p.ldc) };
            }
        }
        p0 += kc;
    }
}
