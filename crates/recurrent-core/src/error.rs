//! The error type every fallible core function returns.

use std::fmt;

/// What went wrong, with the operation, the argument, what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    /// The operation that refused the call, e.g. `"sgemm"`.
    pub op: &'static str,
    /// The argument at fault, e.g. `"a"` or `"lda"`.
    pub arg: &'static str,
    /// What the operation needed, in words.
    pub expected: String,
    /// What it was given.
    pub got: String,
}

impl CoreError {
    /// Builds an error for argument `arg` of operation `op`.
    pub fn new(
        op: &'static str,
        arg: &'static str,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Self {
            op,
            arg,
            expected: expected.into(),
            got: got.into(),
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: argument `{}` expected {}, got {}",
            self.op, self.arg, self.expected, self.got
        )
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
            format!("at least {need} elements"),
            format!("{len}"),
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
            format!("exactly {need} elements"),
            format!("{len}"),
        ));
    }
    Ok(())
}
