//! How an op stores an input gradient: over what is there, or added to it.

/// Whether an input gradient (`dx`) overwrites its buffer or is added to it.
///
/// Accumulating lets several consumers of one tensor (a residual branch, a layer output that
/// feeds two heads) sum their gradients without a temporary. Weight and bias gradients are
/// always accumulated and take no mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradWrite {
    /// `dx <- g`: the previous contents are never read (they may be garbage or NaN).
    #[default]
    Overwrite,
    /// `dx <- dx + g`.
    Accumulate,
}

impl GradWrite {
    /// The GEMM `beta` that implements this mode: 0 (C never read) or 1.
    pub(crate) fn beta(self) -> f32 {
        match self {
            GradWrite::Overwrite => 0.0,
            GradWrite::Accumulate => 1.0,
        }
    }

    /// Stores `g` into `dst` according to the mode.
    #[inline]
    pub(crate) fn store(self, dst: &mut f32, g: f32) {
        match self {
            GradWrite::Overwrite => *dst = g,
            GradWrite::Accumulate => *dst += g,
        }
    }
}
