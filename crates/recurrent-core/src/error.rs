//! The error type every fallible core function returns.
//!
//! Building an error never aborts: its details are formatted into memory reserved with
//! `try_reserve`, and when even that fails (the error may be reporting that memory ran out)
//! they fall back to a static text. In wasm an aborted allocation traps the whole instance.

use std::borrow::Cow;
use std::fmt;

/// Words in an error: static, or formatted into memory that could be had.
pub type Detail = Cow<'static, str>;

/// What kind of failure an error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An argument has the wrong size, shape or range; nothing was changed.
    InvalidArgument,
    /// `bytes` of memory for the call could not be allocated. A number, not text: the error
    /// must be complete without allocating.
    OutOfMemory {
        /// How much was asked for.
        bytes: usize,
    },
}

/// What went wrong, with the operation, the argument, what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    /// Whether the caller's arguments or the memory are at fault.
    pub kind: ErrorKind,
    /// The operation that refused the call, e.g. `"sgemm"`.
    pub op: &'static str,
    /// The argument at fault, e.g. `"a"` or `"lda"`; for [`ErrorKind::OutOfMemory`], what the
    /// memory was for.
    pub arg: &'static str,
    /// What the operation needed, in words.
    pub expected: Detail,
    /// What it was given.
    pub got: Detail,
}

/// Text an error detail is made of: a static string, already made text, or `format_args!`.
pub trait IntoDetail {
    /// The detail, formatted without aborting (see [`detail`]).
    fn into_detail(self) -> Detail;
}

impl IntoDetail for &'static str {
    fn into_detail(self) -> Detail {
        Cow::Borrowed(self)
    }
}

impl IntoDetail for Detail {
    fn into_detail(self) -> Detail {
        self
    }
}

impl IntoDetail for fmt::Arguments<'_> {
    fn into_detail(self) -> Detail {
        detail(self)
    }
}

/// What a detail reads when there was no memory left to format it.
const LOST: &str = "(details not formatted: out of memory)";

/// `args` formatted into a string whose memory was reserved with `try_reserve` (so this never
/// aborts), or [`LOST`] when that failed. Static text is not copied.
pub fn detail(args: fmt::Arguments<'_>) -> Detail {
    if let Some(s) = args.as_str() {
        return Cow::Borrowed(s);
    }
    match try_format(args) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(LOST),
    }
}

/// `args` formatted into a string allocated with `try_reserve_exact`, or the number of bytes
/// that could not be had. The text is measured first, then written into exactly that capacity
/// by a writer that refuses to grow, so no step can take the infallible (aborting) path.
pub fn try_format(args: fmt::Arguments<'_>) -> Result<String, usize> {
    let mut count = Count(0);
    fmt::write(&mut count, args).map_err(|_| usize::MAX)?;
    let mut s = String::new();
    s.try_reserve_exact(count.0).map_err(|_| count.0)?;
    fmt::write(&mut Bounded(&mut s), args).map_err(|_| count.0)?;
    Ok(s)
}

/// Counts the bytes a formatting would write.
struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.checked_add(s.len()).ok_or(fmt::Error)?;
        Ok(())
    }
}

/// Appends to a string within its capacity, failing rather than reallocating.
struct Bounded<'a>(&'a mut String);

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.capacity() - self.0.len() < s.len() {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

impl CoreError {
    /// An invalid argument `arg` of operation `op`.
    pub fn new(
        op: &'static str,
        arg: &'static str,
        expected: impl IntoDetail,
        got: impl IntoDetail,
    ) -> Self {
        Self {
            kind: ErrorKind::InvalidArgument,
            op,
            arg,
            expected: expected.into_detail(),
            got: got.into_detail(),
        }
    }

    /// `op` could not allocate `bytes` bytes for `what`.
    pub fn out_of_memory(op: &'static str, what: &'static str, bytes: usize) -> Self {
        Self {
            kind: ErrorKind::OutOfMemory { bytes },
            op,
            arg: what,
            expected: Cow::Borrowed("memory"),
            got: Cow::Borrowed("none"),
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::InvalidArgument => write!(
                f,
                "{}: argument `{}` expected {}, got {}",
                self.op, self.arg, self.expected, self.got
            ),
            ErrorKind::OutOfMemory { bytes } => write!(
                f,
                "{}: could not allocate {bytes} bytes for `{}`",
                self.op, self.arg
            ),
        }
    }
}

impl std::error::Error for CoreError {}

/// Shorthand for results of core operations.
pub type CoreResult<T> = Result<T, CoreError>;

/// Fails unless `len >= need`; used to check slice lengths before any indexing.
pub fn check_len(op: &'static str, arg: &'static str, len: usize, need: usize) -> CoreResult<()> {
    if len < need {
        return Err(CoreError::new(
            op,
            arg,
            format_args!("at least {need} elements"),
            format_args!("{len}"),
        ));
    }
    Ok(())
}

/// Fails unless `len == need`: a tensor of the wrong size is a shape bug on the caller's
/// side, so a longer slice is refused too.
pub fn check_exact(op: &'static str, arg: &'static str, len: usize, need: usize) -> CoreResult<()> {
    if len != need {
        return Err(CoreError::new(
            op,
            arg,
            format_args!("exactly {need} elements"),
            format_args!("{len}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_format_into_reserved_memory_and_static_text_is_borrowed() {
        assert!(matches!(
            detail(format_args!("plain")),
            Cow::Borrowed("plain")
        ));
        let n = 12;
        assert_eq!(detail(format_args!("{n} at row {}", n + 1)), "12 at row 13");
        let s = try_format(format_args!("{:?} {}", [1, 2], "x")).expect("memory");
        assert_eq!(s, "[1, 2] x");
        assert_eq!(
            s.capacity(),
            s.len(),
            "exactly the measured size was reserved"
        );
    }

    #[test]
    fn out_of_memory_names_the_op_the_use_and_the_bytes() {
        let e = CoreError::out_of_memory("Tape::new", "tape", 4096);
        assert_eq!(e.kind, ErrorKind::OutOfMemory { bytes: 4096 });
        assert_eq!(
            e.to_string(),
            "Tape::new: could not allocate 4096 bytes for `tape`"
        );
    }
}
