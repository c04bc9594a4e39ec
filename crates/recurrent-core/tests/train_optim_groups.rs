//! `step_groups`: one optimiser step over several parameter groups, all or nothing (issue 13).
//! It computes exactly what the single-buffer optimisers compute, and a step that would leave a
//! non-finite parameter or state value anywhere writes nothing anywhere.

mod common;

use common::bits;

use common::rng::Rng;
use recurrent_core::train::{
    adam, adamw, sgd, sgd_momentum, step_groups, OptimGroup, StepOutcome, Update,
};

/// Three groups of different sizes: parameters, gradients, two state slots each.
#[derive(Debug, Clone, PartialEq)]
struct Groups {
    params: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    s0: Vec<Vec<f32>>,
    s1: Vec<Vec<f32>>,
}

fn groups(seed: u64) -> Groups {
    let mut rng = Rng::new(seed);
    let sizes = [7, 1, 33];
    let mut make = |k: f64| {
        sizes
            .iter()
            .map(|&n| rng.vec_uniform(n, k))
            .collect::<Vec<_>>()
    };
    Groups {
        params: make(1.0),
        grads: make(2.0),
        s0: make(0.5),
        s1: sizes.iter().map(|&n| vec![0.25; n]).collect(),
    }
}

/// The groups as `step_groups` takes them.
fn list(g: &mut Groups) -> Vec<OptimGroup<'_>> {
    g.params
        .iter_mut()
        .zip(&g.grads)
        .zip(g.s0.iter_mut().zip(g.s1.iter_mut()))
        .map(|((params, grads), (a, b))| OptimGroup {
            params,
            grads,
            state: [a, b],
            frozen: &[],
        })
        .collect()
}

fn step(g: &mut Groups, update: &Update, t: u64, scale: f32) -> StepOutcome {
    step_groups(&mut list(g), update, t, scale).expect("valid step")
}

/// The same step through the single-buffer function of the rule, group by group.
fn one_by_one(g: &mut Groups, update: &Update, t: u64, scale: f32) {
    for i in 0..g.params.len() {
        let (p, gr, a, b) = (&mut g.params[i], &g.grads[i], &mut g.s0[i], &mut g.s1[i]);
        match *update {
            Update::Sgd {
                lr,
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } if momentum > 0.0 => sgd_momentum(
                p,
                gr,
                a,
                t,
                lr,
                momentum,
                dampening,
                nesterov,
                weight_decay,
                scale,
            ),
            Update::Sgd {
                lr, weight_decay, ..
            } => sgd(p, gr, lr, weight_decay, scale),
            Update::Adam {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                decoupled,
            } => {
                let f = if decoupled { adamw } else { adam };
                f(p, gr, a, b, t, lr, beta1, beta2, eps, weight_decay, scale)
            }
        }
        .expect("valid step");
    }
}

const fn sgd_rule(momentum: f64, nesterov: bool, weight_decay: f64) -> Update {
    Update::Sgd {
        lr: 0.1,
        momentum,
        dampening: 0.0,
        nesterov,
        weight_decay,
    }
}

const fn adam_rule(weight_decay: f64, decoupled: bool) -> Update {
    Update::Adam {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay,
        decoupled,
    }
}

const RULES: [Update; 7] = [
    sgd_rule(0.0, false, 0.0),
    sgd_rule(0.0, false, 0.01),
    sgd_rule(0.9, false, 0.0),
    sgd_rule(0.9, true, 0.001),
    adam_rule(0.0, false),
    adam_rule(0.01, false),
    adam_rule(0.01, true),
];

#[test]
fn every_rule_computes_what_the_single_buffer_optimisers_compute() {
    for (r, update) in RULES.iter().enumerate() {
        let mut a = groups(r as u64);
        let mut b = a.clone();
        for t in 1..=3 {
            assert_eq!(step(&mut a, update, t, 0.5), StepOutcome::Applied);
            one_by_one(&mut b, update, t, 0.5);
        }
        for (x, y) in a
            .params
            .iter()
            .zip(&b.params)
            .chain(a.s0.iter().zip(&b.s0))
            .chain(a.s1.iter().zip(&b.s1))
        {
            assert_eq!(bits(x), bits(y), "{update:?}");
        }
    }
}

#[test]
fn a_step_that_would_leave_a_non_finite_value_anywhere_writes_nothing() {
    for (r, update) in RULES.iter().enumerate() {
        // Gradients of 1e38 in the last group: SGD's parameters and Adam's g^2 overflow there.
        let mut g = groups(10 + r as u64);
        g.grads[2][5] = 1e38;
        let scale = if matches!(update, Update::Sgd { .. }) {
            1e6
        } else {
            1.0
        };
        let before = g.clone();
        let outcome = step(&mut g, update, 2, scale);
        assert_eq!(outcome, StepOutcome::NonFinite { group: 2 }, "{update:?}");
        assert_eq!(g, before, "{update:?}: nothing written, in any group");
    }
    // A NaN gradient in the first group is caught too, whatever the rule.
    let mut g = groups(20);
    g.grads[0][3] = f32::NAN;
    let before = g.clone();
    assert_eq!(
        step(&mut g, &sgd_rule(0.0, false, 0.0), 1, 1.0),
        StepOutcome::NonFinite { group: 0 }
    );
    assert_eq!(bits(&g.params[1]), bits(&before.params[1]));
}

#[test]
fn bad_arguments_are_errors_and_write_nothing() {
    let mut g = groups(30);
    g.s0[1].clear();
    let before = g.clone();
    let mut list = list(&mut g);
    let err =
        step_groups(&mut list, &sgd_rule(0.9, false, 0.0), 1, 1.0).expect_err("short velocity");
    assert_eq!(err.arg, "state[0]");
    // Plain SGD does not use the slot: the same groups step.
    let err = step_groups(&mut list, &adam_rule(0.0, false), 0, 1.0).expect_err("step 0");
    assert_eq!(err.arg, "step");
    let bad_eps = Update::Adam {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: -1.0,
        weight_decay: 0.0,
        decoupled: false,
    };
    assert_eq!(
        step_groups(&mut list, &bad_eps, 1, 1.0)
            .expect_err("eps")
            .arg,
        "eps"
    );
    drop(list);
    assert_eq!(g, before);
}
