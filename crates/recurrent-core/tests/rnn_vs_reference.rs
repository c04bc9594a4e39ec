//! The crate's f32 stack against the f64 reference on generated problems: every cell kind,
//! odd sizes (1, 3, 17), T >= 3, stacked, bidirectional, variable lengths, initial states and
//! both layouts; forward outputs and every gradient.

mod common;

use common::reference;
use common::rng::Rng;
use common::run;
use common::tol::{self, to_f64};
use recurrent_core::rnn::{CellKind, Layout, StackSpec};
use recurrent_core::Sequential;

/// One generated configuration.
struct Case {
    layers: usize,
    bidirectional: bool,
    /// (T, B, I, H)
    dims: (usize, usize, usize, usize),
    varlen: bool,
    h0: bool,
    layout: Layout,
}

const CASES: [Case; 6] = [
    Case {
        layers: 1,
        bidirectional: false,
        dims: (3, 1, 1, 1),
        varlen: false,
        h0: false,
        layout: Layout::TimeMajor,
    },
    Case {
        layers: 2,
        bidirectional: true,
        dims: (5, 3, 17, 3),
        varlen: true,
        h0: true,
        layout: Layout::BatchMajor,
    },
    Case {
        layers: 1,
        bidirectional: true,
        dims: (4, 17, 3, 17),
        varlen: true,
        h0: false,
        layout: Layout::TimeMajor,
    },
    Case {
        layers: 3,
        bidirectional: false,
        dims: (3, 3, 3, 3),
        varlen: true,
        h0: true,
        layout: Layout::BatchMajor,
    },
    Case {
        layers: 2,
        bidirectional: false,
        dims: (17, 3, 1, 17),
        varlen: false,
        h0: true,
        layout: Layout::TimeMajor,
    },
    Case {
        layers: 3,
        bidirectional: true,
        dims: (6, 1, 3, 1),
        varlen: false,
        h0: true,
        layout: Layout::BatchMajor,
    },
];

/// The default tier's `tol_usage` of every tensor (the README puts a correct f32
/// implementation near 1e-3 of it).
fn usages(kind: CellKind, case: &Case, seed: u64) -> Vec<(&'static str, f64)> {
    let (t, b, i, h) = case.dims;
    let spec = StackSpec {
        kind,
        input_size: i,
        hidden_size: h,
        num_layers: case.layers,
        bidirectional: case.bidirectional,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let mut rng = Rng::new(seed);
    let pb = run::generate(&mut rng, spec, t, b, case.varlen, case.h0);
    let r = run::run(&pb, &Sequential, case.layout);
    let rp = run::to_reference(&pb);
    let out = reference::forward(&rp);
    let g = reference::backward(&rp);
    let mut u = vec![
        ("y", tol::usage(&to_f64(&r.y), &out.y, tol::FORWARD)),
        ("h_n", tol::usage(&to_f64(&r.hn), &out.hn, tol::FORWARD)),
        (
            "grad params",
            tol::usage(&to_f64(&r.gparams), &g.params, tol::GRADS),
        ),
        ("grad x", tol::usage(&to_f64(&r.gx), &g.x, tol::GRADS)),
        ("grad h0", tol::usage(&to_f64(&r.gh0), &g.h0, tol::GRADS)),
    ];
    if kind.has_cell_state() {
        u.push(("c_n", tol::usage(&to_f64(&r.cn), &out.cn, tol::FORWARD)));
        u.push(("grad c0", tol::usage(&to_f64(&r.gc0), &g.c0, tol::GRADS)));
    }
    // Parameter gradients tensor by tensor too, so a small tensor is not hidden by a big one.
    let layout = recurrent_core::rnn::ParamLayout::new(&spec).expect("valid spec");
    let worst_tensor = layout
        .tensors()
        .iter()
        .map(|t| {
            let span = t.offset..t.offset + t.len();
            tol::usage(
                &to_f64(&r.gparams[span.clone()]),
                &g.params[span],
                tol::GRADS,
            )
        })
        .fold(0.0, f64::max);
    u.push(("grad params (per tensor)", worst_tensor));
    // Padded steps: y and dx exactly zero.
    if let Some(lengths) = &pb.lengths {
        for tt in 0..t {
            for bb in 0..b {
                if tt >= lengths[bb] as usize {
                    let dh = spec.output_size();
                    assert!(r.y[(tt * b + bb) * dh..(tt * b + bb + 1) * dh]
                        .iter()
                        .all(|&v| v == 0.0));
                    assert!(r.gx[(tt * b + bb) * i..(tt * b + bb + 1) * i]
                        .iter()
                        .all(|&v| v == 0.0));
                }
            }
        }
    }
    u
}

#[test]
fn f32_stack_matches_f64_reference() {
    let mut failures = Vec::new();
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        let mut worst = (0.0f64, "");
        for (c, case) in CASES.iter().enumerate() {
            for (what, usage) in usages(kind, case, (k * 100 + c) as u64) {
                if usage > worst.0 {
                    worst = (usage, what);
                }
                // A tenth of the default tier: the strict tier.
                if usage > 0.1 {
                    failures.push(format!(
                        "{} case {c}: {what} tol_usage {usage:.3e}",
                        kind.name()
                    ));
                }
            }
        }
        println!(
            "{:<17} worst tol_usage {:.2e} ({})",
            kind.name(),
            worst.0,
            worst.1
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lengths may be 0 (PyTorch refuses them; here the sequence is simply empty): its outputs
/// are zero, its final state is its initial state, and the gradients pass straight through.
#[test]
fn zero_length_sequence_keeps_its_initial_state() {
    for kind in [CellKind::Gru, CellKind::LstmPeephole] {
        let spec = StackSpec {
            kind,
            input_size: 3,
            hidden_size: 2,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let mut rng = Rng::new(7);
        let mut pb = run::generate(&mut rng, spec, 4, 3, true, true);
        pb.lengths = Some(vec![0, 4, 2]);
        let r = run::run(&pb, &Sequential, Layout::BatchMajor);
        let rp = run::to_reference(&pb);
        let (out, g) = (reference::forward(&rp), reference::backward(&rp));
        assert!(tol::usage(&to_f64(&r.y), &out.y, tol::FORWARD) <= 0.1);
        assert!(tol::usage(&to_f64(&r.hn), &out.hn, tol::FORWARD) <= 0.1);
        assert!(tol::usage(&to_f64(&r.gparams), &g.params, tol::GRADS) <= 0.1);
        assert!(tol::usage(&to_f64(&r.gh0), &g.h0, tol::GRADS) <= 0.1);
        let (h, b) = (spec.hidden_size, pb.batch);
        for k in 0..spec.state_count() {
            let row = (k * b) * h..(k * b + 1) * h;
            let h0 = pb.h0.as_ref().expect("h0");
            let ghn = pb.ghn.as_ref().expect("ghn");
            assert_eq!(
                r.hn[row.clone()],
                h0[row.clone()],
                "state {k} of the empty sequence"
            );
            assert_eq!(
                r.gh0[row.clone()],
                ghn[row],
                "gradient {k} of the empty sequence"
            );
        }
    }
}
