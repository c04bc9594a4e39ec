//! The level-batched tree layers against a scalar float64 reference written from the
//! equations (node by node, no GEMM): forward values, and every gradient against central
//! finite differences of the reference; and 1 vs 2 threads on forests big enough for the
//! GEMMs to be cut into several tiles.

mod common;

use common::bits;

use common::rng::Rng;
use common::tree_reference::{self, RandomForest};
use recurrent_core::parallel::{Parallel, ScopedThreads};
use recurrent_core::tree::{tree_backward, tree_forward, Forest, Schedule, TreeKind, TreeShape};
use recurrent_core::Sequential;

struct Out {
    h: Vec<f32>,
    c: Vec<f32>,
    grads: Vec<f32>,
    gx: Vec<f32>,
}

fn run(f: &RandomForest, pool: &dyn Parallel, schedule: Schedule) -> Out {
    let shape = TreeShape::new(f.kind, f.input_size, f.hidden_size).expect("shape");
    let forest = Forest::new(
        f.kind,
        &f.offsets,
        &f.children,
        &f.x_rows,
        f.num_inputs,
        schedule,
    )
    .expect("forest");
    let nh = forest.nodes * f.hidden_size;
    let mut tape = vec![0.0; shape.tape_len(forest.nodes).expect("tape")];
    let mut h = vec![0.0; nh];
    let mut c = vec![0.0; if f.kind == TreeKind::Rnn { 0 } else { nh }];
    tree_forward(
        pool,
        shape,
        &forest,
        &f.params,
        &f.x,
        &mut tape,
        &mut h,
        Some(&mut c),
    )
    .expect("forward");
    let mut grads = vec![0.0; shape.param_len()];
    let mut gx = vec![0.0; f.x.len()];
    let gc = (f.kind != TreeKind::Rnn).then_some(&f.gc[..]);
    tree_backward(
        pool,
        shape,
        &forest,
        &f.params,
        &f.x,
        &mut tape,
        &f.gh,
        gc,
        &mut grads,
        Some(&mut gx),
    )
    .expect("backward");
    Out { h, c, grads, gx }
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

fn close(a: f32, e: f64, m: f64, what: &str) {
    let err = (f64::from(a) - e).abs();
    assert!(
        err <= 1e-3 * m + 1e-2 * e.abs(),
        "{what}: {a} vs {e} (max {m})"
    );
}

#[test]
fn forward_matches_the_scalar_reference() {
    for (k, kind) in TreeKind::ALL.into_iter().enumerate() {
        for seed in 0..4 {
            let mut rng = Rng::new(100 + 10 * k as u64 + seed);
            let f = tree_reference::random_forest(&mut rng, kind, 60, 5, 8);
            let (h, c) = tree_reference::forward(&f, &f64s(&f.params), &f64s(&f.x));
            let out = run(&f, &Sequential, Schedule::Levels);
            let m = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (j, (&a, &e)) in out.h.iter().zip(&h).enumerate() {
                assert!(
                    (f64::from(a) - e).abs() <= 1e-5 * m.max(1.0),
                    "{kind:?} seed {seed} h[{j}]: {a} vs {e}"
                );
            }
            for (j, (&a, &e)) in out.c.iter().zip(&c).enumerate() {
                assert!(
                    (f64::from(a) - e).abs() <= 1e-5 * m.max(1.0) * 4.0,
                    "{kind:?} seed {seed} c[{j}]: {a} vs {e}"
                );
            }
        }
    }
}

#[test]
fn gradients_match_finite_differences_of_the_reference() {
    for (k, kind) in TreeKind::ALL.into_iter().enumerate() {
        let mut rng = Rng::new(200 + k as u64);
        let f = tree_reference::random_forest(&mut rng, kind, 24, 3, 3);
        let out = run(&f, &Sequential, Schedule::Levels);
        let (p, x) = (f64s(&f.params), f64s(&f.x));
        let eps = 1e-5;
        let fd = |p: &[f64], x: &[f64], which: usize, at: usize| {
            let (mut pp, mut xp) = (p.to_vec(), x.to_vec());
            let (mut pm, mut xm) = (p.to_vec(), x.to_vec());
            if which == 0 {
                pp[at] += eps;
                pm[at] -= eps
            } else {
                xp[at] += eps;
                xm[at] -= eps
            }
            (tree_reference::loss(&f, &pp, &xp) - tree_reference::loss(&f, &pm, &xm)) / (2.0 * eps)
        };
        let gp: Vec<f64> = (0..p.len()).map(|a| fd(&p, &x, 0, a)).collect();
        let gx: Vec<f64> = (0..x.len()).map(|a| fd(&p, &x, 1, a)).collect();
        let mp = gp.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mx = gx.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, (&g, &e)) in out.grads.iter().zip(&gp).enumerate() {
            close(g, e, mp, &format!("{kind:?} param {a}"));
        }
        for (a, (&g, &e)) in out.gx.iter().zip(&gx).enumerate() {
            close(g, e, mx, &format!("{kind:?} x {a}"));
        }
    }
}

#[test]
fn one_and_two_threads_give_the_same_bits_on_big_forests() {
    for (k, kind) in TreeKind::ALL.into_iter().enumerate() {
        let mut rng = Rng::new(300 + k as u64);
        let f = tree_reference::random_forest(&mut rng, kind, 700, 48, 64);
        for schedule in [Schedule::Levels, Schedule::NodeAtATime] {
            let one = run(&f, &Sequential, schedule);
            let two = run(&f, &ScopedThreads::new(2), schedule);
            assert_eq!(bits(&one.h), bits(&two.h), "{kind:?} {schedule:?} h");
            assert_eq!(bits(&one.c), bits(&two.c), "{kind:?} {schedule:?} c");
            assert_eq!(
                bits(&one.grads),
                bits(&two.grads),
                "{kind:?} {schedule:?} grads"
            );
            assert_eq!(bits(&one.gx), bits(&two.gx), "{kind:?} {schedule:?} gx");
        }
    }
}
