//! Frozen ranges of a parameter group: constants sharing the group's buffer (the fixed rates
//! of a leaky RNN). No rule touches them, parameters or state, even with weight decay, and
//! every other element gets exactly the value of a plain step. Bad ranges are refused before
//! anything is written.

// A list of one frozen range is what these tests mean by `&[a..b]`, not a list of indices.
// A reversed range is one of the bad inputs under test.
#![allow(clippy::single_range_in_vec_init, clippy::reversed_empty_ranges)]

mod common;

use common::bits;

use std::ops::Range;

use common::rng::Rng;
use recurrent_core::train::{step_groups, OptimGroup, StepOutcome, Update};

/// One group of `N` elements: parameters, gradients (all non-zero), two state slots.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    params: Vec<f32>,
    grads: Vec<f32>,
    s0: Vec<f32>,
    s1: Vec<f32>,
}

const N: usize = 40;

fn group(seed: u64) -> Group {
    let mut rng = Rng::new(seed);
    Group {
        params: rng.vec_uniform(N, 1.0),
        grads: rng.vec_uniform(N, 2.0).iter().map(|g| g + 3.0).collect(),
        s0: rng.vec_uniform(N, 0.5),
        s1: vec![0.25; N],
    }
}

fn run(
    g: &mut Group,
    frozen: &[Range<usize>],
    update: &Update,
    t: u64,
) -> recurrent_core::error::CoreResult<StepOutcome> {
    let mut list = [OptimGroup {
        params: &mut g.params,
        grads: &g.grads,
        state: [&mut g.s0, &mut g.s1],
        frozen,
    }];
    step_groups(&mut list, update, t, 0.5)
}

const fn sgd_rule(momentum: f64, nesterov: bool) -> Update {
    Update::Sgd {
        lr: 0.1,
        momentum,
        dampening: 0.0,
        nesterov,
        weight_decay: 0.1,
    }
}

const fn adam_rule(decoupled: bool) -> Update {
    Update::Adam {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.1,
        decoupled,
    }
}

/// Every rule, each with weight decay (SGD's and Adam's L2, AdamW's decoupled shrink).
const RULES: [Update; 5] = [
    sgd_rule(0.0, false),
    sgd_rule(0.9, false),
    sgd_rule(0.9, true),
    adam_rule(false),
    adam_rule(true),
];

/// Ranges at the start, in the middle (two adjacent) and at the end.
fn frozen() -> Vec<Range<usize>> {
    vec![0..3, 10..12, 12..17, 30..40]
}

/// A state slot or the parameters of three runs, named.
type Slot<'a> = (&'a str, &'a [f32], &'a [f32], &'a [f32]);

fn is_frozen(i: usize) -> bool {
    frozen().iter().any(|r| r.contains(&i))
}

#[test]
fn frozen_ranges_are_untouched_and_the_rest_is_a_plain_step() {
    for (r, update) in RULES.iter().enumerate() {
        let mut a = group(r as u64);
        let mut b = a.clone();
        let before = a.clone();
        for t in 1..=4 {
            assert_eq!(run(&mut a, &frozen(), update, t), Ok(StepOutcome::Applied));
            assert_eq!(run(&mut b, &[], update, t), Ok(StepOutcome::Applied));
        }
        // (name, stepped with frozen ranges, stepped plainly, before)
        let slots: [Slot<'_>; 3] = [
            ("params", &a.params, &b.params, &before.params),
            ("state[0]", &a.s0, &b.s0, &before.s0),
            ("state[1]", &a.s1, &b.s1, &before.s1),
        ];
        for (name, got, plain, old) in slots {
            for i in 0..N {
                let want = if is_frozen(i) { old[i] } else { plain[i] };
                assert_eq!(
                    got[i].to_bits(),
                    want.to_bits(),
                    "{update:?}: {name}[{i}] (frozen: {})",
                    is_frozen(i)
                );
            }
        }
        // The plain step did move every parameter (so the comparison above means something).
        for i in 0..N {
            assert_ne!(b.params[i], before.params[i], "{update:?}: params[{i}]");
        }
    }
}

#[test]
fn a_frozen_range_covering_the_group_leaves_it_as_it_was() {
    for update in &RULES {
        let mut g = group(7);
        let before = g.clone();
        assert_eq!(run(&mut g, &[0..N], update, 1), Ok(StepOutcome::Applied));
        assert_eq!(g, before, "{update:?}");
    }
}

#[test]
fn a_non_finite_value_in_a_frozen_range_is_not_checked_but_elsewhere_it_is() {
    // The gradient of a frozen element is ignored (no rule reads it) ...
    let mut g = group(8);
    g.grads[1] = f32::NAN;
    let before = g.clone();
    assert_eq!(
        run(&mut g, &frozen(), &adam_rule(true), 1),
        Ok(StepOutcome::Applied)
    );
    assert_eq!(bits(&g.params[..3]), bits(&before.params[..3]));
    // ... one outside still stops the whole step, which writes nothing.
    let mut g = group(8);
    g.grads[5] = f32::NAN;
    let before = g.clone();
    assert_eq!(
        run(&mut g, &frozen(), &adam_rule(true), 1),
        Ok(StepOutcome::NonFinite { group: 0 })
    );
    // (Compared as bits: the NaN gradient is not equal to itself.)
    for (x, y) in [
        (&g.params, &before.params),
        (&g.s0, &before.s0),
        (&g.s1, &before.s1),
    ] {
        assert_eq!(bits(x), bits(y));
    }
}

#[test]
fn bad_ranges_are_refused_naming_the_argument_and_write_nothing() {
    let bad: [&[Range<usize>]; 5] = [
        &[3..3],           // empty
        &[5..2],           // reversed
        &[30..41],         // past the end
        &[10..20, 2..4],   // out of order
        &[10..20, 15..25], // overlapping
    ];
    for ranges in bad {
        for update in &RULES {
            let mut g = group(9);
            let before = g.clone();
            let err = run(&mut g, ranges, update, 1).expect_err("bad frozen ranges");
            assert_eq!(err.arg, "frozen", "{ranges:?}");
            assert_eq!(g, before, "{ranges:?}: nothing written");
        }
    }
    // The error names the group at fault, and groups before it are not written either.
    let (mut a, mut b) = (group(10), group(11));
    let (a0, b0) = (a.clone(), b.clone());
    let mut list = [
        OptimGroup {
            params: &mut a.params,
            grads: &a.grads,
            state: [&mut a.s0, &mut a.s1],
            frozen: &[0..2],
        },
        OptimGroup {
            params: &mut b.params,
            grads: &b.grads,
            state: [&mut b.s0, &mut b.s1],
            frozen: &[0..N + 1],
        },
    ];
    let err = step_groups(&mut list, &adam_rule(false), 1, 1.0).expect_err("group 1");
    assert!(err.got.contains("group 1"), "{}", err.got);
    assert_eq!((a, b), (a0, b0));
}
