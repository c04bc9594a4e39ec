//! Dropout inside a training forward, three kinds, all inverted (kept values scaled by
//! `1 / (1 - p)`) and all drawn from the batch's seed:
//!
//! * between stacked layers (PyTorch's `dropout` argument of `nn.LSTM`): the output of every
//!   layer but the last is dropped out before the next layer reads it. The mask of layer `l`'s
//!   output `[T*B, D*H]` (time-major, index `i = (t*B + b)*D*H + j`) is drawn from the stream
//!   `(seed << 32) | l` ([`crate::train::dropout_in_place`]).
//! * variational input dropout (Keras' `dropout`, Gal & Ghahramani 2016): each layer's input
//!   `x_t` is multiplied by a mask `[B, I_l]` that is the SAME at every step of a sequence (one
//!   per batch row and feature), and shared by both directions of the layer. Stream
//!   `(seed << 32) | 1 << 24 | l`, index `b*I_l + i`.
//! * variational recurrent dropout (Keras' `recurrent_dropout`): `h_{t-1}` is multiplied by a
//!   mask `[B, H]`, the same at every step, where it enters the recurrent matmul(s) (`W_hh`,
//!   and for the reset-before GRU `W_hn (r * (m * h))`); the cell's own use of `h_{t-1}` (the
//!   GRU's `z * h_{t-1}`, the leaky units) and the carried state are not masked. One mask per
//!   layer and direction, shared by every gate block (Keras' LSTM draws one per gate; one
//!   shared mask is its `implementation=2` behaviour). Stream `(seed << 32) | 2 << 24 |
//!   (l*2 + d)`, index `b*H + j`.
//!
//! Every mask is a function of the seed, the layer (and direction) and the index alone: the
//! same for any thread count, segment plan or call order, and backward applies the masks the
//! forward kept in the tape (or recomputes the between-layer ones).

use super::spec::StackSpec;
use super::tape::{input_mask_range, recurrent_mask_range, Tape};
use crate::error::{CoreError, CoreResult};
use crate::train::dropout_in_place;

/// The dropout of a training forward.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Dropout {
    /// Probability of dropping an element between stacked layers, in `[0, 1)`; 0: none.
    pub p: f64,
    /// Seed of the masks (one per batch, so each batch draws new masks).
    pub seed: u32,
    /// Variational dropout of each layer's input, in `[0, 1)`; 0: none.
    pub input: f64,
    /// Variational dropout of `h_{t-1}` in the recurrent matmul, in `[0, 1)`; 0: none.
    pub recurrent: f64,
}

impl Dropout {
    /// No dropout.
    pub const NONE: Dropout = Dropout {
        p: 0.0,
        seed: 0,
        input: 0.0,
        recurrent: 0.0,
    };

    /// Dropout `p` between layers only, masks from `seed`.
    pub const fn between(p: f64, seed: u32) -> Dropout {
        Dropout {
            p,
            seed,
            input: 0.0,
            recurrent: 0.0,
        }
    }

    /// Fails unless every probability is in `[0, 1)`; the error names the one at fault.
    pub(crate) fn check(&self, op: &'static str) -> CoreResult<()> {
        for (arg, p) in [
            ("dropout", self.p),
            ("input_dropout", self.input),
            ("recurrent_dropout", self.recurrent),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(CoreError::new(
                    op,
                    arg,
                    "a probability in [0, 1)",
                    format_args!("{p}"),
                ));
            }
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

    /// Whether the forward uses the variational masks (input or recurrent).
    pub(crate) fn variational(&self) -> bool {
        self.input > 0.0 || self.recurrent > 0.0
    }

    /// Draws layer `layer`'s input mask `[B, I_l]` into `mask` (values 0 or `1 / (1 - p)`).
    pub(crate) fn draw_input(&self, layer: usize, mask: &mut [f32]) -> CoreResult<()> {
        mask.fill(1.0);
        let stream = (u64::from(self.seed) << 32) | (1 << 24) | layer as u64;
        dropout_in_place(mask, self.input, stream)
    }

    /// Draws the recurrent mask `[B, H]` of layer `layer`, direction `dir` into `mask`.
    pub(crate) fn draw_recurrent(
        &self,
        layer: usize,
        dir: usize,
        mask: &mut [f32],
    ) -> CoreResult<()> {
        mask.fill(1.0);
        let stream = (u64::from(self.seed) << 32) | (2 << 24) | (layer * 2 + dir) as u64;
        dropout_in_place(mask, self.recurrent, stream)
    }
}

/// `data[r, :] *= mask[r % B, :]` for the `rows` rows of `data` (`width` floats each, time-major
/// so row r is batch row `r % B`): a mask that is the same at every step. Dropped elements
/// become exactly 0 (even where `data` is not finite), as [`dropout_in_place`] makes them.
pub(crate) fn apply_per_row(
    mask: &[f32],
    batch: usize,
    width: usize,
    rows: usize,
    data: &mut [f32],
) {
    for (r, row) in data[..rows * width].chunks_exact_mut(width).enumerate() {
        let b = r % batch;
        for (v, &m) in row.iter_mut().zip(&mask[b * width..(b + 1) * width]) {
            *v = if m == 0.0 { 0.0 } else { *v * m };
        }
    }
}

/// `dst[i] += mask[i] * src[i]` (dropped elements add nothing).
pub(crate) fn add_masked(mask: &[f32], src: &[f32], dst: &mut [f32]) {
    for ((d, &s), &m) in dst.iter_mut().zip(src).zip(mask) {
        if m != 0.0 {
            *d += s * m;
        }
    }
}

/// `dst[i] = mask[i] * src[i]` (dropped elements exactly 0).
pub(crate) fn masked(mask: &[f32], src: &[f32], dst: &mut [f32]) {
    for ((d, &s), &m) in dst.iter_mut().zip(src).zip(mask) {
        *d = if m == 0.0 { 0.0 } else { s * m };
    }
}

/// Draws every variational mask of a batch of `batch` rows into `masks` (the tape's layout).
pub(super) fn draw_masks(
    spec: &StackSpec,
    batch: usize,
    dropout: &Dropout,
    masks: &mut [f32],
) -> CoreResult<()> {
    for l in 0..spec.num_layers {
        dropout.draw_input(l, &mut masks[input_mask_range(spec, l, batch)])?;
        for d in 0..spec.directions() {
            let r = recurrent_mask_range(spec, l, d, batch);
            dropout.draw_recurrent(l, d, &mut masks[r])?;
        }
    }
    Ok(())
}

/// With input dropout, multiplies layer `l`'s input in the tape (layer 0's copy of `x`, or the
/// layer below's output after its dropout) by its mask, the same at every step.
pub(super) fn mask_layer_input(
    tape: &mut Tape,
    spec: &StackSpec,
    l: usize,
    t_len: usize,
    batch: usize,
) {
    if tape.dropout.input == 0.0 {
        return;
    }
    let Tape { x, outs, masks, .. } = tape;
    let width = spec.layer_input_size(l);
    let data = match l {
        0 => &mut x[..],
        _ => &mut outs[l - 1][..],
    };
    let mask = &masks[input_mask_range(spec, l, batch)];
    apply_per_row(mask, batch, width, t_len * batch, data);
}

/// The recurrent dropout mask `[B, H]` of layer `l`, direction `d`, when there is one.
pub(super) fn recurrent_mask<'a>(
    spec: &StackSpec,
    dropout: &Dropout,
    masks: &'a [f32],
    l: usize,
    d: usize,
    batch: usize,
) -> Option<&'a [f32]> {
    (dropout.recurrent > 0.0).then(|| &masks[recurrent_mask_range(spec, l, d, batch)])
}

/// With input dropout: `grad[r] *= mask_l[r % B]` over `rows` rows of layer `l`'s input
/// gradient (the gradient of the masked input becomes the input's).
pub(super) fn mask_input_gradient(
    spec: &StackSpec,
    dropout: &Dropout,
    masks: &[f32],
    l: usize,
    batch: usize,
    rows: usize,
    grad: &mut [f32],
) {
    if dropout.input > 0.0 {
        let mask = &masks[input_mask_range(spec, l, batch)];
        apply_per_row(mask, batch, spec.layer_input_size(l), rows, grad);
    }
}
