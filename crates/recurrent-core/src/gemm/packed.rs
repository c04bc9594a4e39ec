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
use super::scratch::{run_tiles, with_shared_scratch, SHARED_MAX_FLOATS};
use super::Problem;
use crate::error::CoreResult;
use crate::parallel::Parallel;

/// Where a tile gets the panels of one operand.
enum Panels<'s> {
    /// Packed by the caller for the whole operand (`total` rows), every k block back to back.
    Shared { all: &'s [f32], total: usize },
    /// Packed by the tile itself, one k block at a time, into its scratch.
    Own(&'s mut [f32]),
}

impl Panels<'_> {
    /// The panels of rows `[i0, i0 + rows)` (`w` per panel, `i0` a multiple of `w`) for the
    /// k block at `p0` of depth `kc`; `pack` fills an own buffer.
    fn block(
        &mut self,
        (i0, rows): (usize, usize),
        w: usize,
        (p0, kc): (usize, usize),
        pack: impl FnOnce(&mut [f32]),
    ) -> &[f32] {
        let len = packed_len(rows, kc, w);
        match self {
            // Blocks before p0 take total.div_ceil(w) * w floats per depth; inside a block,
            // the panels before row i0 take i0 * kc.
            Panels::Shared { all, total } => &all[total.div_ceil(w) * w * p0 + i0 * kc..][..len],
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

/// Floats of op(B) (`k x n`) packed whole, as [`pack_b_all`] writes it.
pub fn packed_b_len(n: usize, k: usize) -> usize {
    packed_len(n, k, NR)
}

/// Packs all of op(B) (`k x n`) the way the tiles of [`run_with_packed_b`] read it: every k
/// block of [`k_block`]`(k)` back to back, `NR`-column panels inside each. The same values a
/// tile would pack for itself, so results do not depend on which is used.
pub fn pack_b_all(b: super::pack::Operand<'_>, n: usize, k: usize, out: &mut [f32]) {
    pack_all(k, k_block(k), n, NR, out, |d, o| pack_b(b, (0, n), d, o));
}

/// [`run`] with op(B) already packed whole by [`pack_b_all`] (`packed_b`): no tile packs B.
/// Errors only when scratch memory cannot be had (see [`run_tiles`]).
pub fn run_with_packed_b(pool: &dyn Parallel, p: &Problem<'_>, packed_b: &[f32]) -> CoreResult<()> {
    let grid = packed_grid(p.m, p.n, p.k);
    let kc_max = k_block(p.k);
    let a_len = packed_len(grid.tm, kc_max, MR);
    let a_all = packed_len(p.m, p.k, MR);
    let shared_b = |_: ()| Panels::Shared {
        all: packed_b,
        total: p.n,
    };
    if grid.rows == 1 && a_all <= SHARED_MAX_FLOATS {
        with_shared_scratch(a_all, |shared| {
            pack_all(p.k, kc_max, p.m, MR, shared, |d, out| {
                pack_a(p.a, (0, p.m), d, out)
            });
            let shared = &*shared;
            pool.run(grid.tiles(), &|t| {
                let a = Panels::Shared {
                    all: shared,
                    total: p.m,
                };
                tile(p, &grid, t, kc_max, a, shared_b(()));
            });
        })
    } else {
        run_tiles(pool, grid.tiles(), a_len, &|t, abuf| {
            tile(p, &grid, t, kc_max, Panels::Own(abuf), shared_b(()))
        })
    }
}

/// Computes `p` on the packed path, one task per tile of [`packed_grid`]. Errors only when
/// scratch memory cannot be had (see [`run_tiles`]).
pub fn run(pool: &dyn Parallel, p: &Problem<'_>) -> CoreResult<()> {
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
            run_tiles(pool, grid.tiles(), b_len, &|t, bbuf| {
                let a = Panels::Shared {
                    all: shared,
                    total: p.m,
                };
                tile(p, &grid, t, kc_max, a, Panels::Own(bbuf))
            })
        })?
    } else if grid.cols == 1 && grid.rows > 1 && b_all <= SHARED_MAX_FLOATS {
        with_shared_scratch(b_all, |shared| {
            pack_all(p.k, kc_max, p.n, NR, shared, |d, out| {
                pack_b(p.b, (0, p.n), d, out)
            });
            let shared = &*shared;
            run_tiles(pool, grid.tiles(), a_len, &|t, abuf| {
                let b = Panels::Shared {
                    all: shared,
                    total: p.n,
                };
                tile(p, &grid, t, kc_max, Panels::Own(abuf), b)
            })
        })?
    } else {
        run_tiles(pool, grid.tiles(), a_len + b_len, &|t, buf| {
            let (abuf, bbuf) = buf.split_at_mut(a_len);
            tile(p, &grid, t, kc_max, Panels::Own(abuf), Panels::Own(bbuf));
        })
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
        let bblock = b.block((j0, j1 - j0), NR, (p0, kc), |buf| {
            pack_b(p.b, (j0, j1), (p0, kc), buf)
        });
        let ablock = a.block((i0, i1 - i0), MR, (p0, kc), |buf| {
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
