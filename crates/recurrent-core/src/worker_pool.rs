//! The thread pool of the threaded wasm build: workers parked inside wasm on an atomic wait.
//!
//! Each worker is a JS worker (Node `worker_threads` or a browser Worker) that instantiated
//! this same module on the same shared memory and then called [`worker_main`], which never
//! returns until [`shutdown`]. Waking a parked worker costs one `memory.atomic.notify`
//! (microseconds), where a `postMessage` per job would cost milliseconds.
//!
//! One job runs at a time, submitted by the thread that owns the engine (the "caller"). The
//! caller takes part in the job, so `threads = enlisted workers + 1`. Tiles are claimed from
//! a shared counter; which thread runs which tile varies, but each tile's arithmetic does not,
//! so results are identical for any thread count (see [`crate::parallel`]).

use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

use crate::parallel::{Parallel, Sequential};

/// A job: a borrowed task erased to a raw pointer while the caller waits for it.
type TaskPtr = *const (dyn Fn(usize) + Sync);

struct Shared {
    /// Bumped once per job; parked workers wait for it to change.
    epoch: AtomicI32,
    /// Workers of the current job that have not finished yet; the caller waits for 0.
    pending: AtomicI32,
    /// Next tile to claim in the current job.
    next_tile: AtomicUsize,
    /// Tiles in the current job.
    tiles: AtomicUsize,
    /// How many workers (by registration index) take part in the current job.
    enlisted: AtomicUsize,
    /// Workers that have entered [`worker_main`].
    registered: AtomicUsize,
    /// Threads the caller wants to use, the caller included; 0 means all.
    wanted: AtomicUsize,
    /// Set while a job runs, so a nested `run` from inside a tile stays sequential.
    busy: AtomicBool,
    /// Whether the caller may park on `memory.atomic.wait32` while workers finish; false on a
    /// browser page's main thread, where the wait traps ("Atomics.wait cannot be called in
    /// this context"), so the caller spins there instead.
    caller_may_block: AtomicBool,
    shutdown: AtomicBool,
    task: UnsafeCell<Option<TaskPtr>>,
}

// SAFETY: `task` is written only by the submitting thread while no job is in flight
// (`busy` held, every worker parked), and read by workers only after they observe the new
// epoch with Acquire ordering, which orders them after the Release store that published it.
unsafe impl Sync for Shared {}

static SHARED: Shared = Shared {
    epoch: AtomicI32::new(0),
    pending: AtomicI32::new(0),
    next_tile: AtomicUsize::new(0),
    tiles: AtomicUsize::new(0),
    enlisted: AtomicUsize::new(0),
    registered: AtomicUsize::new(0),
    wanted: AtomicUsize::new(0),
    busy: AtomicBool::new(false),
    caller_may_block: AtomicBool::new(true),
    shutdown: AtomicBool::new(false),
    task: UnsafeCell::new(None),
};

/// Spins before parking: during a training step the next job follows within tens of
/// microseconds (one time step's element-wise pass), and waking a parked worker costs about as
/// much on a virtual machine. 2,000 spins (a few microseconds) parked between every step and
/// made 2 threads no faster than 1 (W3: 0.84x); 200,000 (roughly 100-300 microseconds) gave
/// 1.91x on the 2-core bench machine. Idle workers still park after that, so they cost nothing.
const SPIN_BEFORE_WAIT: u32 = 200_000;

fn as_ptr(a: &AtomicI32) -> *mut i32 {
    a.as_ptr()
}

/// Body of a pool worker; returns only after [`shutdown`]. `index` is not needed: workers
/// register themselves in arrival order.
pub fn worker_main() {
    let me = SHARED.registered.fetch_add(1, Ordering::AcqRel);
    let mut seen = SHARED.epoch.load(Ordering::Acquire);
    loop {
        let mut spins = 0;
        loop {
            if SHARED.shutdown.load(Ordering::Acquire) {
                SHARED.registered.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let now = SHARED.epoch.load(Ordering::Acquire);
            if now != seen {
                seen = now;
                break;
            }
            if spins < SPIN_BEFORE_WAIT {
                spins += 1;
                core::hint::spin_loop();
                continue;
            }
            // SAFETY: the address is a live static i32 in shared linear memory.
            unsafe { memory_atomic_wait32(as_ptr(&SHARED.epoch), seen, -1) };
        }
        if me >= SHARED.enlisted.load(Ordering::Acquire) {
            continue;
        }
        // SAFETY: published before the epoch bump (Release) and observed after it (Acquire);
        // the caller keeps the task alive until `pending` reaches 0, which we signal last.
        let task = unsafe { (*SHARED.task.get()).map(|p| &*p) };
        if let Some(task) = task {
            claim_tiles(task);
        }
        if SHARED.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: live static i32 in shared memory.
            unsafe { memory_atomic_notify(as_ptr(&SHARED.pending), 1) };
        }
    }
}

fn claim_tiles(task: &(dyn Fn(usize) + Sync)) {
    let tiles = SHARED.tiles.load(Ordering::Acquire);
    loop {
        let i = SHARED.next_tile.fetch_add(1, Ordering::AcqRel);
        if i >= tiles {
            break;
        }
        task(i);
    }
}

/// Asks every worker to leave [`worker_main`] and wakes them.
pub fn shutdown() {
    SHARED.shutdown.store(true, Ordering::Release);
    SHARED.epoch.fetch_add(1, Ordering::AcqRel);
    // SAFETY: live static i32 in shared memory.
    unsafe { memory_atomic_notify(as_ptr(&SHARED.epoch), u32::MAX) };
}

/// Readies the pool for new workers after the previous ones left (see [`shutdown`]).
pub fn reset() {
    SHARED.registered.store(0, Ordering::Release);
    SHARED.shutdown.store(false, Ordering::Release);
}

/// Workers currently parked in (or running) [`worker_main`].
pub fn registered_workers() -> usize {
    SHARED.registered.load(Ordering::Acquire)
}

/// Tells the pool whether the caller's thread may block on an atomic wait (see
/// `Shared::caller_may_block`); the loader sets it once per instance.
pub fn set_caller_may_block(may_block: bool) {
    SHARED.caller_may_block.store(may_block, Ordering::Release);
}

/// Limits the threads a job uses (caller included); 0 means every registered worker + 1.
pub fn set_wanted_threads(threads: usize) {
    SHARED.wanted.store(threads, Ordering::Release);
}

/// The pool as a [`Parallel`] runner. Cheap to create; all instances share the workers.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerPool;

impl Parallel for WorkerPool {
    fn threads(&self) -> usize {
        let all = registered_workers() + 1;
        match SHARED.wanted.load(Ordering::Acquire) {
            0 => all,
            w => w.min(all),
        }
    }

    fn run(&self, tiles: usize, task: &(dyn Fn(usize) + Sync)) {
        let workers = (self.threads() - 1).min(tiles.saturating_sub(1));
        if workers == 0 || SHARED.shutdown.load(Ordering::Acquire) {
            return Sequential.run(tiles, task);
        }
        if SHARED.busy.swap(true, Ordering::AcqRel) {
            // A tile that itself calls into a parallel kernel runs it inline.
            return Sequential.run(tiles, task);
        }
        // SAFETY: erasing the lifetime is sound because this function does not return before
        // every enlisted worker has decremented `pending`, i.e. stopped using the task.
        let erased: TaskPtr =
            unsafe { core::mem::transmute::<&(dyn Fn(usize) + Sync), TaskPtr>(task) };
        // SAFETY: no job is in flight (`busy` was false), so no worker reads `task` now.
        unsafe { *SHARED.task.get() = Some(erased) };
        SHARED.tiles.store(tiles, Ordering::Release);
        SHARED.next_tile.store(0, Ordering::Release);
        SHARED.enlisted.store(workers, Ordering::Release);
        SHARED.pending.store(workers as i32, Ordering::Release);
        SHARED.epoch.fetch_add(1, Ordering::AcqRel);
        // SAFETY: live static i32 in shared memory.
        unsafe { memory_atomic_notify(as_ptr(&SHARED.epoch), u32::MAX) };
        claim_tiles(task);
        let may_block = SHARED.caller_may_block.load(Ordering::Acquire);
        let mut spins = 0;
        loop {
            let left = SHARED.pending.load(Ordering::Acquire);
            if left == 0 {
                break;
            }
            if spins < SPIN_BEFORE_WAIT || !may_block {
                spins = spins.saturating_add(1);
                core::hint::spin_loop();
                continue;
            }
            // SAFETY: live static i32 in shared memory; `may_block` is false on a thread where
            // the wait would trap (a browser page's main thread), so this thread may wait.
            unsafe { memory_atomic_wait32(as_ptr(&SHARED.pending), left, -1) };
        }
        // SAFETY: every worker finished with the task; clear it before the borrow ends.
        unsafe { *SHARED.task.get() = None };
        SHARED.busy.store(false, Ordering::Release);
    }
}
