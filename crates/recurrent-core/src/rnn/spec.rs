//! The shape of a recurrent stack and the sizes derived from it.

use super::kind::CellKind;
use crate::error::{CoreError, CoreResult};

/// A stack of `num_layers` recurrent layers of one cell kind, each with one or two directions.
///
/// Layer 0 reads `input_size` features per step; layer `l > 0` reads the previous layer's
/// output, `D * hidden_size` features (`D` = 2 when bidirectional). There is no dropout
/// between layers (the drivers take it separately), and every layer has both biases unless
/// `bias` is false (PyTorch's `bias=False`: no `bias_ih`/`bias_hh` tensors at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackSpec {
    /// The cell equations.
    pub kind: CellKind,
    /// Features per step of the stack's input (I).
    pub input_size: usize,
    /// State size of every layer and direction (H).
    pub hidden_size: usize,
    /// Number of stacked layers (L).
    pub num_layers: usize,
    /// Whether every layer also runs over the sequence backwards.
    pub bidirectional: bool,
    /// Whether every layer and direction has `bias_ih` and `bias_hh` (PyTorch's `bias`).
    pub bias: bool,
    /// PyTorch's `proj_size` (LSTM family only): 0 for none; else every layer and direction
    /// has `weight_hr [P, H]` and its state is `h_t = W_hr (o_t * tanh(c_t))`, P wide (P <
    /// H), while `c` stays H wide. The layer outputs, `h0`/`h_n` and the next layer's input
    /// are then P (or D*P) wide, and `W_hh` is `[G*H, P]`.
    pub proj_size: usize,
    /// Skip connection through time (plain RNN family only): `d >= 2` adds `W_skip h_{s-d}`
    /// (`weight_skip_l{l}`, `[H, H]`) to every step's pre-activation, with h0 standing for
    /// every state before the first step; 0 for none (see `skip.rs`).
    pub skip: usize,
}

/// The largest skip delay: the streaming state keeps `d - 1` states per layer, so a delay
/// longer than any sequence only costs memory.
pub const MAX_SKIP: usize = 4096;

const OP: &str = "StackSpec::validate";

impl StackSpec {
    /// Checks that sizes are at least 1 and that every size derived from them (the parameter
    /// count above all) fits in `usize`; the error names the argument at fault. Every
    /// operation of this module calls it first, so the arithmetic elsewhere cannot overflow
    /// on parameter sizes.
    pub fn validate(&self) -> CoreResult<()> {
        for (arg, v) in [
            ("input_size", self.input_size),
            ("hidden_size", self.hidden_size),
            ("num_layers", self.num_layers),
        ] {
            if v == 0 {
                return Err(CoreError::new(OP, arg, "at least 1", "0"));
            }
        }
        if self.proj_size > 0 {
            if !self.kind.has_cell_state() {
                return Err(CoreError::new(
                    OP,
                    "proj_size",
                    "0 (a projection needs an LSTM kind)",
                    format_args!("{}", self.proj_size),
                ));
            }
            if self.proj_size >= self.hidden_size {
                return Err(CoreError::new(
                    OP,
                    "proj_size",
                    format_args!("0 or less than hidden_size ({})", self.hidden_size),
                    format_args!("{}", self.proj_size),
                ));
            }
        }
        self.check_skip()?;
        self.try_param_len()?;
        Ok(())
    }

    /// Width P of the state `h` (and of each direction's output): `proj_size`, or `H`
    /// without a projection.
    pub fn state_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    /// Elements of `weight_hr` per layer and direction: `P*H`, 0 without a projection.
    pub(crate) fn proj_len(&self) -> usize {
        self.proj_size * self.hidden_size
    }

    /// `skip` is 0, or in `2..=MAX_SKIP` on a plain RNN (whose one gate block the skip term
    /// enters; the GRU and LSTM bodies split their recurrent product by gate).
    fn check_skip(&self) -> CoreResult<()> {
        if self.skip == 0 {
            return Ok(());
        }
        if !(2..=MAX_SKIP).contains(&self.skip) {
            return Err(CoreError::new(
                OP,
                "skip",
                format_args!("0 (none) or a delay in 2..={MAX_SKIP}"),
                format_args!("{}", self.skip),
            ));
        }
        if self.kind.row().family != super::kind::Family::Rnn {
            return Err(CoreError::new(
                OP,
                "skip",
                "0 for a GRU or LSTM (skip connections are for plain RNNs)",
                format_args!("{} with {:?}", self.skip, self.kind),
            ));
        }
        Ok(())
    }

    /// Floats of one `W_skip` (`H*H`), or 0 without a skip connection.
    pub(crate) fn skip_len(&self) -> usize {
        if self.skip == 0 {
            0
        } else {
            self.hidden_size * self.hidden_size
        }
    }

    /// Number of directions D (1 or 2).
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// Gate count G of the cell.
    pub fn gates(&self) -> usize {
        self.kind.gates()
    }

    /// Features per step that layer `layer` reads: `I` for layer 0, `D*P` above.
    pub fn layer_input_size(&self, layer: usize) -> usize {
        if layer == 0 {
            self.input_size
        } else {
            self.output_size()
        }
    }

    /// Features per step of every layer's output: `D*P` (`P` = [`Self::state_size`]).
    pub fn output_size(&self) -> usize {
        self.directions() * self.state_size()
    }

    /// Number of layer/direction pairs, the leading dimension of the states: `L*D`.
    pub fn state_count(&self) -> usize {
        self.num_layers * self.directions()
    }

    /// Total number of parameters (the length of the flat parameter buffer).
    pub fn param_len(&self) -> CoreResult<usize> {
        self.validate()?;
        self.try_param_len()
    }

    /// Number of bias vectors per layer and direction: 2 (`b_ih`, `b_hh`), or 0 without bias.
    pub(crate) fn bias_vectors(&self) -> usize {
        if self.bias {
            2
        } else {
            0
        }
    }

    /// Parameters of one layer/direction whose input has `input` features.
    pub(crate) fn dir_block_len(&self, input: usize) -> usize {
        let gh = self.gates() * self.hidden_size;
        gh * input
            + gh * self.state_size()
            + self.bias_vectors() * gh
            + self.kind.peepholes() * self.hidden_size
            + self.proj_len()
            + self.skip_len()
    }

    /// `dir_block_len` and the total, with overflow checks; the error names the size that
    /// made it overflow.
    fn try_param_len(&self) -> CoreResult<usize> {
        let h = self.hidden_size;
        let too_big = |arg: &'static str| {
            CoreError::new(
                OP,
                arg,
                "sizes whose parameter count fits in memory",
                format_args!("{self:?}"),
            )
        };
        let gh = self
            .gates()
            .checked_mul(h)
            .ok_or_else(|| too_big("hidden_size"))?;
        // P < H once validated, so these products are bounded by G*H*H, checked below.
        let p = self.state_size().min(h);
        let dh = self
            .directions()
            .checked_mul(p)
            .ok_or_else(|| too_big("hidden_size"))?;
        let block = |input: usize, arg: &'static str| -> CoreResult<usize> {
            let w_ih = gh.checked_mul(input).ok_or_else(|| too_big(arg))?;
            let w_hh = gh.checked_mul(p).ok_or_else(|| too_big("hidden_size"))?;
            let peep = self.kind.peepholes() * h;
            let w_hr = if self.proj_size > 0 { p * h } else { 0 };
            // h*h cannot overflow when gh*h (G >= 1) did not.
            let w_skip = if self.skip == 0 { 0 } else { h * h };
            w_ih.checked_add(w_hh)
                .and_then(|s| s.checked_add(self.bias_vectors() * gh))
                .and_then(|s| s.checked_add(peep))
                .and_then(|s| s.checked_add(w_hr))
                .and_then(|s| s.checked_add(w_skip))
                .ok_or_else(|| too_big(arg))
        };
        let first = block(self.input_size, "input_size")?;
        let upper = if self.num_layers > 1 {
            block(dh, "hidden_size")?
        } else {
            0
        };
        let d = self.directions();
        let first_all = first.checked_mul(d).ok_or_else(|| too_big("input_size"))?;
        (self.num_layers - 1)
            .checked_mul(d)
            .and_then(|n| n.checked_mul(upper))
            .and_then(|u| u.checked_add(first_all))
            .and_then(|total| total.checked_mul(std::mem::size_of::<f32>()).map(|_| total))
            .ok_or_else(|| too_big("num_layers"))
    }
}

/// `a * b * ...` with an overflow check: the error blames `arg` of `op`.
pub(crate) fn product(op: &'static str, arg: &'static str, dims: &[usize]) -> CoreResult<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            CoreError::new(
                op,
                arg,
                "a size that fits in memory",
                format_args!("{dims:?}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(i: usize, h: usize, l: usize) -> StackSpec {
        StackSpec {
            kind: CellKind::Lstm,
            input_size: i,
            hidden_size: h,
            num_layers: l,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        }
    }

    #[test]
    fn zero_sizes_name_the_argument() {
        assert_eq!(
            spec(0, 3, 1).validate().map_err(|e| e.arg),
            Err("input_size")
        );
        assert_eq!(
            spec(2, 0, 1).validate().map_err(|e| e.arg),
            Err("hidden_size")
        );
        assert_eq!(
            spec(2, 3, 0).validate().map_err(|e| e.arg),
            Err("num_layers")
        );
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(spec(usize::MAX / 2, 3, 1).validate().is_err());
        assert!(spec(2, usize::MAX / 3, 1).validate().is_err());
        assert!(spec(2, 1 << 20, usize::MAX / 4).validate().is_err());
    }

    #[test]
    fn param_len_matches_pytorch_lstm() {
        // torch.nn.LSTM(3, 5, 2, bidirectional=True): layer 0 2*(20*3+20*5+40), layer 1 2*(20*10+20*5+40)
        assert_eq!(
            spec(3, 5, 2).param_len(),
            Ok(2 * (60 + 100 + 40) + 2 * (200 + 100 + 40))
        );
        // bias=False: the same without the 2 * 20 biases per layer and direction.
        let no_bias = StackSpec {
            bias: false,
            proj_size: 0,
            ..spec(3, 5, 2)
        };
        assert_eq!(no_bias.param_len(), Ok(2 * (60 + 100) + 2 * (200 + 100)));
    }
}
