//! The f64 reference's hand-written BPTT against central differences of its own forward, for
//! every cell kind, stacked, bidirectional, variable-length, with initial states. This is
//! what makes the reference trustworthy as the oracle of `rnn_vs_reference.rs`.

mod common;

use common::reference::{self, Problem};
use common::rng::Rng;
use common::run;
use recurrent_core::rnn::{CellKind, ParamLayout, StackSpec};

fn loss(pb: &Problem) -> f64 {
    reference::loss(pb, &reference::forward(pb))
}

/// Central difference of the loss along one coordinate chosen by `slot`.
fn numeric(pb: &Problem, slot: impl Fn(&mut Problem) -> &mut f64) -> f64 {
    const EPS: f64 = 1e-6;
    let mut p = pb.clone();
    *slot(&mut p) += EPS;
    let plus = loss(&p);
    *slot(&mut p) -= 2.0 * EPS;
    let minus = loss(&p);
    (plus - minus) / (2.0 * EPS)
}

fn close(what: &str, k: usize, analytic: f64, numeric: f64) {
    let err = (analytic - numeric).abs();
    assert!(
        err <= 1e-6 * (1.0 + analytic.abs()),
        "{what}[{k}]: analytic {analytic}, numeric {numeric}"
    );
}

fn check(
    kind: CellKind,
    layers: usize,
    bidirectional: bool,
    dims: (usize, usize, usize, usize),
    varlen: bool,
    h0: bool,
    seed: u64,
) {
    let (t, b, i, h) = dims;
    let spec = StackSpec {
        kind,
        input_size: i,
        hidden_size: h,
        num_layers: layers,
        bidirectional,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let mut rng = Rng::new(seed);
    let pb = run::to_reference(&run::generate(&mut rng, spec, t, b, varlen, h0));
    let g = reference::backward(&pb);
    // The fixed leak rates (`leak_a`) are constants: by definition no gradient reaches them
    // (the reference gives 0), though the loss does depend on them.
    let layout = ParamLayout::new(&spec).expect("valid spec");
    let constant = |k: usize| {
        layout
            .tensors()
            .iter()
            .any(|t| t.name.starts_with("leak_a") && (t.offset..t.offset + t.len()).contains(&k))
    };
    for k in 0..pb.params.len() {
        if constant(k) {
            assert_eq!(g.params[k], 0.0, "constant leak_a[{k}] has a gradient");
            continue;
        }
        close("params", k, g.params[k], numeric(&pb, |p| &mut p.params[k]));
    }
    for k in 0..pb.x.len() {
        close("x", k, g.x[k], numeric(&pb, |p| &mut p.x[k]));
    }
    if pb.h0.is_some() {
        for k in 0..g.h0.len() {
            close(
                "h0",
                k,
                g.h0[k],
                numeric(&pb, |p| &mut p.h0.as_mut().expect("h0")[k]),
            );
        }
    }
    if pb.c0.is_some() {
        for k in 0..g.c0.len() {
            close(
                "c0",
                k,
                g.c0[k],
                numeric(&pb, |p| &mut p.c0.as_mut().expect("c0")[k]),
            );
        }
    }
}

#[test]
fn reference_gradients_match_central_differences_stacked_bidirectional_varlen() {
    for (n, kind) in CellKind::ALL.into_iter().enumerate() {
        check(kind, 2, true, (4, 3, 3, 2), true, true, 100 + n as u64);
    }
}

#[test]
fn reference_gradients_match_central_differences_single_layer() {
    for (n, kind) in CellKind::ALL.into_iter().enumerate() {
        check(kind, 1, false, (3, 2, 2, 3), false, false, 200 + n as u64);
    }
}
