//! Blocking constants and the fixed tile grids.
//!
//! The packed path follows the BLIS loop nest, with one thread tile = one `MC x NC` block of
//! C that carries its own k loop:
//!
//! ```text
//! tile (tm x tn of C, at most MC x NC)         <- pool.run, one tile per task
//!   k block of kc <= KC                        <- pack op(B) kc x tn, pack op(A) tm x kc
//!     jr: NR columns                           <- one packed B micro-panel, stays in L1
//!       ir: MR rows                            <- one packed A micro-panel, streamed from L2
//!         micro-kernel: kc rank-1 updates of an MR x NR register tile
//! ```
//!
//! Grids are functions of `(m, n, k)` only, never of the thread count, and a C element's
//! arithmetic does not even depend on which tile holds it: its k loop is cut into the same
//! k blocks and summed in the same order. So results are bit-identical for any thread count.

use super::kernel::{MR, NR};

/// Depth of one k block (the `pc` loop). A packed B micro-panel is `KC * NR * 4` bytes =
/// 8 KiB (12 KiB at the relaxed builds' 3 x 12) and an A micro-panel 4 KiB (3 KiB): both stay in a 32-48 KiB L1 while the micro-kernel
/// streams them, and 256 rank-1 updates amortise one write-back of the register tile.
/// (Measured in wasm: 128 to 512 are within noise of each other; 256 keeps scratch small.)
pub const KC: usize = 256;

/// Rows of C per tile (the `ic` loop). The packed A block is `MC * KC * 4` = 128 KiB: it
/// lives in L2 (>= 256 KiB on anything that runs wasm threads) while every B micro-panel
/// of the tile sweeps over it. A multiple of `MR`: 128 rounded up (129 at the relaxed builds' `MR` = 3, so that 128 rows
/// stay one tile row instead of 126 + a sliver of 2 that re-packs B).
pub const MC: usize = 128usize.div_ceil(MR) * MR;

/// Columns of C per tile (the `jc` loop). The packed B block is `KC * NC * 4` = 512 KiB:
/// L2 or L3 resident, reused by the `MC / MR` A micro-panels. A multiple of `NR`: 512 rounded up (516 at `NR` = 12).
pub const NC: usize = 512usize.div_ceil(NR) * NR;

/// Tiles are split further (halving, down to `MIN_TILE_MACS` multiply-adds each) until
/// there are at least this many, so a few threads find balanced work. Fixed, never the pool
/// size. More tiles cost single-thread speed: every extra tile column re-packs A and every
/// extra tile row re-packs B (16 instead of 8 cost 3-7% at 32 x 1024 x 256 in wasm).
const TARGET_TILES: usize = 8;

/// A tile keeps at least this many multiply-adds (~15-30 us of work at 20-35 GFLOP/s):
/// smaller, and waking a thread and re-packing shared panels cost more than the tile.
const MIN_TILE_MACS: usize = 1 << 19;

/// Rows at or below which [`super::GemmPath::Auto`] skips packing (batch-1 and tiny-batch
/// products): padding `m` up to `MR` would waste most of the micro-kernel, and packing B
/// costs as much as the product. Measured in wasm at n = 1024, k = 256: direct is 2-4x
/// faster for m <= 3; at m = 4 the packed path is level (op(B) = B) or 20% faster (B^T).
pub const DIRECT_MAX_M: usize = 3;

/// Column chunk granularity of the direct path's tiles, a multiple of its widest strip.
const DIRECT_COL_QUANTUM: usize = 64;

/// How a GEMM's C is cut into tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Rows per tile (the last tile row may be shorter).
    pub tm: usize,
    /// Columns per tile (the last tile column may be shorter).
    pub tn: usize,
    /// Tiles along m.
    pub rows: usize,
    /// Tiles along n.
    pub cols: usize,
}

impl Grid {
    /// Number of tiles.
    pub fn tiles(&self) -> usize {
        self.rows * self.cols
    }

    /// Row range `[i0, i1)` and column range `[j0, j1)` of tile `t`, for a C of `m x n`.
    pub fn tile(&self, t: usize, m: usize, n: usize) -> (usize, usize, usize, usize) {
        let (ti, tj) = (t / self.cols, t % self.cols);
        let i0 = ti * self.tm;
        let j0 = tj * self.tn;
        (i0, (i0 + self.tm).min(m), j0, (j0 + self.tn).min(n))
    }
}

fn round_up(x: usize, q: usize) -> usize {
    x.div_ceil(q) * q
}

fn macs(a: usize, b: usize, c: usize) -> usize {
    a.saturating_mul(b).saturating_mul(c)
}

/// The tile grid of the packed path for `m x n` with depth `k` (all > 0).
pub fn packed_grid(m: usize, n: usize, k: usize) -> Grid {
    let mut tm = round_up(m, MR).min(MC);
    let mut tn = round_up(n, NR).min(NC);
    let count = |tm: usize, tn: usize| m.div_ceil(tm) * n.div_ceil(tn);
    while count(tm, tn) < TARGET_TILES {
        // Halve the longer side: keeps tiles square-ish, which balances the re-packing of
        // A (once per tile column) against that of B (once per tile row).
        let half_n = round_up(tn.div_ceil(2), NR);
        let half_m = round_up(tm.div_ceil(2), MR);
        if tn >= tm && half_n < tn && macs(tm, half_n, k) >= MIN_TILE_MACS {
            tn = half_n;
        } else if half_m < tm && macs(half_m, tn, k) >= MIN_TILE_MACS {
            tm = half_m;
        } else if half_n < tn && macs(tm, half_n, k) >= MIN_TILE_MACS {
            tn = half_n;
        } else {
            break;
        }
    }
    Grid {
        tm,
        tn,
        rows: m.div_ceil(tm),
        cols: n.div_ceil(tn),
    }
}

/// The tile grid of the direct (unpacked) path: whole rows, columns cut in multiples of
/// `DIRECT_COL_QUANTUM` while tiles keep `MIN_TILE_MACS`.
pub fn direct_grid(m: usize, n: usize, k: usize) -> Grid {
    let mut tn = round_up(n, DIRECT_COL_QUANTUM);
    while tn.div_ceil(DIRECT_COL_QUANTUM) > 1 && n.div_ceil(tn) < TARGET_TILES {
        let half = round_up(tn.div_ceil(2), DIRECT_COL_QUANTUM);
        if half >= tn || macs(m, half, k) < MIN_TILE_MACS {
            break;
        }
        tn = half;
    }
    Grid {
        tm: m,
        tn,
        rows: 1,
        cols: n.div_ceil(tn),
    }
}

/// The k blocks: `k` cut into `ceil(k / KC)` nearly equal blocks, so a `k` just above `KC`
/// does not leave a sliver block that pays a full write-back of C.
pub fn k_block(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC).max(1))
}
