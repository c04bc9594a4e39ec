//! Errors crossing the boundary, tagged with a kind the TS side maps to a class.
//!
//! Making an error allocates nothing in wasm memory: the message is formatted into a buffer
//! on the stack and handed to JS, which makes the `Error` object. An error path that
//! allocated could fail exactly when memory is short, and a failed allocation traps.

use std::fmt::{self, Write};

use recurrent_core::error::ErrorKind;
use recurrent_core::CoreError;
use wasm_bindgen::JsError;

/// The kinds of error the boundary reports; the TS side has one class per kind.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An argument has the wrong shape, size or range.
    InvalidArgument,
    /// A handle was freed, never existed, or belongs to an older generation.
    StaleHandle,
    /// The allocation would not fit in wasm memory.
    OutOfMemory,
}

/// Bytes of the longest message; a longer one is cut at a character boundary and ends `...`.
const MAX_MESSAGE: usize = 1024;

/// The most wasm memory either build can grow to: 4 GiB, all that 32-bit addresses reach
/// (the single-threaded build declares no maximum, so the runtime's wasm32 limit applies;
/// the threaded build declares this one in `scripts/build-wasm.sh`).
pub const MAX_MEMORY_BYTES: u64 = 1 << 32;

/// Builds the thrown error: `[Kind] message`.
pub fn abi_error(kind: Kind, message: fmt::Arguments<'_>) -> JsError {
    let mut text = StackText::new();
    // `StackText` never fails: it cuts what does not fit.
    let _ = write!(text, "[{kind:?}] {message}");
    JsError::new(text.as_str())
}

/// A core failure as a boundary error of the matching kind. Out-of-memory errors say how
/// much memory the instance holds and how much it can hold at most.
pub fn from_core(e: CoreError) -> JsError {
    match e.kind {
        ErrorKind::InvalidArgument => abi_error(Kind::InvalidArgument, format_args!("{e}")),
        ErrorKind::OutOfMemory { .. } => {
            abi_error(Kind::OutOfMemory, format_args!("{e}; {}", MemoryNote))
        }
    }
}

/// "wasm memory holds N bytes of at most M": the context of every out-of-memory message.
pub struct MemoryNote;

impl fmt::Display for MemoryNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wasm memory holds {} bytes of at most {MAX_MEMORY_BYTES}",
            memory_bytes()
        )
    }
}

/// Bytes of linear memory the instance has now.
pub fn memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size::<0>() as u64 * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// Text formatted into a fixed buffer on the stack; what does not fit is cut and marked
/// with `...`.
struct StackText {
    buf: [u8; MAX_MESSAGE],
    len: usize,
    cut: bool,
}

const ELLIPSIS: &str = "...";

impl StackText {
    fn new() -> Self {
        Self {
            buf: [0; MAX_MESSAGE],
            len: 0,
            cut: false,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole characters are ever copied in (see `write_str`).
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("(message lost)")
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        // `len <= MAX_MESSAGE - ELLIPSIS.len()` holds until the text is cut.
        let room = MAX_MESSAGE - ELLIPSIS.len() - self.len;
        if s.len() <= room {
            self.push(s.as_bytes());
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.push(&s.as_bytes()[..end]);
        self.push(ELLIPSIS.as_bytes());
        self.cut = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(args: fmt::Arguments<'_>) -> String {
        let mut t = StackText::new();
        let _ = t.write_fmt(args);
        t.as_str().to_owned()
    }

    #[test]
    fn short_messages_are_whole_and_long_ones_cut_at_a_character() {
        assert_eq!(
            text(format_args!("[{:?}] {}", Kind::StaleHandle, 7)),
            "[StaleHandle] 7"
        );
        let long = "é".repeat(2000);
        let cut = text(format_args!("x{long}"));
        assert!(cut.len() <= MAX_MESSAGE && cut.ends_with("...") && cut.starts_with("xé"));
        let after = text(format_args!("{long}{long}tail"));
        assert!(after.len() <= MAX_MESSAGE && after.ends_with("...") && !after.contains("tail"));
    }
}
