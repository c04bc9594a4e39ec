//! Borrowing several buffers at once: outputs are taken out of the registry (so they can be
//! `&mut` while inputs are `&`), and put back when the guard drops, whatever happened.

use wasm_bindgen::JsError;

use crate::abi_error::{abi_error, Kind};
use crate::buffers::BUFFERS;
use crate::registry::Handle;

/// A buffer taken out of the registry for the duration of a call.
pub struct Taken {
    handle: Handle,
    data: Vec<f32>,
}

impl Taken {
    /// Takes the buffer `handle` out; it reads as stale until this guard drops.
    pub fn take(handle: Handle) -> Result<Self, JsError> {
        let data = BUFFERS.with_borrow_mut(|r| r.get_mut(handle).map(std::mem::take))?;
        Ok(Self { handle, data })
    }

    /// Takes `handle` out unless it is 0 ("not given").
    pub fn take_opt(handle: Handle) -> Result<Option<Self>, JsError> {
        if handle == 0.0 {
            Ok(None)
        } else {
            Self::take(handle).map(Some)
        }
    }

    /// The buffer's contents.
    pub fn data(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        BUFFERS.with_borrow_mut(|r| {
            if let Ok(slot) = r.get_mut(self.handle) {
                *slot = data;
            }
        });
    }
}

/// Fails unless the non-zero handles in `outputs` differ from each other and from `inputs`:
/// an output that aliases another argument would read as "not live" once taken out.
pub fn ensure_distinct(
    op: &str,
    outputs: &[(&str, Handle)],
    inputs: &[(&str, Handle)],
) -> Result<(), JsError> {
    for (i, &(name, h)) in outputs.iter().enumerate() {
        if h == 0.0 {
            continue;
        }
        let clash = outputs[..i]
            .iter()
            .chain(inputs.iter())
            .find(|&&(_, other)| other == h);
        if let Some((other, _)) = clash {
            return Err(abi_error(
                Kind::InvalidArgument,
                format_args!("{op}: argument `{name}` must be a different buffer from `{other}`"),
            ));
        }
    }
    Ok(())
}
