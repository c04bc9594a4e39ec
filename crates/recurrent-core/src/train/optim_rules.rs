//! The optimisers' update rules as element functions: `(p, g, state) -> (p', state')` in `f32`,
//! in PyTorch's order of operations (see `optim` for the rules themselves). Both the
//! single-buffer steps and the guarded multi-group step (`optim_groups`) run these, so a value
//! checked before writing is the value written.

use super::check;
use super::optim::{check_lr_wd, check_step};
use super::optim_groups::Update;
use crate::error::{CoreError, CoreResult};

/// One update rule: how an element and its state (up to two slots) change.
trait Rule {
    /// State slots per element: 0 (SGD), 1 (velocity), 2 (Adam's m and v).
    const SLOTS: usize;
    /// The new parameter and state of one element whose gradient is `g` (unscaled).
    fn next(&self, p: f32, g: f32, s: [f32; 2]) -> (f32, [f32; 2]);
}

/// What every rule does to the gradient first: scale it (clipping), then add L2 weight decay.
struct Grad {
    wd: f32,
    decay: bool,
    grad_scale: f32,
}

impl Grad {
    fn new(weight_decay: f64, grad_scale: f32) -> Self {
        Self {
            wd: weight_decay as f32,
            decay: weight_decay != 0.0,
            grad_scale,
        }
    }

    /// `g * grad_scale`, plus `weight_decay * p` when the decay is not 0.
    #[inline(always)]
    fn of(&self, p: f32, g: f32) -> f32 {
        let mut g = g * self.grad_scale;
        if self.decay {
            g += self.wd * p;
        }
        g
    }
}

/// Plain SGD.
struct Sgd {
    neg_lr: f32,
    grad: Grad,
}

impl Rule for Sgd {
    const SLOTS: usize = 0;
    #[inline(always)]
    fn next(&self, p: f32, g: f32, s: [f32; 2]) -> (f32, [f32; 2]) {
        (p + self.neg_lr * self.grad.of(p, g), s)
    }
}

/// SGD with momentum (velocity in slot 0).
struct Momentum {
    neg_lr: f32,
    grad: Grad,
    momentum: f32,
    keep: f32,
    first: bool,
    nesterov: bool,
}

impl Rule for Momentum {
    const SLOTS: usize = 1;
    #[inline(always)]
    fn next(&self, p: f32, g: f32, s: [f32; 2]) -> (f32, [f32; 2]) {
        let g = self.grad.of(p, g);
        // Step 1 starts the velocity at g (its old contents are ignored), as PyTorch does.
        let buf = if self.first {
            g
        } else {
            s[0] * self.momentum + self.keep * g
        };
        let d = if self.nesterov {
            g + self.momentum * buf
        } else {
            buf
        };
        (p + self.neg_lr * d, [buf, s[1]])
    }
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

impl AdamConsts {
    /// Derives Adam's constants from validated hyperparameters.
    fn new(step: u64, lr: f64, beta1: f64, beta2: f64, eps: f64) -> Self {
        let t = step as f64;
        let bc1 = 1.0 - beta1.powf(t);
        let bc2 = 1.0 - beta2.powf(t);
        Self {
            beta1: beta1 as f32,
            one_minus_beta1: (1.0 - beta1) as f32,
            beta2: beta2 as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            neg_step_size: (-(lr / bc1)) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
            eps: eps as f32,
        }
    }
}

/// Adam (L2 weight decay added to the gradient) or AdamW (decoupled: the parameter shrunk by
/// `1 - lr * weight_decay` first, and no L2 term in `grad`); m in slot 0, v in slot 1.
struct Adam {
    c: AdamConsts,
    grad: Grad,
    shrink: Option<f32>,
}

impl Rule for Adam {
    const SLOTS: usize = 2;
    #[inline(always)]
    fn next(&self, p: f32, g: f32, s: [f32; 2]) -> (f32, [f32; 2]) {
        let c = &self.c;
        let p = match self.shrink {
            Some(shrink) => p * shrink,
            None => p,
        };
        let g = self.grad.of(p, g);
        let m = s[0] * c.beta1 + c.one_minus_beta1 * g;
        let v = s[1] * c.beta2 + c.one_minus_beta2 * g * g;
        let denom = v.sqrt() / c.bc2_sqrt + c.eps;
        (p + c.neg_step_size * m / denom, [m, v])
    }
}

/// The rule of an [`Update`] at one step, validated: what every optimiser step runs.
pub(crate) struct AnyRule(Inner);

enum Inner {
    Sgd(Sgd),
    Momentum(Momentum),
    Adam(Adam),
}

impl AnyRule {
    /// The rule of `update` for step `step` (from 1) with gradients times `grad_scale`; errors
    /// name the hyperparameter at fault (as `torch.optim` refuses them).
    pub fn new(op: &'static str, update: &Update, step: u64, grad_scale: f32) -> CoreResult<Self> {
        let (lr, weight_decay) = match *update {
            Update::Sgd {
                lr, weight_decay, ..
            }
            | Update::Adam {
                lr, weight_decay, ..
            } => (lr, weight_decay),
        };
        // What every rule checks, first and in this order (a call with several bad values
        // names the same one whatever the rule); then each rule checks its own.
        check_step(op, step)?;
        check_lr_wd(op, lr, weight_decay, grad_scale)?;
        let neg_lr = -lr as f32;
        Ok(AnyRule(match *update {
            Update::Sgd {
                momentum,
                dampening,
                nesterov,
                ..
            } => {
                check::scalar_in(op, "momentum", momentum, 0.0, f64::INFINITY, true)?;
                check::finite(op, "dampening", dampening)?;
                if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    return Err(CoreError::new(
                        op,
                        "nesterov",
                        "momentum > 0 and dampening = 0 (Nesterov momentum)",
                        format_args!("momentum {momentum}, dampening {dampening}"),
                    ));
                }
                let grad = Grad::new(weight_decay, grad_scale);
                // `momentum = 0` is plain SGD, and the velocity is left alone (PyTorch).
                if momentum == 0.0 {
                    Inner::Sgd(Sgd { neg_lr, grad })
                } else {
                    Inner::Momentum(Momentum {
                        neg_lr,
                        grad,
                        momentum: momentum as f32,
                        keep: (1.0 - dampening) as f32,
                        first: step == 1,
                        nesterov,
                    })
                }
            }
            Update::Adam {
                beta1,
                beta2,
                eps,
                decoupled,
                ..
            } => {
                check::scalar_in(op, "beta1", beta1, 0.0, 1.0, true)?;
                check::scalar_in(op, "beta2", beta2, 0.0, 1.0, true)?;
                check::scalar_in(op, "eps", eps, 0.0, f64::INFINITY, true)?;
                let c = AdamConsts::new(step, lr, beta1, beta2, eps);
                // AdamW does not add its decay to the gradient: it shrinks the parameter.
                let (grad, shrink) = if decoupled {
                    let shrink = (1.0 - lr * weight_decay) as f32;
                    (Grad::new(0.0, grad_scale), Some(shrink))
                } else {
                    (Grad::new(weight_decay, grad_scale), None)
                };
                Inner::Adam(Adam { c, grad, shrink })
            }
        }))
    }

    /// State slots the rule uses per element.
    pub fn slots(&self) -> usize {
        match self.0 {
            Inner::Sgd(_) => Sgd::SLOTS,
            Inner::Momentum(_) => Momentum::SLOTS,
            Inner::Adam(_) => Adam::SLOTS,
        }
    }

    /// Applies the rule to every element (lengths checked by the caller).
    pub fn write(&self, params: &mut [f32], grads: &[f32], state: [&mut [f32]; 2]) {
        match &self.0 {
            Inner::Sgd(r) => write(r, params, grads, state),
            Inner::Momentum(r) => write(r, params, grads, state),
            Inner::Adam(r) => write(r, params, grads, state),
        }
    }

    /// Whether applying the rule would leave every value finite (nothing written).
    pub fn all_finite_after(&self, params: &[f32], grads: &[f32], state: [&[f32]; 2]) -> bool {
        match &self.0 {
            Inner::Sgd(r) => all_finite_after(r, params, grads, state),
            Inner::Momentum(r) => all_finite_after(r, params, grads, state),
            Inner::Adam(r) => all_finite_after(r, params, grads, state),
        }
    }
}

/// Applies `rule` to every element (lengths checked by the caller: `grads` and the rule's
/// state slots as long as `params`).
fn write<R: Rule>(rule: &R, params: &mut [f32], grads: &[f32], state: [&mut [f32]; 2]) {
    let [s0, s1] = state;
    match R::SLOTS {
        0 => {
            for (p, &g) in params.iter_mut().zip(grads) {
                *p = rule.next(*p, g, [0.0; 2]).0;
            }
        }
        1 => {
            for ((p, &g), a) in params.iter_mut().zip(grads).zip(s0.iter_mut()) {
                let (np, [na, _]) = rule.next(*p, g, [*a, 0.0]);
                (*p, *a) = (np, na);
            }
        }
        _ => {
            let elements = params
                .iter_mut()
                .zip(grads)
                .zip(s0.iter_mut())
                .zip(s1.iter_mut());
            for (((p, &g), a), b) in elements {
                let (np, [na, nb]) = rule.next(*p, g, [*a, *b]);
                (*p, *a, *b) = (np, na, nb);
            }
        }
    }
}

/// 1 when `x` is NaN or infinite (all exponent bits set), else 0: integer operations, so a
/// loop that ORs these vectorises (a float sum would be one long dependency chain).
#[inline(always)]
fn non_finite(x: f32) -> u32 {
    u32::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000)
}

/// Whether applying `rule` would leave every parameter and state value finite. Nothing is
/// written.
fn all_finite_after<R: Rule>(rule: &R, params: &[f32], grads: &[f32], state: [&[f32]; 2]) -> bool {
    let [s0, s1] = state;
    let mut bad = 0u32;
    match R::SLOTS {
        0 => {
            for (&p, &g) in params.iter().zip(grads) {
                bad |= non_finite(rule.next(p, g, [0.0; 2]).0);
            }
        }
        1 => {
            for ((&p, &g), &a) in params.iter().zip(grads).zip(s0) {
                let (np, [na, _]) = rule.next(p, g, [a, 0.0]);
                bad |= non_finite(np) | non_finite(na);
            }
        }
        _ => {
            for (((&p, &g), &a), &b) in params.iter().zip(grads).zip(s0).zip(s1) {
                let (np, [na, nb]) = rule.next(p, g, [a, b]);
                bad |= non_finite(np) | non_finite(na) | non_finite(nb);
            }
        }
    }
    bad == 0
}
