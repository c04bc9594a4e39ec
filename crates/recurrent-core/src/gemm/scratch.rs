//! Thread-private packing buffers, reused across calls so the hot path does not allocate.
//!
//! They grow with `try_reserve_exact`: a buffer that cannot grow is an out-of-memory
//! [`CoreError`], never an abort (which would trap the wasm instance for good).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::LocalKey;

use crate::error::{CoreError, CoreResult};
use crate::parallel::Parallel;

/// Extra floats reserved so the usable part can start on a 64-byte boundary: a packed
/// micro-panel step then never straddles a cache line.
const ALIGN_FLOATS: usize = 16;

const OP: &str = "sgemm";

thread_local! {
    // Each grows to the largest request seen on its thread and is kept: every GEMM of a
    // training step needs it again. TILE: a tile's own panels, at most (MC + NC) * KC floats
    // (640 KiB). SHARED: panels packed once per call by the calling thread and read by all
    // tiles, at most `SHARED_MAX_FLOATS`, or the gathered rows of a transposed A on the
    // direct path.
    static TILE: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static SHARED: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    // PREPACK, PREPACK_INNER: whole operands packed once for many calls (`with_packed_b`);
    // two, because the GRU's backward packs two parts of W_hh at once (one call nested in
    // the other), and a nested call must not allocate a buffer of its own every time.
    static PREPACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static PREPACK_INNER: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// The largest operand packed once and shared by all tiles (4 MiB); larger ones are packed
/// per tile instead, so the buffer kept per thread stays bounded.
pub const SHARED_MAX_FLOATS: usize = 1 << 20;

/// Runs `f` on `len` floats of the buffer in `key`, grown first if needed. The buffer is
/// moved out of the thread-local while `f` runs, so a nested call on the same key (or one
/// during thread teardown) gets a buffer of its own instead of failing.
fn with<R>(
    key: &'static LocalKey<Cell<Vec<f32>>>,
    what: &'static str,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> CoreResult<R> {
    let mut buf = key.try_with(Cell::take).unwrap_or_default();
    let grown = grow(&mut buf, what, len);
    let r = grown.map(|()| {
        let off = buf.as_ptr().align_offset(64).min(ALIGN_FLOATS);
        f(&mut buf[off..off + len])
    });
    // Teardown is the only failure, and then the buffer is simply dropped. A buffer that
    // could not grow goes back as it was.
    let _ = key.try_with(|cell| cell.set(buf));
    r
}

/// Makes `buf` hold at least `len + ALIGN_FLOATS` floats, fallibly.
fn grow(buf: &mut Vec<f32>, what: &'static str, len: usize) -> CoreResult<()> {
    let need = len.saturating_add(ALIGN_FLOATS);
    if buf.len() >= need {
        return Ok(());
    }
    buf.try_reserve_exact(need - buf.len())
        .map_err(|_| CoreError::out_of_memory(OP, what, need.saturating_mul(4)))?;
    buf.resize(need, 0.0);
    Ok(())
}

/// Calls `task(t, scratch)` for every tile `t` of `pool.run`, `scratch` being `len` floats of
/// the running thread's tile buffer (contents unspecified).
///
/// The calling thread's buffer is grown before any tile runs, so the usual failure (this
/// call needs more than memory has) is an error before anything was written. A worker whose
/// own buffer cannot grow skips that tile and the call returns the error after all tiles
/// ran: then part of the output may have been written.
pub fn run_tiles(
    pool: &dyn Parallel,
    tiles: usize,
    len: usize,
    task: &(dyn Fn(usize, &mut [f32]) + Sync),
) -> CoreResult<()> {
    with(&TILE, "tile panels", len, |_| ())?;
    let failed = AtomicBool::new(false);
    pool.run(tiles, &|t| {
        if with(&TILE, "tile panels", len, |buf| task(t, buf)).is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(CoreError::out_of_memory(
            OP,
            "tile panels",
            len.saturating_add(ALIGN_FLOATS).saturating_mul(4),
        ));
    }
    Ok(())
}

/// Runs `f` on this thread's shared-panel buffer of `len` floats (contents unspecified);
/// separate storage from the tile buffers, so tiles run inside `f` on this thread still
/// reuse theirs.
pub fn with_shared_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> CoreResult<R> {
    with(&SHARED, "shared panels", len, f)
}

/// Runs `f` on this thread's prepack buffer of `len` floats (contents unspecified), or on
/// the second one when `f` runs inside another prepack (the GEMMs run inside `f` use their
/// own storage).
pub fn with_prepack_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> CoreResult<R> {
    let nested = IN_PREPACK.try_with(Cell::get).unwrap_or(false);
    let key = if nested { &PREPACK_INNER } else { &PREPACK };
    with(key, "packed weights", len, |buf| {
        let was = IN_PREPACK.try_with(|c| c.replace(true)).unwrap_or(false);
        let r = f(buf);
        let _ = IN_PREPACK.try_with(|c| c.set(was));
        r
    })
}

thread_local! {
    /// Whether this thread is inside [`with_prepack_scratch`] (its buffer is then taken).
    static IN_PREPACK: Cell<bool> = const { Cell::new(false) };
}

/// Touches every thread-local of this module on the calling thread. In the threaded wasm
/// build the first touch of a thread-local that has a destructor registers it in a list that
/// allocates infallibly; doing it up front (when a thread starts) keeps that allocation off
/// every later path.
pub fn prepare_thread() {
    for key in [&TILE, &SHARED, &PREPACK, &PREPACK_INNER] {
        let _ = key.try_with(|c| c.set(c.take()));
    }
    let _ = IN_PREPACK.try_with(Cell::get);
}
