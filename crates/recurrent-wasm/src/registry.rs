//! Handles: numbers naming objects owned by the wasm side, with a generation so a stale or
//! freed handle is an error instead of a read of reused memory.
//!
//! A handle is `generation * 2^20 + slot`, an integer below 2^53 passed as an `f64` (a JS
//! number holds it exactly). The generation of a slot goes up by one each time its object is
//! freed, and a slot whose generation reaches 2^33 - 1 is retired rather than reused, so no
//! handle value is ever given out twice in the life of an instance: a stale handle can never
//! name a newer object. (With 12 bits of generation in a 32-bit handle, the 4,096th reuse of
//! a slot brought an old handle back to life.) Retiring needs 2^33 frees of one slot, far more
//! than a process makes.
//!
//! Only the thread that owns the engine uses a registry (pool workers run kernel tiles only),
//! so each lives in a thread-local. Every allocation is fallible and made by `insert`, so
//! `remove` (dispose) never allocates and works when memory is full.

use wasm_bindgen::JsError;

use crate::abi_error::{abi_error, Kind};

/// A handle as the boundary carries it.
pub type Handle = f64;

const INDEX_BITS: u32 = 20;
const SLOTS: u64 = 1 << INDEX_BITS;
/// The largest integer an `f64` holds exactly, hence the largest handle.
const MAX_HANDLE: u64 = (1 << 53) - 1;
const MAX_GENERATION: u64 = MAX_HANDLE >> INDEX_BITS;

struct Slot<T> {
    generation: u64,
    value: Option<T>,
}

/// A slab of objects addressed by generation-checked handles.
pub struct Registry<T> {
    what: &'static str,
    slots: Vec<Slot<T>>,
    /// Free slots, reused last-freed first. Its capacity is kept at least `slots.len()`, so
    /// pushing onto it never allocates.
    free: Vec<u32>,
    /// Slots whose generations are used up.
    retired: usize,
}

/// `(slot, generation)` of a handle, or `None` for anything that is not one: negative,
/// fractional, NaN or above 2^53 - 1.
fn decode(handle: Handle) -> Option<(usize, u64)> {
    if !(handle >= 1.0 && handle <= MAX_HANDLE as f64 && handle.fract() == 0.0) {
        return None;
    }
    let h = handle as u64;
    Some(((h % SLOTS) as usize, h >> INDEX_BITS))
}

fn encode(slot: usize, generation: u64) -> Handle {
    ((generation << INDEX_BITS) | slot as u64) as f64
}

impl<T> Registry<T> {
    /// An empty registry; `what` names its objects in error messages.
    pub const fn new(what: &'static str) -> Self {
        Self {
            what,
            slots: Vec::new(),
            free: Vec::new(),
            retired: 0,
        }
    }

    /// Stores `value` and returns its handle, a number no earlier object had.
    pub fn insert(&mut self, value: T) -> Result<Handle, JsError> {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            return Ok(encode(index as usize, slot.generation));
        }
        let index = self.slots.len();
        if index as u64 >= SLOTS {
            return Err(abi_error(
                Kind::OutOfMemory,
                format_args!("too many live {}s (limit {SLOTS})", self.what),
            ));
        }
        let out_of_memory = |_| {
            abi_error(
                Kind::OutOfMemory,
                format_args!(
                    "no memory left to register one more {} ({})",
                    self.what,
                    crate::abi_error::MemoryNote
                ),
            )
        };
        self.slots.try_reserve(1).map_err(out_of_memory)?;
        // Room for every slot on the free list, so `remove` never allocates.
        let want = index + 1;
        if self.free.capacity() < want {
            self.free
                .try_reserve(want - self.free.len())
                .map_err(out_of_memory)?;
        }
        // Generation starts at 1, so the handle 0 ("none" in optional arguments) is never valid.
        self.slots.push(Slot {
            generation: 1,
            value: Some(value),
        });
        Ok(encode(index, 1))
    }

    fn slot_of(&self, handle: Handle) -> Option<usize> {
        let (index, generation) = decode(handle)?;
        let slot = self.slots.get(index)?;
        (slot.generation == generation && slot.value.is_some()).then_some(index)
    }

    fn stale(&self, handle: Handle) -> JsError {
        abi_error(
            Kind::StaleHandle,
            format_args!(
                "{} handle {handle} is not live (disposed, or never created)",
                self.what
            ),
        )
    }

    /// The object behind `handle`.
    pub fn get(&self, handle: Handle) -> Result<&T, JsError> {
        self.slot_of(handle)
            .and_then(|i| self.slots[i].value.as_ref())
            .ok_or_else(|| self.stale(handle))
    }

    /// The object behind `handle`, mutably.
    pub fn get_mut(&mut self, handle: Handle) -> Result<&mut T, JsError> {
        match self.slot_of(handle) {
            Some(i) => match self.slots[i].value.as_mut() {
                Some(v) => Ok(v),
                None => Err(abi_error(
                    Kind::StaleHandle,
                    format_args!("handle is not live"),
                )),
            },
            None => Err(self.stale(handle)),
        }
    }

    /// Removes and returns the object; the handle and its copies become stale for good.
    pub fn remove(&mut self, handle: Handle) -> Result<T, JsError> {
        let index = self.slot_of(handle).ok_or_else(|| self.stale(handle))?;
        let slot = &mut self.slots[index];
        let value = slot
            .value
            .take()
            .ok_or_else(|| abi_error(Kind::StaleHandle, format_args!("handle is not live")))?;
        if slot.generation == MAX_GENERATION {
            self.retired += 1;
        } else {
            slot.generation += 1;
            // Capacity for every slot was reserved by `insert`: this does not allocate.
            self.free.push(index as u32);
        }
        Ok(value)
    }

    /// Number of live objects.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len() - self.retired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_never_given_out_twice() {
        let mut r = Registry::new("thing");
        let first = r.insert(1).ok();
        let mut seen = std::collections::HashSet::new();
        seen.insert(first.map(f64::to_bits));
        r.remove(first.unwrap_or(0.0)).ok();
        // Far past the 4,095 reuses after which 12-bit generations came round again.
        for _ in 0..10_000 {
            let h = r.insert(2).ok();
            assert!(
                seen.insert(h.map(f64::to_bits)),
                "handle {h:?} given out twice"
            );
            r.remove(h.unwrap_or(0.0)).ok();
        }
        assert_eq!(r.slots.len(), 1, "one slot, reused");
        assert_eq!(r.live(), 0);
    }

    #[test]
    fn a_used_up_slot_is_retired_not_reused() {
        let mut r = Registry::new("thing");
        let h = r.insert(1).ok().unwrap_or(0.0);
        r.slots[0].generation = MAX_GENERATION;
        let last = encode(0, MAX_GENERATION);
        assert_eq!(r.slot_of(h), None, "the old generation is stale");
        r.remove(last).ok();
        assert_eq!((r.free.len(), r.retired, r.live()), (0, 1, 0));
        let next = r.insert(2).ok().unwrap_or(0.0);
        assert_eq!(
            decode(next),
            Some((1, 1)),
            "a new slot, not the retired one"
        );
    }

    #[test]
    fn only_exact_integers_in_range_decode() {
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, 2f64.powi(53)] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert_eq!(decode(encode(5, 9)), Some((5, 9)));
        assert_eq!(
            decode(encode(0xfffff, MAX_GENERATION)),
            Some((0xfffff, MAX_GENERATION))
        );
    }
}
