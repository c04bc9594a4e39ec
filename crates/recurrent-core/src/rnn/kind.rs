//! Which recurrent cell a stack uses: its equations, gate count and gate order.

use crate::error::{CoreError, CoreResult};

/// The cell equations, one variant per distinct set (see the fixtures' README for each).
///
/// | kind | G | gate order | cell state | extra per layer/direction |
/// | --- | --- | --- | --- | --- |
/// | `RnnTanh`, `RnnRelu`, `RnnResidual` | 1 | (one block) | no | |
/// | `Gru` (reset after the matmul), `GruResetBefore` | 3 | r, z, n | no | |
/// | `Lstm` | 4 | i, f, g, o | yes | |
/// | `LstmPeephole` | 4 | i, f, g, o | yes | `peephole_i/f/o` `[H]` each |
/// | `LstmCifg` (f = 1 - i), `LstmNoForget` (f = 1) | 3 | i, g, o | yes | |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// `h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnTanh,
    /// `h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnRelu,
    /// `h_t = h_{t-1} + tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnResidual,
    /// PyTorch's GRU: `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`.
    Gru,
    /// The textbook GRU: `n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)`.
    GruResetBefore,
    /// PyTorch's LSTM.
    Lstm,
    /// LSTM with diagonal peepholes; the output gate sees the new cell.
    LstmPeephole,
    /// Coupled input-forget gate: `f = 1 - i`, no forget rows.
    LstmCifg,
    /// No forget gate: `c_t = c_{t-1} + i * g`.
    LstmNoForget,
}

impl CellKind {
    /// Every kind, in the fixtures' order of first appearance.
    pub const ALL: [CellKind; 9] = [
        CellKind::RnnTanh,
        CellKind::RnnRelu,
        CellKind::RnnResidual,
        CellKind::Gru,
        CellKind::GruResetBefore,
        CellKind::Lstm,
        CellKind::LstmPeephole,
        CellKind::LstmCifg,
        CellKind::LstmNoForget,
    ];

    /// Number of gate blocks G: the weight matrices have `G * H` rows.
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu | CellKind::RnnResidual => 1,
            CellKind::Gru | CellKind::GruResetBefore => 3,
            CellKind::Lstm | CellKind::LstmPeephole => 4,
            CellKind::LstmCifg | CellKind::LstmNoForget => 3,
        }
    }

    /// Names of the H-row blocks of the weights, in storage order, as the fixtures write them.
    /// Empty for the plain RNNs, whose single block has no gate name (`gates()` is still 1).
    pub fn gate_order(self) -> &'static [&'static str] {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu | CellKind::RnnResidual => &[],
            CellKind::Gru | CellKind::GruResetBefore => &["r", "z", "n"],
            CellKind::Lstm | CellKind::LstmPeephole => &["i", "f", "g", "o"],
            CellKind::LstmCifg | CellKind::LstmNoForget => &["i", "g", "o"],
        }
    }

    /// Whether the cell carries a memory cell `c` besides `h` (the LSTM family).
    pub fn has_cell_state(self) -> bool {
        matches!(
            self,
            CellKind::Lstm | CellKind::LstmPeephole | CellKind::LstmCifg | CellKind::LstmNoForget
        )
    }

    /// Number of extra `[H]` parameter vectors per layer and direction (3 peepholes, or 0).
    pub fn peepholes(self) -> usize {
        if self == CellKind::LstmPeephole {
            3
        } else {
            0
        }
    }

    /// The fixtures' `spec.kind` string, e.g. `"gru_reset_before"`.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "rnn_tanh",
            CellKind::RnnRelu => "rnn_relu",
            CellKind::RnnResidual => "rnn_residual",
            CellKind::Gru => "gru",
            CellKind::GruResetBefore => "gru_reset_before",
            CellKind::Lstm => "lstm",
            CellKind::LstmPeephole => "lstm_peephole",
            CellKind::LstmCifg => "lstm_cifg",
            CellKind::LstmNoForget => "lstm_no_forget",
        }
    }

    /// The kind named by `name` (the inverse of [`CellKind::name`]).
    pub fn from_name(name: &str) -> CoreResult<CellKind> {
        CellKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                CoreError::new(
                    "CellKind::from_name",
                    "name",
                    "one of rnn_tanh, rnn_relu, rnn_residual, gru, gru_reset_before, lstm, \
                 lstm_peephole, lstm_cifg, lstm_no_forget",
                    format_args!("{name:?}"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_orders_match_gate_counts() {
        for k in CellKind::ALL {
            assert_eq!(CellKind::from_name(k.name()), Ok(k));
            let order = k.gate_order().len();
            assert!(order == k.gates() || (order == 0 && k.gates() == 1));
        }
        assert!(CellKind::from_name("lstm2").is_err());
    }
}
