//! The streaming step over T steps equals the forward over the sequence: bit for bit when the
//! batch has more rows than the GEMM's direct path takes (`DIRECT_MAX_M`), to rounding below
//! (see `rnn::stream`'s module doc). The inference forward (chunked projections, gathered
//! batch-major input) equals the training forward bit for bit, in both layouts.

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, transpose_tb};
use common::tol::{self, to_f64};
use recurrent_core::gemm::DIRECT_MAX_M;
use recurrent_core::rnn::{
    forward_infer, forward_train, step, CellKind, InferScratch, Layout, StackSpec, StepScratch,
    Tape,
};
use recurrent_core::Sequential;

/// (y, h_n, c_n) of a forward, time-major.
fn forward(pb: &run::Problem, layout: Layout, train: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let spec = &pb.spec;
    let (t, b) = (pb.seq_len, pb.batch);
    let states = spec.state_count() * b * spec.hidden_size;
    let has_c = spec.kind.has_cell_state();
    let bm = layout == Layout::BatchMajor;
    let x = if bm {
        transpose_tb(&pb.x, t, b, spec.input_size, true)
    } else {
        pb.x.clone()
    };
    let mut y = vec![f32::NAN; t * b * spec.output_size()];
    let mut hn = vec![f32::NAN; states];
    let mut cn = vec![f32::NAN; if has_c { states } else { 0 }];
    let input = pb.input(layout, &x);
    let output = run::outputs(&mut y, &mut hn, &mut cn, has_c);
    if train {
        let mut tape = Tape::new(spec, t, b).expect("tape");
        forward_train(&Sequential, spec, &pb.params, &input, output, &mut tape)
            .expect("forward_train");
    } else {
        let mut scratch = InferScratch::new(spec, t, b).expect("scratch");
        forward_infer(&Sequential, spec, &pb.params, &input, output, &mut scratch)
            .expect("forward_infer");
    }
    let y = if bm {
        transpose_tb(&y, t, b, spec.output_size(), false)
    } else {
        y
    };
    (y, hn, cn)
}

#[test]
fn streaming_steps_equal_the_sequence_forward() {
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        for (layers, (t, b, i, h)) in [
            (1, (5, 3, 4, 3)),
            (3, (4, 2, 17, 5)),
            (2, (4, 5, 3, 17)),
            (1, (3, 9, 1, 1)),
        ] {
            let spec = StackSpec {
                kind,
                input_size: i,
                hidden_size: h,
                num_layers: layers,
                bidirectional: false,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let mut rng = Rng::new(k as u64 + 50);
            let pb = run::generate(&mut rng, spec, t, b, false, true);
            let has_c = kind.has_cell_state();
            let mut hs = pb.h0.clone().expect("h0");
            let mut cs = pb.c0.clone().unwrap_or_default();
            let mut scratch = StepScratch::new(&spec, b).expect("scratch");
            let mut ys = Vec::new();
            let mut y = vec![0.0; b * h];
            for step_x in pb.x.chunks(b * i) {
                let c = has_c.then_some(&mut cs[..]);
                step(
                    &Sequential,
                    &spec,
                    &pb.params,
                    step_x,
                    &mut hs,
                    c,
                    &mut y,
                    &mut scratch,
                )
                .expect("step");
                ys.extend_from_slice(&y);
            }
            for (layout, train) in [
                (Layout::TimeMajor, true),
                (Layout::BatchMajor, true),
                (Layout::TimeMajor, false),
            ] {
                let (fy, fh, fc) = forward(&pb, layout, train);
                let what = format!("{} L{layers} B{b} {layout:?} train={train}", kind.name());
                if b > DIRECT_MAX_M {
                    assert_eq!(bits(&ys), bits(&fy), "{what}: y");
                    assert_eq!(bits(&hs), bits(&fh), "{what}: h_n");
                    assert_eq!(bits(&cs), bits(&fc), "{what}: c_n");
                } else {
                    // Rounding only (a few ulps): a tenth of the strict tier.
                    for (name, a, e) in [("y", &ys, &fy), ("h_n", &hs, &fh), ("c_n", &cs, &fc)] {
                        let u = tol::usage(&to_f64(a), &to_f64(e), tol::FORWARD);
                        assert!(u <= 1e-2, "{what}: {name} tol_usage {u:.3e}");
                    }
                }
            }
        }
    }
}

#[test]
fn inference_forward_equals_training_forward_in_both_layouts() {
    // B = 100 makes the inference projection chunk 3 steps, so T = 7 runs chunks 3, 3, 1;
    // B = 2 keeps the whole sequence in one chunk and the batch on the GEMM's direct path.
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        for (t, b) in [(7, 100), (3, 2), (1, 3)] {
            let spec = StackSpec {
                kind,
                input_size: 3,
                hidden_size: 3,
                num_layers: 3,
                bidirectional: true,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let mut rng = Rng::new(k as u64 + 70);
            let pb = run::generate(&mut rng, spec, t, b, true, true);
            let reference = forward(&pb, Layout::TimeMajor, true);
            for (layout, train) in [
                (Layout::TimeMajor, false),
                (Layout::BatchMajor, false),
                (Layout::BatchMajor, true),
            ] {
                let other = forward(&pb, layout, train);
                let what = format!("{} T{t} B{b} {layout:?} train={train}", kind.name());
                assert_eq!(bits(&reference.0), bits(&other.0), "{what}: y");
                assert_eq!(bits(&reference.1), bits(&other.1), "{what}: h_n");
                assert_eq!(bits(&reference.2), bits(&other.2), "{what}: c_n");
            }
        }
    }
}

#[test]
fn bidirectional_stacks_refuse_to_stream() {
    let spec = StackSpec {
        kind: CellKind::Gru,
        input_size: 2,
        hidden_size: 3,
        num_layers: 1,
        bidirectional: true,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let err = StepScratch::new(&spec, 1).expect_err("bidirectional must be refused");
    assert_eq!(err.arg, "spec.bidirectional");
}
