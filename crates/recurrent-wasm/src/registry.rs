//! Handles: small integers naming objects owned by the wasm side, with a generation so a
//! stale or freed handle is an error instead of a read of reused memory.
//!
//! A handle is `generation << INDEX_BITS | slot`. Only the thread that owns the engine uses
//! the registry (pool workers run kernel tiles only), so it lives in a thread-local.

use wasm_bindgen::JsError;

use crate::abi_error::{abi_error, Kind};

const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GENERATION_MASK: u32 = (1 << (32 - INDEX_BITS)) - 1;

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A slab of objects addressed by generation-checked handles.
pub struct Registry<T> {
    what: &'static str,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Registry<T> {
    /// An empty registry; `what` names its objects in error messages.
    pub const fn new(what: &'static str) -> Self {
        Self {
            what,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `value` and returns its handle.
    pub fn insert(&mut self, value: T) -> Result<u32, JsError> {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            return Ok((slot.generation << INDEX_BITS) | index);
        }
        let index = self.slots.len() as u32;
        if index > INDEX_MASK {
            return Err(abi_error(
                Kind::OutOfMemory,
                format!("too many live {}s (limit {})", self.what, INDEX_MASK + 1),
            ));
        }
        // Generation starts at 1 so the handle 0 is never valid.
        self.slots.push(Slot {
            generation: 1,
            value: Some(value),
        });
        Ok((1 << INDEX_BITS) | index)
    }

    fn slot_of(&self, handle: u32) -> Option<usize> {
        let index = (handle & INDEX_MASK) as usize;
        let slot = self.slots.get(index)?;
        (slot.generation == handle >> INDEX_BITS && slot.value.is_some()).then_some(index)
    }

    fn stale(&self, handle: u32) -> JsError {
        abi_error(
            Kind::StaleHandle,
            format!(
                "{} handle {handle} is not live (disposed, or never created)",
                self.what
            ),
        )
    }

    /// The object behind `handle`.
    pub fn get(&self, handle: u32) -> Result<&T, JsError> {
        match self.slot_of(handle) {
            Some(i) => self.slots[i]
                .value
                .as_ref()
                .ok_or_else(|| self.stale(handle)),
            None => Err(self.stale(handle)),
        }
    }

    /// The object behind `handle`, mutably.
    pub fn get_mut(&mut self, handle: u32) -> Result<&mut T, JsError> {
        match self.slot_of(handle) {
            Some(i) => match self.slots[i].value.as_mut() {
                Some(v) => Ok(v),
                None => Err(abi_error(Kind::StaleHandle, "handle is not live")),
            },
            None => Err(self.stale(handle)),
        }
    }

    /// Removes and returns the object; the handle and its copies become stale.
    pub fn remove(&mut self, handle: u32) -> Result<T, JsError> {
        let index = self.slot_of(handle).ok_or_else(|| self.stale(handle))?;
        let slot = &mut self.slots[index];
        let value = slot
            .value
            .take()
            .ok_or_else(|| abi_error(Kind::StaleHandle, "handle is not live"))?;
        slot.generation = (slot.generation + 1) & GENERATION_MASK;
        if slot.generation == 0 {
            slot.generation = 1;
        }
        self.free.push(index as u32);
        Ok(value)
    }

    /// Number of live objects.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}
