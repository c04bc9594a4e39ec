//! How work is spread over threads.
//!
//! Every parallel kernel cuts its output into a fixed number of tiles that depends only on the
//! problem's shape, never on the number of threads, and computes each tile with the same
//! sequence of floating-point operations whichever thread runs it. So results are
//! bit-identical for any thread count; threads only change which tile runs where.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs independent tiles of work, possibly on several threads.
pub trait Parallel: Sync {
    /// Number of threads that take part, the caller's included (at least 1).
    fn threads(&self) -> usize;

    /// Calls `task(i)` exactly once for every `i` in `0..tiles` and returns when all are done.
    /// Calls may run concurrently on different threads and in any order.
    fn run(&self, tiles: usize, task: &(dyn Fn(usize) + Sync));
}

/// Runs every tile on the calling thread, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Parallel for Sequential {
    fn threads(&self) -> usize {
        1
    }

    fn run(&self, tiles: usize, task: &(dyn Fn(usize) + Sync)) {
        for i in 0..tiles {
            task(i);
        }
    }
}

/// Native threads scoped to each call (`std::thread::scope`): used by native tests and
/// benches to check that thread counts give identical bits. The wasm build uses the parked
/// worker pool in `recurrent-wasm` instead.
#[derive(Debug, Clone, Copy)]
pub struct ScopedThreads {
    threads: usize,
}

impl ScopedThreads {
    /// A runner with `threads` threads (clamped to at least 1).
    pub fn new(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
        }
    }
}

impl Parallel for ScopedThreads {
    fn threads(&self) -> usize {
        self.threads
    }

    fn run(&self, tiles: usize, task: &(dyn Fn(usize) + Sync)) {
        if self.threads == 1 || tiles <= 1 {
            return Sequential.run(tiles, task);
        }
        let next = AtomicUsize::new(0);
        let work = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= tiles {
                break;
            }
            task(i);
        };
        std::thread::scope(|s| {
            for _ in 1..self.threads {
                s.spawn(work);
            }
            work();
        });
    }
}

/// A raw pointer that tiles share to write disjoint parts of one output buffer.
///
/// Creating one is safe; every write through it is `unsafe` and must stay inside the part of
/// the buffer that the writing tile owns.
#[derive(Debug, Clone, Copy)]
pub struct SharedMut<T>(pub *mut T);

// SAFETY: tiles write disjoint index ranges (each kernel's tiling guarantees it), and the
// runner returns only after every tile finished, so no access outlives the borrow.
unsafe impl<T: Send> Sync for SharedMut<T> {}
// SAFETY: as above; the pointer is only dereferenced while the originating borrow is alive.
unsafe impl<T: Send> Send for SharedMut<T> {}

impl<T> SharedMut<T> {
    /// Wraps the start of `slice`.
    pub fn new(slice: &mut [T]) -> Self {
        Self(slice.as_mut_ptr())
    }
}
