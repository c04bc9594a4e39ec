//! Dropout between stacked layers while training (PyTorch's `dropout` argument of `nn.LSTM`):
//! the output of every layer but the last is dropped out before the next layer reads it.
//!
//! The mask of layer `l`'s output `[T*B, D*H]` (time-major, index `i = (t*B + b)*D*H + j`) is
//! drawn from the stream `(seed << 32) | l` ([`crate::train::dropout_in_place`]): a function of
//! the seed, the layer and the index alone, so backward recomputes it instead of keeping it,
//! and it is the same for any thread count, segment plan or call order.

use crate::error::{CoreError, CoreResult};
use crate::train::dropout_in_place;

/// Dropout between the layers of a training forward.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Dropout {
    /// Probability of dropping an element, in `[0, 1)`; 0: none.
    pub p: f64,
    /// Seed of the masks (one per batch, so each batch draws new masks).
    pub seed: u32,
}

impl Dropout {
    /// No dropout.
    pub const NONE: Dropout = Dropout { p: 0.0, seed: 0 };

    /// Fails unless `p` is in `[0, 1)`.
    pub(crate) fn check(&self, op: &'static str) -> CoreResult<()> {
        if !(self.p >= 0.0 && self.p < 1.0) {
            return Err(CoreError::new(
                op,
                "dropout",
                "a probability in [0, 1)",
                format_args!("{}", self.p),
            ));
        }
        Ok(())
    }

    /// Multiplies `data`, layer `layer`'s output (forward) or the gradient of it (backward), by
    /// its mask and `1 / (1 - p)`, in place; nothing when `p` is 0.
    pub(crate) fn apply(&self, layer: usize, data: &mut [f32]) -> CoreResult<()> {
        if self.p == 0.0 {
            return Ok(());
        }
        dropout_in_place(data, self.p, (u64::from(self.seed) << 32) | layer as u64)
    }
}
