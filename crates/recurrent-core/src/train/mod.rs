//! Everything of a training step after the recurrent layers: the dense output layer, losses
//! with their gradients, embeddings, gradient-norm clipping, optimisers and dropout.
//!
//! Where these sit in one step (docs/ARCHITECTURE.md, "The data path of one training step"):
//!
//! ```text
//! ids --embedding / onehot_project--> rnn forward --y [N, H]--> dense_softmax_xent
//!     (loss, dlogits, dW, db, dy in one call) --dy--> rnn backward --> sum_squares over every
//!     gradient buffer of the model (one call: `step_groups`' caller sums them) -->
//!     clip_coefficient --> step_groups (sgd / momentum / adam / adamw over every group, or
//!     none if a value would be non-finite) with grad_scale = the clipping factor
//! ```
//!
//! Conventions:
//!
//! * matrices are row-major `f32` slices without padding; a dense weight is `[O, In]` as in
//!   PyTorch's `nn.Linear`, so `y = x W^T + b`;
//! * every function checks every size before it writes anything and returns a
//!   [`CoreError`](crate::error::CoreError) naming the op, the argument, what was expected
//!   and what came; no panic is reachable from bad sizes or ids;
//! * weight and bias gradients are always accumulated (`+=`), so several calls (chunks of a
//!   sequence, several losses) add up; input gradients are written or accumulated as the
//!   caller asks ([`GradWrite`]);
//! * results are bit-identical for any thread count: GEMMs go through [`crate::gemm::sgemm`],
//!   row-wise passes are cut into tiles that depend only on the shape, and reductions combine
//!   per-tile partial sums in tile order;
//! * scalar results that are sums (losses, squared norms) are accumulated in `f64`.

mod activation;
mod check;
mod dense;
mod dropout;
mod embedding;
mod grad;
mod layer_norm;
mod mse;
mod norm;
mod optim;
mod optim_groups;
mod optim_rules;
mod rng;
mod softmax_xent;
mod tiles;
mod value_loss;

pub use activation::{
    activation_backward, activation_forward, softmax_rows_backward, softmax_rows_forward,
    Activation,
};
pub use dense::{dense_backward, dense_forward, DenseGrads};
pub use dropout::{dropout_backward, dropout_forward, dropout_in_place};
pub use embedding::{
    embedding_backward, embedding_forward, onehot_project, onehot_project_backward,
};
pub use grad::GradWrite;
pub use layer_norm::{layer_norm_backward, layer_norm_forward};
pub use mse::mse;
pub use norm::{all_finite, clip_coefficient, global_norm, scale, sum_squares};
pub use optim::{adam, adamw, sgd, sgd_momentum};
pub use optim_groups::{check_frozen, step_groups, OptimGroup, StepOutcome, Update};
pub use rng::{counter_hash, counter_uniform, derive_seed};
pub use softmax_xent::{
    dense_logits, dense_softmax_xent, softmax_xent, softmax_xent_loss, Reduction, XentOptions,
    XentStats,
};
pub use value_loss::{value_loss, ValueLoss, ValueLossStats};
