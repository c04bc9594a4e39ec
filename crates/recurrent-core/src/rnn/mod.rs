//! Recurrent stacks (RNN, GRU, LSTM and variants): forward over a whole sequence, BPTT, and
//! a streaming step, for all layers and both directions in one call each.
//!
//! Conventions (PyTorch's, so weights load directly):
//!
//! * gate orders: GRU `r, z, n` (reset applied after the hidden matmul unless
//!   [`CellKind::GruResetBefore`]); LSTM `i, f, g, o`; the coupled (CIFG) and no-forget LSTMs
//!   `i, g, o`; the plain RNN has one block. Gates use the logistic sigmoid, never a hard one.
//! * parameters live in one flat buffer in PyTorch's `param_names` order ([`ParamLayout`]);
//!   gradients use the same layout.
//! * states `h0`, `c0`, `h_n`, `c_n` are `[L*D, B, H]`, index `l*D + d`; the output `y` is
//!   `[.., D*H]` with the forward direction's state first.
//! * variable lengths follow `pack_padded_sequence`: padded outputs are zero, states stop at
//!   each sequence's own last step, the reverse direction starts there, padded inputs are
//!   ignored.
//!
//! How the work is cut (the cuDNN recipe): per layer and direction, one GEMM projects the
//! inputs of all steps; each step runs one recurrent GEMM and one fused element-wise pass
//! (`cells`); backward runs the fused element-wise backward and one GEMM for `dh_{t-1}` per
//! step, and leaves the weight gradients to big GEMMs after the time loop (`grads`).

mod act;
mod advance;
pub mod attention;
mod backward;
mod cells;
mod check;
mod checkpoint;
mod diagnostics;
mod dir_pair;
mod direction;
mod dropout;
mod forward;
mod grads;
mod kind;
mod params;
mod rows;
mod seq;
mod skip;
mod spec;
mod step_back;
mod stream;
mod tape;
mod weight_gemm;

pub use backward::{
    backward, backward_recomputing, backward_with_diagnostics, SeqGradInput, SeqGradOutput,
};
pub use diagnostics::SeqGradDiagnostics;
pub use dropout::Dropout;
pub use forward::{forward_infer, forward_train, forward_train_masked, SeqInput, SeqOutput};
pub use kind::{CellKind, CellKindRow, Family, KindIds};
pub use params::{ParamLayout, ParamRole, ParamTensor};
pub use seq::Layout;
pub use spec::{StackSpec, MAX_SKIP};
pub use stream::{step, step_with_history, StepScratch};
pub use tape::{InferScratch, Tape};
