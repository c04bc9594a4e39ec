//! One optimiser step over every parameter group of a model, all or nothing: the update is
//! first computed without writing anything, and written only when every new parameter and
//! optimiser state value is finite. A step that would leave a NaN or an infinity (an overflow:
//! a learning rate far too big, a second moment `g^2` beyond `f32`) changes nothing, so the
//! caller can skip the batch or stop with the model as it was, without keeping a copy of the
//! parameters and state.
//!
//! The arithmetic is the single-buffer optimisers' (`optim`), element for element, through the
//! same rule functions; the check pass costs about one more read-only pass over the groups.

use super::optim::check_same;
use super::optim_rules::AnyRule;
use crate::error::CoreResult;

/// One parameter group: parameters, their gradient, and the optimiser's state for them
/// (`state[0]`: the velocity of SGD with momentum or Adam's `m`; `state[1]`: Adam's `v`; a slot
/// the rule does not use may be empty).
#[derive(Debug)]
pub struct OptimGroup<'a> {
    /// Updated in place.
    pub params: &'a mut [f32],
    /// As long as `params`.
    pub grads: &'a [f32],
    /// As long as `params` where the rule uses them.
    pub state: [&'a mut [f32]; 2],
}

/// An update rule and its hyperparameters (the meanings of [`super::sgd`],
/// [`super::sgd_momentum`], [`super::adam`], [`super::adamw`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// SGD, with momentum when `momentum > 0` (velocity in `state[0]`).
    Sgd {
        lr: f64,
        momentum: f64,
        dampening: f64,
        nesterov: bool,
        weight_decay: f64,
    },
    /// Adam (`decoupled = false`, L2 weight decay) or AdamW (`decoupled = true`); `m` in
    /// `state[0]`, `v` in `state[1]`.
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
        decoupled: bool,
    },
}

/// What [`step_groups`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Every group was updated.
    Applied,
    /// Nothing was written: the update would have left a non-finite parameter or state value
    /// in group `group` (the first such group).
    NonFinite { group: usize },
}

/// Applies `update` (step number `step`, counting from 1; gradients times `grad_scale`) to
/// every group, or to none (see the module). Errors (nothing written) for invalid
/// hyperparameters, `step = 0`, or a gradient or used state slot whose length differs from its
/// group's parameters.
pub fn step_groups(
    groups: &mut [OptimGroup<'_>],
    update: &Update,
    step: u64,
    grad_scale: f32,
) -> CoreResult<StepOutcome> {
    const OP: &str = "train::step_groups";
    const SLOT: [&str; 2] = ["state[0]", "state[1]"];
    let rule = AnyRule::new(OP, update, step, grad_scale)?;
    for g in groups.iter() {
        let n = g.params.len();
        check_same(OP, "grads", g.grads.len(), n)?;
        for (slot, name) in g.state.iter().zip(SLOT).take(rule.slots()) {
            check_same(OP, name, slot.len(), n)?;
        }
    }
    for (i, g) in groups.iter().enumerate() {
        let [s0, s1] = &g.state;
        if !rule.all_finite_after(g.params, g.grads, [&**s0, &**s1]) {
            return Ok(StepOutcome::NonFinite { group: i });
        }
    }
    for g in groups.iter_mut() {
        let [s0, s1] = &mut g.state;
        rule.write(g.params, g.grads, [&mut **s0, &mut **s1]);
    }
    Ok(StepOutcome::Applied)
}
