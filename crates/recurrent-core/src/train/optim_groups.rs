//! One optimiser step over every parameter group of a model, all or nothing: the update is
//! first computed without writing anything, and written only when every new parameter and
//! optimiser state value is finite. A step that would leave a NaN or an infinity (an overflow:
//! a learning rate far too big, a second moment `g^2` beyond `f32`) changes nothing, so the
//! caller can skip the batch or stop with the model as it was, without keeping a copy of the
//! parameters and state.
//!
//! The arithmetic is the single-buffer optimisers' (`optim`), element for element, through the
//! same rule functions; the check pass costs about one more read-only pass over the groups.
//!
//! A group may declare frozen element ranges: constants that share the group's buffer (the
//! fixed rates of a leaky RNN, PyTorch's buffers). No rule touches them, neither the
//! parameter nor its optimiser state; the rule runs over the slices between them, and since
//! every rule is element-wise, the other elements get exactly the values of a plain step.

use std::ops::Range;

use super::optim::check_same;
use super::optim_rules::AnyRule;
use crate::error::{CoreError, CoreResult};

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
    /// Element ranges no step changes (parameters and state): sorted, non-empty,
    /// non-overlapping, within `params` (see [`check_frozen`]). Usually empty.
    pub frozen: &'a [Range<usize>],
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

/// Fails unless `frozen` (argument `arg` of `op`) lists non-empty ranges within `0..len`, in
/// increasing order and without overlap; `group` names the group in the error.
pub fn check_frozen(
    op: &'static str,
    arg: &'static str,
    group: usize,
    frozen: &[Range<usize>],
    len: usize,
) -> CoreResult<()> {
    let mut end = 0;
    for (i, r) in frozen.iter().enumerate() {
        let expected = if r.start >= r.end {
            "non-empty ranges (start < end)"
        } else if r.end > len {
            "ranges within the group's parameters"
        } else if r.start < end {
            "ranges in increasing order, not overlapping"
        } else {
            end = r.end;
            continue;
        };
        return Err(CoreError::new(
            op,
            arg,
            expected,
            format_args!(
                "range {i} of group {group}: {}..{} (group of {len} elements, previous range ending at {end})",
                r.start, r.end
            ),
        ));
    }
    Ok(())
}

/// The element ranges of a group of `len` elements outside `frozen` (checked), in order.
fn free_spans(frozen: &[Range<usize>], len: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let starts = std::iter::once(0).chain(frozen.iter().map(|r| r.end));
    let ends = frozen.iter().map(|r| r.start).chain(std::iter::once(len));
    starts
        .zip(ends)
        .map(|(a, b)| a..b)
        .filter(|r| !r.is_empty())
}

/// `s[r]`, or nothing for a state slot the rule does not use (empty; lengths of used slots are
/// checked before).
fn part(s: &[f32], r: Range<usize>) -> &[f32] {
    s.get(r).unwrap_or_default()
}

/// `part`, writable.
fn part_mut(s: &mut [f32], r: Range<usize>) -> &mut [f32] {
    s.get_mut(r).unwrap_or_default()
}

/// Applies `update` (step number `step`, counting from 1; gradients times `grad_scale`) to
/// every group, or to none (see the module), leaving each group's frozen ranges as they are.
/// Errors (nothing written) for invalid hyperparameters, `step = 0`, a gradient or used state
/// slot whose length differs from its group's parameters, or frozen ranges that are not
/// sorted, non-empty, non-overlapping and within the group.
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
        check_frozen(OP, "frozen", i, g.frozen, g.params.len())?;
    }
    for (i, g) in groups.iter().enumerate() {
        let [s0, s1] = &g.state;
        for r in free_spans(g.frozen, g.params.len()) {
            let state = [part(s0, r.clone()), part(s1, r.clone())];
            if !rule.all_finite_after(&g.params[r.clone()], &g.grads[r], state) {
                return Ok(StepOutcome::NonFinite { group: i });
            }
        }
    }
    for g in groups.iter_mut() {
        let [s0, s1] = &mut g.state;
        for r in free_spans(g.frozen, g.params.len()) {
            let state = [part_mut(s0, r.clone()), part_mut(s1, r.clone())];
            rule.write(&mut g.params[r.clone()], &g.grads[r], state);
        }
    }
    Ok(StepOutcome::Applied)
}
