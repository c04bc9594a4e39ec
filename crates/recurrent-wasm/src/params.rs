//! Parameter groups behind one handle, so that the gradient norm and the optimiser step of a
//! whole model are one call each, whatever the number of groups (embedding, each recurrent
//! layer, dense weight and bias, ...). A set holds the buffer handles of its groups, not the
//! buffers: each call resolves them, so a group whose buffer was freed (a disposed model) makes
//! the call a `StaleHandle` error that writes nothing, never a write into reused memory.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use recurrent_core::mem;
use recurrent_core::train::{self, OptimGroup, StepOutcome, Update};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::js_input::{f64s, u32s};
use crate::registry::{Handle, Registry};
use crate::taken::Taken;

/// One group: parameters, their gradient, up to two optimiser state buffers (0: none), and
/// its frozen element ranges (`frozen[frozen_at]` of its set).
#[derive(Debug, Clone, Copy)]
struct Group {
    value: Handle,
    grad: Handle,
    state: [Handle; 2],
    frozen_at: (usize, usize),
}

/// The groups of a set, in order (the order of the norm's sum and of the step), and the
/// element ranges of each that no step changes, group after group.
pub struct ParamSet {
    groups: Vec<Group>,
    frozen: Vec<Range<usize>>,
}

thread_local! {
    static SETS: RefCell<Registry<ParamSet>> = const { RefCell::new(Registry::new("parameter set")) };
}

/// Touches this module's thread-local (see `setup::engine_prepare`).
pub(crate) fn prepare_thread() {
    SETS.with(|_| ());
}

/// Makes a set of parameter groups: group `i` is the buffer `values[i]` (parameters) with
/// `grads[i]` (their gradient) and, when given, the optimiser's state buffers `state0[i]`,
/// `state1[i]` (each a `Float64Array` of handles; an empty array: no such state). Every buffer
/// must be live, a group's buffers as long as each other, and no buffer may appear twice.
///
/// `frozen` (a `Uint32Array` of triples `group, start, end`) lists element ranges no optimiser
/// step changes, parameters or state (constants sharing a group's buffer): the triples of a
/// group together, groups in increasing order, and each group's ranges non-empty, in
/// increasing order, not overlapping and within its buffer.
#[wasm_bindgen]
pub fn param_set_create(
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] values: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] grads: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] state0: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float64Array")] state1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] frozen: JsValue,
) -> Result<Handle, JsError> {
    const OP: &str = "param_set_create";
    let triples = u32s(OP, "frozen", &frozen)?;
    let values = f64s(OP, "values", &values)?;
    let grads = f64s(OP, "grads", &grads)?;
    let state = [f64s(OP, "state0", &state0)?, f64s(OP, "state1", &state1)?];
    let n = values.len();
    for (arg, len) in [
        ("grads", grads.len()),
        ("state0", state[0].len()),
        ("state1", state[1].len()),
    ] {
        if len != n && !(arg != "grads" && len == 0) {
            return Err(abi_error(
                Kind::InvalidArgument,
                format_args!(
                    "{OP}: argument `{arg}` expected {n} handles (one per group), got {len}"
                ),
            ));
        }
    }
    let (frozen, spans) = frozen_ranges(OP, &triples, n)?;
    let mut groups = mem::with_capacity(OP, "the parameter set", n).map_err(from_core)?;
    for i in 0..n {
        let slot = |k: usize| state[k].get(i).copied().unwrap_or(0.0);
        groups.push(Group {
            value: values[i],
            grad: grads[i],
            state: [slot(0), slot(1)],
            frozen_at: spans[i],
        });
    }
    check_groups(OP, &groups, &frozen)?;
    SETS.with_borrow_mut(|r| r.insert(ParamSet { groups, frozen }))
}

/// The ranges of the `frozen` triples (`group, start, end`) and, per group of `n`, where its
/// ranges are in them. Fails unless the length is a multiple of 3, every group is below `n`
/// and the groups come in increasing order (the ranges themselves are checked against their
/// buffers in `check_groups`).
#[allow(clippy::type_complexity)]
fn frozen_ranges(
    op: &'static str,
    triples: &[u32],
    n: usize,
) -> Result<(Vec<Range<usize>>, Vec<(usize, usize)>), JsError> {
    let bad = |what: fmt::Arguments<'_>| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("{op}: argument `frozen` expected triples (group, start, end) {what}"),
        )
    };
    if triples.len() % 3 != 0 {
        return Err(bad(format_args!(
            "(a length that is a multiple of 3), got {} numbers",
            triples.len()
        )));
    }
    let mut ranges =
        mem::with_capacity(op, "the frozen ranges", triples.len() / 3).map_err(from_core)?;
    let mut spans = mem::zeros(op, "the frozen ranges", n).map_err(from_core)?;
    let mut last = 0usize;
    for (k, t) in triples.chunks_exact(3).enumerate() {
        let group = t[0] as usize;
        if group >= n || group < last {
            return Err(bad(format_args!(
                "with groups below {n} (the number of groups) in increasing order, got group {group} in triple {k} after group {last}"
            )));
        }
        if k == 0 || group != last {
            spans[group] = (k, k);
        }
        spans[group].1 = k + 1;
        last = group;
        ranges.push(t[1] as usize..t[2] as usize);
    }
    Ok((ranges, spans))
}

/// Fails unless every buffer is live, each group's buffers have one length, and no handle
/// appears twice (a buffer updated twice, or read as a gradient while written).
/// Fails as well unless each group's frozen ranges are sorted, non-empty, non-overlapping and
/// within its buffer.
fn check_groups(
    op: &'static str,
    groups: &[Group],
    frozen: &[Range<usize>],
) -> Result<(), JsError> {
    let mut all =
        mem::with_capacity(op, "the parameter set", groups.len() * 4).map_err(from_core)?;
    with_buffers(|reg| {
        for (i, g) in groups.iter().enumerate() {
            let len = reg.get(g.value)?.len();
            let (a, b) = g.frozen_at;
            train::check_frozen(op, "frozen", i, &frozen[a..b], len).map_err(from_core)?;
            for (what, h) in [
                ("grads", g.grad),
                ("state0", g.state[0]),
                ("state1", g.state[1]),
            ] {
                if h == 0.0 && what != "grads" {
                    continue;
                }
                let other = reg.get(h)?.len();
                if other != len {
                    return Err(abi_error(
                        Kind::InvalidArgument,
                        format_args!(
                            "{op}: argument `{what}` of group {i} expected a buffer of {len} floats (as its values), got {other}"
                        ),
                    ));
                }
            }
        }
        Ok(())
    })?;
    for g in groups {
        all.extend(
            [g.value, g.grad, g.state[0], g.state[1]]
                .into_iter()
                .filter(|&h| h != 0.0),
        );
    }
    all.sort_by(f64::total_cmp);
    if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
        return Err(abi_error(
            Kind::InvalidArgument,
            format_args!(
                "{op}: buffer handle {} appears twice; every buffer of a set must be distinct",
                w[0]
            ),
        ));
    }
    Ok(())
}

/// Frees a set (not its buffers).
#[wasm_bindgen]
pub fn param_set_free(handle: Handle) -> Result<(), JsError> {
    SETS.with_borrow_mut(|r| r.remove(handle).map(drop))
}

/// A copy of the set's groups (allocated fallibly), so no registry is borrowed while buffers
/// are taken out.
fn groups_of(op: &'static str, handle: Handle) -> Result<Vec<Group>, JsError> {
    SETS.with_borrow(|r| {
        let set = r.get(handle)?;
        mem::copy_of(op, "the parameter set", &set.groups).map_err(from_core)
    })
}

/// A copy of the set's frozen ranges (allocated fallibly), for the same reason.
fn frozen_of(op: &'static str, handle: Handle) -> Result<Vec<Range<usize>>, JsError> {
    SETS.with_borrow(|r| {
        let set = r.get(handle)?;
        let mut out =
            mem::with_capacity(op, "the frozen ranges", set.frozen.len()).map_err(from_core)?;
        out.extend(set.frozen.iter().cloned());
        Ok(out)
    })
}

/// The sum of squares of every gradient of the set, in f64, group by group in order (for the
/// global gradient norm of clipping: `sqrt` of it).
#[wasm_bindgen]
pub fn param_set_grad_sum_squares(handle: Handle) -> Result<f64, JsError> {
    let groups = groups_of("param_set_grad_sum_squares", handle)?;
    with_buffers(|reg| {
        let mut sum = 0.0;
        for g in &groups {
            sum += train::sum_squares(reg.get(g.grad)?);
        }
        Ok(sum)
    })
}

/// One SGD step (with momentum when `momentum` > 0, the velocity in each group's `state0`)
/// over every group of the set, or over none: returns -1 when applied, or the index of the
/// first group the step would have left with a non-finite parameter or velocity (then nothing
/// was written). `step` counts from 1; `grad_scale` multiplies the gradients (clipping).
#[wasm_bindgen]
pub fn optim_step_sgd(
    set: Handle,
    step: u32,
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    grad_scale: f32,
) -> Result<i32, JsError> {
    let update = Update::Sgd {
        lr,
        momentum,
        dampening,
        nesterov,
        weight_decay,
    };
    step_set("optim_step_sgd", set, &update, step, grad_scale)
}

/// One Adam (`decoupled` false) or AdamW (`decoupled` true) step over every group of the set
/// (`m` in `state0`, `v` in `state1`), or over none: returns as `optim_step_sgd`.
#[wasm_bindgen]
pub fn optim_step_adam(
    set: Handle,
    step: u32,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    grad_scale: f32,
    decoupled: bool,
) -> Result<i32, JsError> {
    let update = Update::Adam {
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        decoupled,
    };
    step_set("optim_step_adam", set, &update, step, grad_scale)
}

/// The buffers a step writes, taken out of the registry for the call.
struct Written {
    value: Taken,
    state: [Option<Taken>; 2],
}

fn step_set(
    op: &'static str,
    set: Handle,
    update: &Update,
    step: u32,
    grad_scale: f32,
) -> Result<i32, JsError> {
    let groups = groups_of(op, set)?;
    let frozen = frozen_of(op, set)?;
    let mut written: Vec<Written> =
        mem::with_capacity(op, "the parameter set", groups.len()).map_err(from_core)?;
    for g in &groups {
        written.push(Written {
            value: Taken::take(g.value)?,
            state: [Taken::take_opt(g.state[0])?, Taken::take_opt(g.state[1])?],
        });
    }
    with_buffers(|reg| {
        let mut list: Vec<OptimGroup<'_>> =
            mem::with_capacity(op, "the parameter set", groups.len()).map_err(from_core)?;
        for (g, w) in groups.iter().zip(written.iter_mut()) {
            let Written {
                value,
                state: [s0, s1],
            } = w;
            list.push(OptimGroup {
                params: value.data(),
                grads: reg.get(g.grad)?,
                state: [
                    s0.as_mut().map_or(Default::default(), Taken::data),
                    s1.as_mut().map_or(Default::default(), Taken::data),
                ],
                frozen: &frozen[g.frozen_at.0..g.frozen_at.1],
            });
        }
        let outcome = train::step_groups(&mut list, update, u64::from(step), grad_scale)
            .map_err(from_core)?;
        Ok(match outcome {
            StepOutcome::Applied => -1,
            StepOutcome::NonFinite { group } => group as i32,
        })
    })
}
