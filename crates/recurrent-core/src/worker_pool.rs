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
//!
//! Under contention (other processes on the same cores: a browser tab, a Node server) a worker
//! may be descheduled for milliseconds. So the caller never waits for a worker that has not
//! joined the job: once it has claimed the last tile it closes the job, and waits only for the
//! workers still running a tile; a worker that wakes up later finds the job closed. Idle
//! threads spin for a bounded time ([`WORKER_SPIN_US`], [`CALLER_SPIN_US`], measured with the
//! clock of [`set_clock`]), then park on `memory.atomic.wait32`.

use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::parallel::{Parallel, Sequential};

/// A job: a borrowed task erased to a raw pointer while the caller waits for it.
type TaskPtr = *const (dyn Fn(usize) + Sync);

struct Shared {
    /// Bumped once per job; parked workers wait for it to change.
    epoch: AtomicI32,
    /// Workers inside the current job (between joining and leaving it); the caller waits for
    /// 0 after closing the job, and only for these: a worker that has not joined yet (asleep,
    /// or descheduled by another process) is never waited for.
    active: AtomicI32,
    /// Set by the caller once every tile of the job is claimed: a worker that wakes up after
    /// that leaves without touching the task. Cleared when the next job is published.
    closed: AtomicBool,
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

// SAFETY: `task` is written only by the submitting thread while no job is open (`busy` held,
// `closed` set and no worker active), and read by a worker only after it joined the job
// (`active` incremented, then `closed` seen false, both SeqCst): the caller does not clear or
// replace the task before `active` is back to 0.
unsafe impl Sync for Shared {}

static SHARED: Shared = Shared {
    epoch: AtomicI32::new(0),
    active: AtomicI32::new(0),
    closed: AtomicBool::new(true),
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

/// How long an idle worker spins before it parks, in microseconds. During a training step
/// the next job follows within tens of microseconds (one time step's element-wise pass), and
/// waking a parked worker costs about as much on a virtual machine, so a worker that parks at
/// once makes 2 threads no faster than 1. Counted in time, not iterations: an iteration count
/// (200,000 before issue 18) spins for 100-300 us on an idle core but for milliseconds when
/// another process shares the core, taking it from the caller and from that process
/// (2 threads ran a W1 step at 0.56x of 1 thread that way).
pub const WORKER_SPIN_US: f64 = 150.0;

/// How long the caller spins for the workers still inside a job before it parks, in
/// microseconds: a worker normally finishes its last tile within a few microseconds of the
/// caller, and a parked caller costs a wake-up; a worker that was descheduled mid-tile gets
/// the core back sooner when the caller parks.
pub const CALLER_SPIN_US: f64 = 50.0;

/// Spin iterations between two looks at the clock (a call into JavaScript).
const SPINS_PER_CLOCK: u32 = 64;

/// Microseconds from some origin, monotonic: `performance.now() * 1000` in the wasm build.
static CLOCK: OnceLock<fn() -> f64> = OnceLock::new();

/// Sets the clock the spin budgets are measured with (once; later calls are ignored). Without
/// one, spinning stops after the first look at the clock, i.e. threads park at once.
pub fn set_clock(now_us: fn() -> f64) {
    let _ = CLOCK.set(now_us);
}

/// A spin that lasts at most `budget_us` of wall time.
struct Spin {
    deadline: f64,
    count: u32,
}

impl Spin {
    fn new(budget_us: f64) -> Self {
        let now = CLOCK.get().map_or(f64::INFINITY, |c| c());
        Self {
            deadline: now + budget_us,
            count: 0,
        }
    }

    /// Spins once; `false` once the budget is used up.
    fn spin(&mut self) -> bool {
        core::hint::spin_loop();
        self.count = self.count.wrapping_add(1);
        if self.count % SPINS_PER_CLOCK != 0 {
            return true;
        }
        CLOCK.get().is_some_and(|c| c() < self.deadline)
    }
}

/// Tests only (`pool_test_late_worker` in the test builds): microseconds every worker waits
/// after it sees a new job and before it joins, standing in for a worker descheduled by
/// another process. 0 (always, outside those tests) waits nothing.
static JOIN_DELAY_US: AtomicU32 = AtomicU32::new(0);

/// Sets [`JOIN_DELAY_US`] (tests of the pool under contention).
pub fn set_join_delay_us(us: u32) {
    JOIN_DELAY_US.store(us, Ordering::Release);
}

/// Sleeps [`JOIN_DELAY_US`] (an atomic wait that nothing notifies, ended by its timeout), as a
/// descheduled thread would.
fn test_join_delay() {
    let us = JOIN_DELAY_US.load(Ordering::Acquire);
    if us > 0 {
        static NEVER: AtomicI32 = AtomicI32::new(0);
        // SAFETY: live static i32 in shared memory; the value is 0, so this waits for the
        // timeout (or a spurious wake-up, which only shortens the test's delay).
        unsafe { memory_atomic_wait32(as_ptr(&NEVER), 0, i64::from(us) * 1000) };
    }
}

fn as_ptr(a: &AtomicI32) -> *mut i32 {
    a.as_ptr()
}

/// Body of a pool worker; returns only after [`shutdown`]. `index` is not needed: workers
/// register themselves in arrival order.
pub fn worker_main() {
    let me = SHARED.registered.fetch_add(1, Ordering::AcqRel);
    let mut seen = SHARED.epoch.load(Ordering::Acquire);
    loop {
        let mut spin = Spin::new(WORKER_SPIN_US);
        let mut spinning = true;
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
            if spinning {
                spinning = spin.spin();
                continue;
            }
            // SAFETY: the address is a live static i32 in shared linear memory.
            unsafe { memory_atomic_wait32(as_ptr(&SHARED.epoch), seen, -1) };
        }
        if me >= SHARED.enlisted.load(Ordering::Acquire) {
            continue;
        }
        test_join_delay();
        join_job();
    }
}

/// Joins the open job, if there is one, and claims its tiles until none is left.
fn join_job() {
    SHARED.active.fetch_add(1, Ordering::SeqCst);
    if !SHARED.closed.load(Ordering::SeqCst) {
        // SAFETY: the job is open and this worker is counted in `active`, so the caller keeps
        // the task alive and unchanged until it has left (see `Shared`'s Sync).
        let task = unsafe { (*SHARED.task.get()).map(|p| &*p) };
        if let Some(task) = task {
            claim_tiles(task);
        }
    }
    if SHARED.active.fetch_sub(1, Ordering::SeqCst) == 1 {
        // SAFETY: live static i32 in shared memory.
        unsafe { memory_atomic_notify(as_ptr(&SHARED.active), 1) };
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
        // the job is closed and no worker is inside it (`active` == 0), i.e. none uses the task.
        let erased: TaskPtr =
            unsafe { core::mem::transmute::<&(dyn Fn(usize) + Sync), TaskPtr>(task) };
        // SAFETY: no job is open (`closed` is set, `active` is 0), so no worker reads `task`.
        unsafe { *SHARED.task.get() = Some(erased) };
        SHARED.tiles.store(tiles, Ordering::Release);
        SHARED.next_tile.store(0, Ordering::Release);
        SHARED.enlisted.store(workers, Ordering::Release);
        SHARED.closed.store(false, Ordering::SeqCst);
        SHARED.epoch.fetch_add(1, Ordering::AcqRel);
        // SAFETY: live static i32 in shared memory.
        unsafe { memory_atomic_notify(as_ptr(&SHARED.epoch), u32::MAX) };
        claim_tiles(task);
        // Every tile is claimed: close the job. A worker that wakes up late (parked, or
        // descheduled by another process) finds it closed and costs the caller nothing; only
        // the workers still running a tile are waited for.
        SHARED.closed.store(true, Ordering::SeqCst);
        let may_block = SHARED.caller_may_block.load(Ordering::Acquire);
        let mut spin = Spin::new(CALLER_SPIN_US);
        let mut spinning = true;
        loop {
            let left = SHARED.active.load(Ordering::SeqCst);
            if left == 0 {
                break;
            }
            if spinning || !may_block {
                spinning = spinning && spin.spin();
                core::hint::spin_loop();
                continue;
            }
            // SAFETY: live static i32 in shared memory; `may_block` is false on a thread where
            // the wait would trap (a browser page's main thread), so this thread may wait.
            unsafe { memory_atomic_wait32(as_ptr(&SHARED.active), left, -1) };
        }
        // SAFETY: every worker finished with the task; clear it before the borrow ends.
        unsafe { *SHARED.task.get() = None };
        SHARED.busy.store(false, Ordering::Release);
    }
}
