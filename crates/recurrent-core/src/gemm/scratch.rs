//! Thread-private packing buffers, reused across calls so the hot path does not allocate.

use std::cell::Cell;
use std::thread::LocalKey;

/// Extra floats reserved so the usable part can start on a 64-byte boundary: a packed
/// micro-panel step then never straddles a cache line.
const ALIGN_FLOATS: usize = 16;

thread_local! {
    // Each grows to the largest request seen on its thread and is kept: every GEMM of a
    // training step needs it again. TILE: a tile's own panels, at most (MC + NC) * KC floats
    // (640 KiB). SHARED: panels packed once per call by the calling thread and read by all
    // tiles, at most `SHARED_MAX_FLOATS`.
    static TILE: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static SHARED: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    // PREPACK: a whole operand packed once for many calls (`with_packed_b`).
    static PREPACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// The largest operand packed once and shared by all tiles (4 MiB); larger ones are packed
/// per tile instead, so the buffer kept per thread stays bounded.
pub const SHARED_MAX_FLOATS: usize = 1 << 20;

fn with<R>(
    key: &'static LocalKey<Cell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> R {
    let mut buf = key.try_with(Cell::take).unwrap_or_default();
    let need = len + ALIGN_FLOATS;
    if buf.len() < need {
        buf.resize(need, 0.0);
    }
    let off = buf.as_ptr().align_offset(64).min(ALIGN_FLOATS);
    let r = f(&mut buf[off..off + len]);
    // Teardown is the only failure, and then the buffer is simply dropped.
    let _ = key.try_with(|cell| cell.set(buf));
    r
}

/// Runs `f` on this thread's tile buffer of `len` floats (contents unspecified).
///
/// The buffer is moved out of the thread-local while `f` runs, so a nested call on the same
/// thread (or one during thread teardown) simply allocates its own instead of failing.
pub fn with_tile_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    with(&TILE, len, f)
}

/// Runs `f` on this thread's shared-panel buffer of `len` floats (contents unspecified);
/// same rules as [`with_tile_scratch`], separate storage so tiles run inside `f` on this
/// thread still reuse theirs.
pub fn with_shared_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    with(&SHARED, len, f)
}

/// Runs `f` on this thread's prepack buffer of `len` floats (contents unspecified); same
/// rules as [`with_tile_scratch`], separate storage (the GEMMs run inside `f` use theirs).
pub fn with_prepack_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    with(&PREPACK, len, f)
}
