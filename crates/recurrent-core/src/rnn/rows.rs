//! Spreading a step's element-wise pass over threads by batch rows.
//!
//! Rows are independent, so any split gives the same bits; the split is still fixed
//! (`ROW_TILE` rows per tile) so that it depends on the shape only, like every tiling of this
//! crate. Waking threads costs microseconds per step, so small steps stay on the caller.

use crate::parallel::{Parallel, SharedMut};
use std::ops::Range;

/// Batch rows per tile.
const ROW_TILE: usize = 8;

/// Elements (batch rows x gate width) below which a step's pass is not worth threads: about
/// 10 us of sigmoid/tanh work, the order of a wake-up of the pool.
const MIN_PARALLEL_ELEMS: usize = 1 << 15;

/// Calls `f` on row ranges that cover `0..batch` once each: one call on the caller's thread
/// for small steps, `ceil(batch / ROW_TILE)` tiles over `pool` for large ones.
pub(crate) fn for_row_tiles(
    pool: &dyn Parallel,
    batch: usize,
    row_width: usize,
    f: &(dyn Fn(Range<usize>) + Sync),
) {
    let tiles = batch.div_ceil(ROW_TILE);
    if pool.threads() == 1 || tiles < 2 || batch.saturating_mul(row_width) < MIN_PARALLEL_ELEMS {
        f(0..batch);
        return;
    }
    pool.run(tiles, &|t| f(t * ROW_TILE..((t + 1) * ROW_TILE).min(batch)));
}

/// A buffer of rows that tiles borrow disjoint row ranges of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowsMut {
    ptr: SharedMut<f32>,
    len: usize,
    width: usize,
}

impl RowsMut {
    /// Rows of `width` elements of `buf` (`width` may be 0: an empty buffer).
    pub fn new(buf: &mut [f32], width: usize) -> Self {
        Self {
            ptr: SharedMut::new(buf),
            len: buf.len(),
            width,
        }
    }

    /// Rows `rows` as a slice.
    ///
    /// # Safety
    /// No other live reference may overlap these rows: callers pass the disjoint ranges of
    /// [`for_row_tiles`], and the buffer outlives the pass because `RowsMut` is created from
    /// a borrow that lasts across it.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn rows(&self, rows: Range<usize>) -> &mut [f32] {
        let (start, end) = (rows.start * self.width, rows.end * self.width);
        assert!(
            start <= end && end <= self.len,
            "row range outside the buffer"
        );
        // SAFETY: in bounds by the assert; exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.0.add(start), end - start) }
    }
}
