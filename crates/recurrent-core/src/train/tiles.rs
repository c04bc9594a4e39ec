//! Disjoint parts of one output buffer, written by the tiles of a parallel pass.

use crate::parallel::SharedMut;

/// `len` elements of the buffer behind `buf`, from element `start`.
///
/// Taking the whole [`SharedMut`] (not its pointer field) keeps closures `Sync`.
///
/// # Safety
///
/// `start + len` must lie inside the buffer `buf` was made from, that buffer must stay
/// borrowed for `'a`, and no other live reference may overlap the returned part (each tile
/// takes only the part it owns).
pub(crate) unsafe fn part_mut<'a>(buf: SharedMut<f32>, start: usize, len: usize) -> &'a mut [f32] {
    // SAFETY: the caller guarantees the range is inside the live buffer and not aliased.
    unsafe { std::slice::from_raw_parts_mut(buf.0.add(start), len) }
}
