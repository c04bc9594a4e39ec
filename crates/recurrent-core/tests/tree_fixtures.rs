//! The tree layers against every tree case of the shared `families` fixtures: forward and
//! every gradient at the README's default tolerance, level-batched and node-at-a-time, on 1
//! and 2 threads (the same bits).

mod common;

use common::bits;

use common::family_fixture::{usage, FORWARD, GRADS};
use common::tree_fixture::{self, TreeCase};
use recurrent_core::parallel::{Parallel, ScopedThreads};
use recurrent_core::tree::{tree_backward, tree_forward, Forest, Schedule, TreeShape};
use recurrent_core::Sequential;

struct Out {
    h: Vec<f32>,
    c: Vec<f32>,
    grads: Vec<f32>,
    gx: Vec<f32>,
}

fn run(case: &TreeCase, pool: &dyn Parallel, schedule: Schedule) -> Out {
    let shape = TreeShape::new(case.kind, case.input_size, case.hidden_size).expect("shape");
    let forest = Forest::new(
        case.kind,
        &case.offsets,
        &case.children,
        &case.x_rows,
        case.num_inputs,
        schedule,
    )
    .expect("forest");
    let n = forest.nodes;
    let hs = case.hidden_size;
    let mut tape = vec![0.0; shape.tape_len(n).expect("tape")];
    let mut h = vec![0.0; n * hs];
    let mut c = vec![
        0.0;
        if shape.kind.has_cell_state() {
            n * hs
        } else {
            0
        }
    ];
    tree_forward(
        pool,
        shape,
        &forest,
        &case.params,
        &case.x,
        &mut tape,
        &mut h,
        Some(&mut c),
    )
    .expect("forward");
    let mut grads = vec![0.0; shape.param_len()];
    let mut gx = vec![0.0; case.x.len()];
    tree_backward(
        pool,
        shape,
        &forest,
        &case.params,
        &case.x,
        &mut tape,
        &case.gh,
        case.gc.as_deref(),
        &mut grads,
        Some(&mut gx),
    )
    .expect("backward");
    Out { h, c, grads, gx }
}

#[test]
fn every_tree_case_matches_forward_and_gradients() {
    let cases = tree_fixture::load_all();
    assert_eq!(cases.len(), 13, "16..28 are the tree cases");
    let mut worst = (0.0f64, 0.0f64);
    for case in &cases {
        for schedule in [Schedule::Levels, Schedule::NodeAtATime] {
            let out = run(case, &Sequential, schedule);
            let mut fwd = usage(&out.h, &case.h, FORWARD);
            if let Some(c) = &case.c {
                fwd = fwd.max(usage(&out.c, c, FORWARD));
            }
            assert!(
                fwd <= 1.0,
                "{} {schedule:?}: forward tol usage {fwd}",
                case.name
            );
            let mut at = 0;
            for (name, &len) in case.param_names.iter().zip(&case.param_sizes) {
                let u = usage(&out.grads[at..at + len], &case.grads[at..at + len], GRADS);
                assert!(
                    u <= 1.0,
                    "{} {schedule:?}: grad {name} tol usage {u}",
                    case.name
                );
                worst.1 = worst.1.max(u);
                at += len;
            }
            let u = usage(&out.gx, &case.gx, GRADS);
            assert!(u <= 1.0, "{} {schedule:?}: grad x tol usage {u}", case.name);
            worst = (worst.0.max(fwd), worst.1.max(u));
            // The loss, in f64 from the f32 states.
            let mut loss: f64 = out
                .h
                .iter()
                .zip(&case.gh)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            if let Some(gc) = &case.gc {
                loss += out
                    .c
                    .iter()
                    .zip(gc)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum::<f64>();
            }
            assert!(
                (loss - case.loss).abs() <= 1e-4 * case.loss.abs().max(1.0),
                "{}: loss {loss} vs {}",
                case.name,
                case.loss
            );
        }
    }
    eprintln!(
        "tree fixtures: worst tol usage forward {:.2e}, gradients {:.2e}",
        worst.0, worst.1
    );
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    for case in &tree_fixture::load_all() {
        let one = run(case, &Sequential, Schedule::Levels);
        let two = run(case, &ScopedThreads::new(2), Schedule::Levels);
        assert_eq!(bits(&one.h), bits(&two.h), "{}", case.name);
        assert_eq!(bits(&one.c), bits(&two.c), "{}", case.name);
        assert_eq!(bits(&one.grads), bits(&two.grads), "{}", case.name);
        assert_eq!(bits(&one.gx), bits(&two.gx), "{}", case.name);
    }
}
