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
//!   global norm) first if steps with overflowed gradients must be skipped.

use super::check;
use crate::error::{CoreError, CoreResult};

const INF: f64 = f64::INFINITY;

/// Checks a learning rate (finite, `>= 0`) and a weight decay (finite, `>= 0`).
fn check_lr_wd(op: &'static str, lr: f64, weight_decay: f64, grad_scale: f32) -> CoreResult<()> {
    check::scalar_in(op, "lr", lr, 0.0, INF, true)?;
    check::scalar_in(op, "weight_decay", weight_decay, 0.0, INF, true)?;
    check::finite(op, "grad_scale", f64::from(grad_scale))
}

/// Checks that a gradient or state buffer has as many elements as `params`.
fn check_same(op: &'static str, arg: &'static str, len: usize, params: usize) -> CoreResult<()> {
    check::exact(op, arg, len, params)
}

/// Fails unless `step >= 1`.
fn check_step(op: &'static str, step: u64) -> CoreResult<()> {
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
    const OP: &str = "train::sgd";
    check_same(OP, "grads", grads.len(), params.len())?;
    check_lr_wd(OP, lr, weight_decay, grad_scale)?;
    let (neg_lr, wd) = (-lr as f32, weight_decay as f32);
    for (p, &g) in params.iter_mut().zip(grads) {
        let mut g = g * grad_scale;
        if weight_decay != 0.0 {
            g += wd * *p;
        }
        *p += neg_lr * g;
    }
    Ok(())
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
    const OP: &str = "train::sgd_momentum";
    check_same(OP, "grads", grads.len(), params.len())?;
    check_same(OP, "velocity", velocity.len(), params.len())?;
    check_step(OP, step)?;
    check_lr_wd(OP, lr, weight_decay, grad_scale)?;
    check::scalar_in(OP, "momentum", momentum, 0.0, INF, true)?;
    check::finite(OP, "dampening", dampening)?;
    if nesterov && (momentum <= 0.0 || dampening != 0.0) {
        return Err(CoreError::new(
            OP,
            "nesterov",
            "momentum > 0 and dampening = 0 (Nesterov momentum)",
            format_args!("momentum {momentum}, dampening {dampening}"),
        ));
    }
    if momentum == 0.0 {
        return sgd(params, grads, lr, weight_decay, grad_scale);
    }
    let (neg_lr, wd, mom, keep) = (
        -lr as f32,
        weight_decay as f32,
        momentum as f32,
        (1.0 - dampening) as f32,
    );
    let first = step == 1;
    for ((p, &g), buf) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
        let mut g = g * grad_scale;
        if weight_decay != 0.0 {
            g += wd * *p;
        }
        *buf = if first { g } else { *buf * mom + keep * g };
        let d = if nesterov { g + mom * *buf } else { *buf };
        *p += neg_lr * d;
    }
    Ok(())
}

/// The constants of one Adam step, computed in `f64` as `torch.optim.Adam` does, rounded once.
struct AdamConsts {
    beta1: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    /// `-lr / (1 - beta1^step)`.
    neg_step_size: f32,
    /// `sqrt(1 - beta2^step)`.
    bc2_sqrt: f32,
    eps: f32,
}

/// Validates Adam's arguments and derives its constants.
fn adam_consts(
    op: &'static str,
    n: usize,
    grads: usize,
    m: usize,
    v: usize,
    step: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> CoreResult<AdamConsts> {
    check_same(op, "grads", grads, n)?;
    check_same(op, "m", m, n)?;
    check_same(op, "v", v, n)?;
    check_step(op, step)?;
    check_lr_wd(op, lr, weight_decay, grad_scale)?;
    check::scalar_in(op, "beta1", beta1, 0.0, 1.0, true)?;
    check::scalar_in(op, "beta2", beta2, 0.0, 1.0, true)?;
    check::scalar_in(op, "eps", eps, 0.0, INF, true)?;
    let t = step as f64;
    let bc1 = 1.0 - beta1.powf(t);
    let bc2 = 1.0 - beta2.powf(t);
    Ok(AdamConsts {
        beta1: beta1 as f32,
        one_minus_beta1: (1.0 - beta1) as f32,
        beta2: beta2 as f32,
        one_minus_beta2: (1.0 - beta2) as f32,
        neg_step_size: (-(lr / bc1)) as f32,
        bc2_sqrt: bc2.sqrt() as f32,
        eps: eps as f32,
    })
}

/// The moment updates and the parameter update shared by Adam and AdamW, for one element
/// whose (scaled, possibly decayed) gradient is `g`.
#[inline]
fn adam_element(c: &AdamConsts, p: &mut f32, m: &mut f32, v: &mut f32, g: f32) {
    *m = *m * c.beta1 + c.one_minus_beta1 * g;
    *v = *v * c.beta2 + c.one_minus_beta2 * g * g;
    let denom = v.sqrt() / c.bc2_sqrt + c.eps;
    *p += c.neg_step_size * *m / denom;
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
    const OP: &str = "train::adam";
    let c = adam_consts(
        OP,
        params.len(),
        grads.len(),
        m.len(),
        v.len(),
        step,
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        grad_scale,
    )?;
    let wd = weight_decay as f32;
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        let mut g = g * grad_scale;
        if weight_decay != 0.0 {
            g += wd * *p;
        }
        adam_element(&c, p, m, v, g);
    }
    Ok(())
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
    const OP: &str = "train::adamw";
    let c = adam_consts(
        OP,
        params.len(),
        grads.len(),
        m.len(),
        v.len(),
        step,
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        grad_scale,
    )?;
    let shrink = (1.0 - lr * weight_decay) as f32;
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        let g = g * grad_scale;
        *p *= shrink;
        adam_element(&c, p, m, v, g);
    }
    Ok(())
}
