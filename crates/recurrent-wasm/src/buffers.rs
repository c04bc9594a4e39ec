//! f32 buffers in linear memory that TypeScript reads and writes through views.
//!
//! A buffer's address is stable until it is freed (buffers never resize), so the TS side can
//! keep `(ptr, len)` and build a `Float32Array` view on the current `memory.buffer`.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, Kind, MemoryNote, MAX_MEMORY_BYTES};
use crate::registry::{Handle, Registry};

thread_local! {
    pub static BUFFERS: RefCell<Registry<Vec<f32>>> = const { RefCell::new(Registry::new("buffer")) };
}

/// Allocates a zeroed buffer of `len` f32 and returns its handle. A buffer that does not fit
/// (one allocation holds at most `isize::MAX` bytes, 2 GiB in wasm32, and the memory at most
/// 4 GiB) is an `OutOfMemory` error that gives the bytes asked for and the memory's size.
#[wasm_bindgen]
pub fn buffer_alloc(len: u32) -> Result<Handle, JsError> {
    let len = len as usize;
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        let bytes = len as u64 * 4;
        if bytes > isize::MAX as u64 {
            abi_error(
                Kind::OutOfMemory,
                format_args!(
                    "buffer_alloc: argument `len` asks for {len} floats ({bytes} bytes), more than \
                     one buffer holds ({} bytes; wasm memory holds at most {MAX_MEMORY_BYTES})",
                    isize::MAX
                ),
            )
        } else {
            abi_error(
                Kind::OutOfMemory,
                format_args!(
                    "buffer_alloc: argument `len` asks for {len} floats ({bytes} bytes), more \
                     than is free: {MemoryNote}"
                ),
            )
        }
    })?;
    data.resize(len, 0.0);
    BUFFERS.with_borrow_mut(|r| r.insert(data))
}

/// Frees a buffer; its handle becomes stale. Never allocates, so it works with memory full.
#[wasm_bindgen]
pub fn buffer_free(handle: Handle) -> Result<(), JsError> {
    BUFFERS.with_borrow_mut(|r| r.remove(handle).map(drop))
}

/// Byte address of a buffer's first element in linear memory.
#[wasm_bindgen]
pub fn buffer_ptr(handle: Handle) -> Result<u32, JsError> {
    BUFFERS.with_borrow(|r| r.get(handle).map(|b| b.as_ptr() as usize as u32))
}

/// Length of a buffer in elements.
#[wasm_bindgen]
pub fn buffer_len(handle: Handle) -> Result<u32, JsError> {
    BUFFERS.with_borrow(|r| r.get(handle).map(|b| b.len() as u32))
}

/// Number of live buffers (for leak checks).
#[wasm_bindgen]
pub fn buffer_live_count() -> u32 {
    BUFFERS.with_borrow(|r| r.live() as u32)
}

/// Runs `f` with a buffer taken out of the registry, so it can be borrowed mutably while
/// other buffers are borrowed shared; it is put back afterwards whatever `f` returns.
pub fn with_taken<R>(
    handle: Handle,
    f: impl FnOnce(&mut Vec<f32>) -> Result<R, JsError>,
) -> Result<R, JsError> {
    let mut taken = BUFFERS.with_borrow_mut(|r| r.get_mut(handle).map(std::mem::take))?;
    let result = f(&mut taken);
    BUFFERS.with_borrow_mut(|r| {
        if let Ok(slot) = r.get_mut(handle) {
            *slot = taken;
        }
    });
    result
}

/// Runs `f` with shared access to the buffer registry.
pub fn with_buffers<R>(f: impl FnOnce(&Registry<Vec<f32>>) -> R) -> R {
    BUFFERS.with_borrow(f)
}
