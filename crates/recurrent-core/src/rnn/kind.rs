//! Which recurrent cell a stack uses. Every fact about a kind is in ONE row of [`cell_kinds!`]
//! below: its id, the layer option that selects it, its gate blocks in storage order, whether it
//! has a cell state, its extra per-unit parameter vectors, how PyTorch's modules relate to it,
//! and the cell body that computes it. Everything else reads the row: the drivers and the
//! parameter layout here, and the TypeScript package through `core/cell-kinds.generated.ts`,
//! which `tests/cell_kinds_ts.rs` generates from these rows and checks is current (layer
//! vocabulary, parameter naming, forget-bias placement, the CLI's choices).
//!
//! Adding an LSTM variant that has no new parameters: a body in `cells/lstm.rs` (its
//! `Variant` and its arithmetic) and one row here; then `scripts/build-wasm.sh` regenerates
//! the TypeScript table (docs/ARCHITECTURE-core.md walks through it).

use crate::error::{CoreError, CoreResult};

pub(crate) use super::cells::{LstmVariant, RnnAct};

/// The layer factory a kind belongs to: `rnn(...)`, `gru(...)` or `lstm(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Plain RNNs (one gate block).
    Rnn,
    /// GRUs (blocks r, z, n).
    Gru,
    /// The LSTM family (with a cell state).
    Lstm,
}

impl Family {
    /// `"rnn"`, `"gru"` or `"lstm"`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Rnn => "rnn",
            Family::Gru => "gru",
            Family::Lstm => "lstm",
        }
    }
}

/// Which body in `cells` computes a kind, and how its recurrent GEMM is cut (see
/// `cells::Recurrence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// `cells/rnn.rs`.
    Rnn(RnnAct),
    /// `cells/gru.rs`, reset gate after the hidden matmul (PyTorch, cuDNN).
    GruResetAfter,
    /// `cells/gru.rs`, reset gate before the hidden matmul (the textbook form).
    GruResetBefore,
    /// `cells/lstm.rs`; its gate blocks are found by name in the row (`i`, `f`, `g`, `o`).
    Lstm(LstmVariant),
}

/// Everything about one cell kind.
#[derive(Debug, Clone, Copy)]
pub struct CellKindRow {
    /// The kind.
    pub kind: CellKind,
    /// Its one canonical id, e.g. `"lstm_no_forget"` (the fixtures' `spec.kind`, the ABI's and
    /// the model files' name). User-facing spellings are derived from `family` and `variant`.
    pub id: &'static str,
    /// The layer factory that makes it.
    pub family: Family,
    /// Which one of its family, snake_case: `"no_forget"` is `lstm({ variant: 'noForget' })`
    /// and `--variant no-forget` on the command line.
    pub variant: &'static str,
    /// Names of the H-row blocks of the weights in storage order; empty for the plain RNNs,
    /// whose single block has no gate name.
    pub gates: &'static [&'static str],
    /// Whether it carries a memory cell `c` besides `h`.
    pub cell_state: bool,
    /// Names of its extra `[H]` parameter vectors per layer and direction, in storage order
    /// after `bias_hh` (PyTorch-style stems: `peephole_i` is `peephole_i_l0`, ...).
    pub per_unit: &'static [&'static str],
    /// `None` when PyTorch's `nn.RNN` / `nn.GRU` / `nn.LSTM` computes exactly this kind with
    /// the same tensors; otherwise what it would compute differently (saved files mark these
    /// layers' tensors so `load_state_dict` refuses them).
    pub torch_differs: Option<&'static str>,
    /// The body that computes it.
    pub(crate) body: Body,
}

/// Declares the kinds: the enum, `CellKind::ALL` and the rows, from one list.
macro_rules! cell_kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident = $id:literal {
            family: $family:ident, variant: $variant:literal, gates: [$($gate:literal),*],
            cell_state: $c:literal, per_unit: [$($pu:literal),*], torch_differs: $torch:expr,
            body: $body:expr $(,)?
        }
    )*) => {
        /// The cell equations, one variant per distinct set; the facts of each are its row of
        /// [`CellKind::row`] (see the fixtures' README for the equations).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CellKind {
            $( $(#[$doc])* $kind, )*
        }

        const COUNT: usize = [$($id),*].len();

        const ROWS: [CellKindRow; COUNT] = [$(
            CellKindRow {
                kind: CellKind::$kind,
                id: $id,
                family: Family::$family,
                variant: $variant,
                gates: &[$($gate),*],
                cell_state: $c,
                per_unit: &[$($pu),*],
                torch_differs: $torch,
                body: $body,
            },
        )*];

        impl CellKind {
            /// Every kind, in the fixtures' order of first appearance.
            pub const ALL: [CellKind; COUNT] = [$(CellKind::$kind),*];
        }
    };
}

cell_kinds! {
    /// `h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnTanh = "rnn_tanh" {
        family: Rnn, variant: "tanh", gates: [], cell_state: false, per_unit: [],
        torch_differs: None, body: Body::Rnn(RnnAct::Tanh),
    }
    /// `h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnRelu = "rnn_relu" {
        family: Rnn, variant: "relu", gates: [], cell_state: false, per_unit: [],
        torch_differs: None, body: Body::Rnn(RnnAct::Relu),
    }
    /// `h_t = h_{t-1} + tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
    RnnResidual = "rnn_residual" {
        family: Rnn, variant: "residual", gates: [], cell_state: false, per_unit: [],
        torch_differs: Some("computes h_t = h_{t-1} + tanh(...); nn.RNN has no residual form"),
        body: Body::Rnn(RnnAct::Residual),
    }
    /// Leaky unit, learned rate: `h_t = s * h_{t-1} + (1 - s) * tanh(...)`, `s = sigma(leak)`.
    RnnLeaky = "rnn_leaky" {
        family: Rnn, variant: "leaky", gates: [], cell_state: false, per_unit: ["leak"],
        torch_differs: Some("integrates leakily, h_t = s * h_{t-1} + (1 - s) * tanh(...); nn.RNN has no leak"),
        body: Body::Rnn(RnnAct::Leaky),
    }
    /// Leaky unit, fixed rate: `h_t = a * h_{t-1} + (1 - a) * tanh(...)`, `a` a constant.
    RnnLeakyFixed = "rnn_leaky_fixed" {
        family: Rnn, variant: "leaky_fixed", gates: [], cell_state: false, per_unit: ["leak_a"],
        torch_differs: Some("integrates leakily with fixed rates a; nn.RNN has no leak"),
        body: Body::Rnn(RnnAct::LeakyFixed),
    }
    /// PyTorch's GRU: `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`.
    Gru = "gru" {
        family: Gru, variant: "reset_after", gates: ["r", "z", "n"], cell_state: false,
        per_unit: [], torch_differs: None, body: Body::GruResetAfter,
    }
    /// The textbook GRU: `n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)`.
    GruResetBefore = "gru_reset_before" {
        family: Gru, variant: "reset_before", gates: ["r", "z", "n"], cell_state: false,
        per_unit: [],
        torch_differs: Some(
            "applies the reset gate before the hidden matmul, W_hn (r * h); nn.GRU applies it \
             after, r * (W_hn h + b_hn)"
        ),
        body: Body::GruResetBefore,
    }
    /// PyTorch's LSTM.
    Lstm = "lstm" {
        family: Lstm, variant: "standard", gates: ["i", "f", "g", "o"], cell_state: true,
        per_unit: [], torch_differs: None, body: Body::Lstm(LstmVariant::Standard),
    }
    /// LSTM with diagonal peepholes; the output gate sees the new cell.
    LstmPeephole = "lstm_peephole" {
        family: Lstm, variant: "peephole", gates: ["i", "f", "g", "o"], cell_state: true,
        per_unit: ["peephole_i", "peephole_f", "peephole_o"],
        torch_differs: Some("has peephole weights; nn.LSTM has none"),
        body: Body::Lstm(LstmVariant::Peephole),
    }
    /// Coupled input-forget gate: `f = 1 - i`, no forget rows.
    LstmCifg = "lstm_cifg" {
        family: Lstm, variant: "cifg", gates: ["i", "g", "o"], cell_state: true, per_unit: [],
        torch_differs: Some(
            "couples the forget gate to the input gate (f = 1 - i, 3 gate blocks); nn.LSTM has 4"
        ),
        body: Body::Lstm(LstmVariant::Cifg),
    }
    /// No forget gate: `c_t = c_{t-1} + i * g`.
    LstmNoForget = "lstm_no_forget" {
        family: Lstm, variant: "no_forget", gates: ["i", "g", "o"], cell_state: true,
        per_unit: [], torch_differs: Some("has no forget gate (3 gate blocks); nn.LSTM has 4"),
        body: Body::Lstm(LstmVariant::NoForget),
    }
}

impl CellKind {
    /// Its row: every fact about it.
    pub fn row(self) -> &'static CellKindRow {
        &ROWS[self as usize]
    }

    /// Number of gate blocks G: the weight matrices have `G * H` rows.
    pub fn gates(self) -> usize {
        self.row().gates.len().max(1)
    }

    /// Names of the H-row blocks of the weights, in storage order, as the fixtures write them.
    /// Empty for the plain RNNs, whose single block has no gate name (`gates()` is still 1).
    pub fn gate_order(self) -> &'static [&'static str] {
        self.row().gates
    }

    /// The block of the gate named `gate` (e.g. `"f"`), if the kind has one.
    pub fn gate_block(self, gate: &str) -> Option<usize> {
        self.row().gates.iter().position(|g| *g == gate)
    }

    /// Whether the cell carries a memory cell `c` besides `h` (the LSTM family).
    pub fn has_cell_state(self) -> bool {
        self.row().cell_state
    }

    /// Number of extra `[H]` parameter vectors per layer and direction (3 peepholes, or 0).
    pub fn peepholes(self) -> usize {
        self.row().per_unit.len()
    }

    /// The canonical id, e.g. `"gru_reset_before"`.
    pub fn name(self) -> &'static str {
        self.row().id
    }

    /// The kind whose id is `name` (the inverse of [`CellKind::name`]).
    pub fn from_name(name: &str) -> CoreResult<CellKind> {
        CellKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                CoreError::new(
                    "CellKind::from_name",
                    "name",
                    format_args!("one of {KindIds}"),
                    format_args!("{name:?}"),
                )
            })
    }
}

/// Every id, comma-separated (for error messages; written without allocating).
#[derive(Debug, Clone, Copy)]
pub struct KindIds;

impl std::fmt::Display for KindIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, k) in CellKind::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(k.name())?;
        }
        Ok(())
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

    #[test]
    fn rows_are_consistent() {
        let mut ids = std::collections::HashSet::new();
        for (i, k) in CellKind::ALL.into_iter().enumerate() {
            let row = k.row();
            assert_eq!(row.kind, k);
            assert_eq!(k as usize, i);
            assert!(ids.insert(row.id), "{} twice", row.id);
            // The family's cell equations decide the state and the body.
            let body_family = match row.body {
                Body::Rnn(_) => Family::Rnn,
                Body::GruResetAfter | Body::GruResetBefore => Family::Gru,
                Body::Lstm(_) => Family::Lstm,
            };
            assert_eq!(body_family, row.family, "{}", row.id);
            assert_eq!(row.cell_state, row.family == Family::Lstm, "{}", row.id);
            if let Body::Lstm(v) = row.body {
                for g in ["i", "g", "o"] {
                    assert!(k.gate_block(g).is_some(), "{}: gate {g}", row.id);
                }
                // The bodies with a forget gate read its block.
                let has_f = matches!(v, LstmVariant::Standard | LstmVariant::Peephole);
                assert_eq!(k.gate_block("f").is_some(), has_f, "{}: gate f", row.id);
            }
            // One variant per id within a family: the user-facing spellings are unique.
            let same = CellKind::ALL
                .into_iter()
                .filter(|o| o.row().family == row.family && o.row().variant == row.variant)
                .count();
            assert_eq!(same, 1, "{}", row.id);
        }
    }
}
