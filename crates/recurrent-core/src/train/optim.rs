//! Optimiser steps, in place over one parameter buffer, its gradient and its state buffers,
//! with exactly the update rules of `torch.optim` (single-tensor implementation, PyTorch
//! 1.13 - 2.x, `maximize = False`, `amsgrad = False`).
//!
//! Common rules:
//!
//! * `grad_scale` multiplies the gradient before anything else, `g = grad * grad_scale` in
//!   `f32`: pass the clipping factor ([`clip_coefficient`](super::clip_coefficient)) here
//!   instead of rescaling the gradients first (same numbers as PyTorch's in-place
//!   `clip_grad_norm_`, one pass fewer). 1 leaves the gradient as it is.
//! * hyperparameters are `f64` (JavaScript numbers, Python floats); derived constants
//!   (`1 - beta1`, bias corrections, `lr / bc1`, ...) are computed in `f64` as PyTorch's
//!   Python code does, then rounded to `f32` once; the element-wise arithmetic is `f32`, in
//!   PyTorch's order of operations.
//! * `step` counts updates from 1 (the first call passes 1); it replaces PyTorch's per-state
//!   `step` counter and "buffer is None" test.
//! * invalid hyperparameters are refused as `torch.optim` refuses them (negative `lr`,
//!   `momentum`, `weight_decay`, `eps`; betas outside `[0, 1)`; Nesterov without momentum or
//!   with dampening), as are non-finite ones, `step = 0`, and state or gradient buffers whose
//!   length differs from `params`. Nothing is written on error.
//! * the gradients are not checked for NaN: check [`all_finite`](super::all_finite) (or the
//!   global norm) first if steps with overflowed gradients must be skipped; or step with
//!   [`step_groups`], which updates nothing when any new value would not be finite.
//!
//! Each rule is one element function ([`Rule::next`]), so the single-buffer steps and the
//! guarded multi-group step ([`step_groups`]) perform the same arithmetic.

use super::check;
use super::optim_groups::Update;
use super::optim_rules::AnyRule;
use crate::error::{CoreError, CoreResult};

const INF: f64 = f64::INFINITY;

/// Checks a learning rate (finite, `>= 0`) and a weight decay (finite, `>= 0`).
pub(super) fn check_lr_wd(
    op: &'static str,
    lr: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<()> {
    check::scalar_in(op, "lr", lr, 0.0, INF, true)?;
    check::scalar_in(op, "weight_decay", weight_decay, 0.0, INF, true)?;
    check::finite(op, "grad_scale", f64::from(grad_scale))
}

/// Checks that a gradient or state buffer has as many elements as `params`.
pub(super) fn check_same(
    op: &'static str,
    arg: &'static str,
    len: usize,
    params: usize,
) -> CoreResult<()> {
    check::exact(op, arg, len, params)
}

/// Fails unless `step >= 1`.
pub(super) fn check_step(op: &'static str, step: u64) -> CoreResult<()> {
    if step == 0 {
        return Err(CoreError::new(
            op,
            "step",
            "at least 1 (steps count from 1)",
            "0",
        ));
    }
    Ok(())
}

/// Plain SGD (`torch.optim.SGD` with `momentum = 0`):
///
/// ```text
/// g = grad * grad_scale
/// if weight_decay != 0: g = g + weight_decay * p
/// p = p - lr * g
/// ```
pub fn sgd(
    params: &mut [f32],
    grads: &[f32],
    lr: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<()> {
    let update = Update::Sgd {
        lr,
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay,
    };
    let state = [("", &mut [][..]), ("", &mut [][..])];
    step_one("train::sgd", &update, 1, grad_scale, params, grads, state)
}

/// SGD with momentum (`torch.optim.SGD`), velocity buffer `velocity` (PyTorch's
/// `momentum_buffer`):
///
/// ```text
/// g = grad * grad_scale
/// if weight_decay != 0: g = g + weight_decay * p
/// buf = g                                       on step 1 (velocity's contents are ignored)
/// buf = momentum * buf + (1 - dampening) * g    on later steps
/// g = g + momentum * buf   if nesterov,   g = buf   otherwise
/// p = p - lr * g
/// ```
///
/// `momentum = 0` is plain [`sgd`] (the velocity is left alone), as in PyTorch. `nesterov`
/// needs `momentum > 0` and `dampening = 0`.
pub fn sgd_momentum(
    params: &mut [f32],
    grads: &[f32],
    velocity: &mut [f32],
    step: u64,
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<()> {
    let update = Update::Sgd {
        lr,
        momentum,
        dampening,
        nesterov,
        weight_decay,
    };
    let state = [("velocity", velocity), ("", &mut [][..])];
    step_one(
        "train::sgd_momentum",
        &update,
        step,
        grad_scale,
        params,
        grads,
        state,
    )
}

/// Adam (`torch.optim.Adam`, `weight_decay` as L2 added to the gradient) with first and
/// second moment buffers `m`, `v` (PyTorch's `exp_avg`, `exp_avg_sq`), which must be zero
/// before step 1:
///
/// ```text
/// g = grad * grad_scale
/// if weight_decay != 0: g = g + weight_decay * p
/// m = beta1 * m + (1 - beta1) * g
/// v = beta2 * v + (1 - beta2) * g * g
/// bc1 = 1 - beta1^step,  bc2 = 1 - beta2^step
/// denom = sqrt(v) / sqrt(bc2) + eps
/// p = p - (lr / bc1) * m / denom
/// ```
pub fn adam(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    step: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<()> {
    let update = Update::Adam {
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled: false,
    };
    let state = [("m", m), ("v", v)];
    step_one(
        "train::adam",
        &update,
        step,
        grad_scale,
        params,
        grads,
        state,
    )
}

/// AdamW (`torch.optim.AdamW`, decoupled weight decay): the parameter is first shrunk by
/// `1 - lr * weight_decay`, then updated as [`adam`] without L2 term:
///
/// ```text
/// g = grad * grad_scale
/// p = p * (1 - lr * weight_decay)
/// m, v, denom, p as in adam
/// ```
///
/// (PyTorch's default `weight_decay` for AdamW is 0.01.)
pub fn adamw(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    step: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<()> {
    let update = Update::Adam {
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled: true,
    };
    let state = [("m", m), ("v", v)];
    step_one(
        "train::adamw",
        &update,
        step,
        grad_scale,
        params,
        grads,
        state,
    )
}

/// The single-buffer steps' common part: checks the gradient and the named state slots (a
/// slot named "" is unused) against `params`, then applies the rule, unguarded.
fn step_one(
    op: &'static str,
    update: &Update,
    step: u64,
    grad_scale: f32,
    params: &mut [f32],
    grads: &[f32],
    [(n0, s0), (n1, s1)]: [(&'static str, &mut [f32]); 2],
) -> CoreResult<()> {
    check_same(op, "grads", grads.len(), params.len())?;
    for (name, slot) in [(n0, &*s0), (n1, &*s1)] {
        if !name.is_empty() {
            check_same(op, name, slot.len(), params.len())?;
        }
    }
    AnyRule::new(op, update, step, grad_scale)?.write(params, grads, [s0, s1]);
    Ok(())
}
