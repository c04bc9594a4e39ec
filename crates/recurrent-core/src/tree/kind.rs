//! The three tree cells, their parameter layout and the size of their tape.

use crate::error::{CoreError, CoreResult};

/// Which tree cell a layer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// `h = tanh(W [h_left; h_right] + b)`; leaves are their input row (`I == H`).
    Rnn,
    /// Child-Sum Tree-LSTM: any number of unordered children, one forget gate per child.
    ChildSumLstm,
    /// N-ary Tree-LSTM, N = 2: ordered child positions, per-position matrices.
    NaryLstm,
}

impl TreeKind {
    /// Every kind, in the order of their ABI codes.
    pub const ALL: [TreeKind; 3] = [TreeKind::Rnn, TreeKind::ChildSumLstm, TreeKind::NaryLstm];

    /// The kind with ABI code `code` (its index in [`TreeKind::ALL`]).
    pub fn from_code(code: u32) -> CoreResult<TreeKind> {
        Self::ALL.get(code as usize).copied().ok_or_else(|| {
            CoreError::new(
                "tree",
                "kind",
                "0 (rnn), 1 (child-sum LSTM) or 2 (N-ary LSTM)",
                format_args!("{code}"),
            )
        })
    }

    /// The family name of the fixtures.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::Rnn => "tree_rnn",
            TreeKind::ChildSumLstm => "child_sum_tree_lstm",
            TreeKind::NaryLstm => "nary_tree_lstm",
        }
    }

    /// Whether nodes carry a cell state `c` besides `h`.
    pub fn has_cell_state(self) -> bool {
        self != TreeKind::Rnn
    }
}

/// A tree layer's kind and sizes; the parameters are one flat slice in the fixtures'
/// `param_names` order: `weight [H, 2H], bias [H]` (rnn) or `weight_ih [4H, I]`,
/// `weight_hh [4H, H]` (child-sum) / `[5H, 2H]` (N-ary), `bias_ih [4H]`, `bias_hh [4H]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeShape {
    /// The cell.
    pub kind: TreeKind,
    /// Input width I (equal to H for [`TreeKind::Rnn`]).
    pub input_size: usize,
    /// State width H.
    pub hidden_size: usize,
}

const OP: &str = "tree";

impl TreeShape {
    /// Checks the sizes: both positive, `I == H` for the tree RNN, parameters addressable.
    pub fn new(kind: TreeKind, input_size: usize, hidden_size: usize) -> CoreResult<Self> {
        if hidden_size == 0 || input_size == 0 {
            return Err(CoreError::new(
                OP,
                "sizes",
                "input and hidden sizes >= 1",
                format_args!("I = {input_size}, H = {hidden_size}"),
            ));
        }
        if kind == TreeKind::Rnn && input_size != hidden_size {
            return Err(CoreError::new(
                OP,
                "input_size",
                "equal to hidden_size for a tree RNN (leaves are their input)",
                format_args!("I = {input_size}, H = {hidden_size}"),
            ));
        }
        let shape = Self {
            kind,
            input_size,
            hidden_size,
        };
        shape.checked_param_len().ok_or_else(|| {
            CoreError::new(
                OP,
                "sizes",
                "parameters that fit in memory",
                format_args!("I = {input_size}, H = {hidden_size}"),
            )
        })?;
        Ok(shape)
    }

    fn checked_param_len(&self) -> Option<usize> {
        let h = self.hidden_size;
        self.param_blocks().iter().try_fold(0usize, |acc, &(r, c)| {
            r.checked_mul(h)?
                .checked_mul(c)
                .and_then(|x| acc.checked_add(x))
        })
    }

    /// `(rows / H, cols)` of each parameter in order (cols in elements; a vector has 1).
    fn param_blocks(&self) -> [(usize, usize); 4] {
        let (i, h) = (self.input_size, self.hidden_size);
        match self.kind {
            TreeKind::Rnn => [(1, 2 * h), (1, 1), (0, 0), (0, 0)],
            TreeKind::ChildSumLstm => [(4, i), (4, h), (4, 1), (4, 1)],
            TreeKind::NaryLstm => [(4, i), (5, 2 * h), (4, 1), (4, 1)],
        }
    }

    /// Element counts of the parameters, in order (two entries for the tree RNN).
    pub fn param_sizes(&self) -> ([usize; 4], usize) {
        let h = self.hidden_size;
        let b = self.param_blocks();
        let sizes = b.map(|(r, c)| r * h * c);
        (sizes, if self.kind == TreeKind::Rnn { 2 } else { 4 })
    }

    /// Total parameter count.
    pub fn param_len(&self) -> usize {
        self.param_sizes().0.iter().sum()
    }

    /// Gate rows of `weight_hh` per node: 4 (child-sum), 5 (N-ary: i, f0, f1, g, o), 1 (rnn).
    pub fn hh_gates(&self) -> usize {
        match self.kind {
            TreeKind::Rnn => 1,
            TreeKind::ChildSumLstm => 4,
            TreeKind::NaryLstm => 5,
        }
    }

    /// Floats per node of the tape a forward pass leaves for the backward pass: `h`, and for
    /// the LSTMs `c`, the gate activations (i, g, o; N-ary: i, f0, f1, g, o) and, for
    /// child-sum, the node's forget gate as its parent's child.
    pub fn tape_width(&self) -> usize {
        let h = self.hidden_size;
        match self.kind {
            TreeKind::Rnn => h,
            TreeKind::ChildSumLstm => 6 * h,
            TreeKind::NaryLstm => 7 * h,
        }
    }

    /// Floats of the tape for `nodes` nodes, or an error when that does not fit in memory.
    pub fn tape_len(&self, nodes: usize) -> CoreResult<usize> {
        nodes
            .checked_mul(self.tape_width())
            .ok_or_else(|| CoreError::out_of_memory(OP, "tape", usize::MAX))
    }
}
