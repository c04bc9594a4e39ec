//! Stacks without biases (`StackSpec::bias` false, PyTorch's `bias=False`, issue 14): no
//! `bias_ih`/`bias_hh` tensors, and every result (outputs, states, every weight gradient, the
//! input and state gradients; training and inference forwards, checkpointed BPTT, the
//! streaming step) is bit for bit what the same stack with biases computes when its biases are
//! zero. (That the biased stack is right is the reference and PyTorch tests' job; the fixtures of
//! `test/fixtures/api/` check the unbiased one against `nn.LSTM(bias=False)` etc. too.)

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, generate, outputs, Problem};
use recurrent_core::rnn::{
    forward_infer, step, CellKind, InferScratch, Layout, ParamLayout, ParamRole, StackSpec,
    StepScratch,
};
use recurrent_core::Sequential;

/// `pb` with biases, made from the unbiased problem `pb`: the same weights, zero biases.
fn with_zero_biases(pb: &Problem) -> Problem {
    let spec = StackSpec {
        bias: true,
        proj_size: 0,
        ..pb.spec
    };
    let (from, to) = (
        ParamLayout::new(&pb.spec).expect("layout"),
        ParamLayout::new(&spec).expect("layout"),
    );
    let mut params = vec![0.0; to.len()];
    for t in from.tensors() {
        let u = to.get(&t.name).expect("same name");
        params[u.offset..u.offset + u.len()]
            .copy_from_slice(&pb.params[t.offset..t.offset + t.len()]);
    }
    Problem {
        spec,
        params,
        ..pb.clone()
    }
}

/// The biased gradients without their bias tensors, in the unbiased layout.
fn drop_biases(spec: &StackSpec, g: &[f32]) -> Vec<f32> {
    let layout = ParamLayout::new(spec).expect("layout");
    let mut out = Vec::new();
    for t in layout.tensors() {
        if !matches!(t.role, ParamRole::BiasIh | ParamRole::BiasHh) {
            out.extend_from_slice(&g[t.offset..t.offset + t.len()]);
        }
    }
    out
}

#[test]
fn layout_has_no_bias_tensors() {
    for kind in CellKind::ALL {
        let spec = StackSpec {
            kind,
            input_size: 3,
            hidden_size: 4,
            num_layers: 2,
            bidirectional: true,
            bias: false,
            proj_size: 0,
            skip: 0,
        };
        let layout = ParamLayout::new(&spec).expect("layout");
        assert!(layout.get("bias_ih_l0").is_none() && layout.get("bias_hh_l1_reverse").is_none());
        let biased = ParamLayout::new(&StackSpec { bias: true, ..spec }).expect("layout");
        let g = kind.gates() * 4;
        assert_eq!(
            biased.len() - layout.len(),
            2 * 2 * 2 * g,
            "{}",
            kind.name()
        );
    }
}

#[test]
fn training_forward_and_bptt_equal_zero_biases() {
    let mut case = 0;
    for kind in CellKind::ALL {
        for (layers, bidirectional, varlen, k) in [
            (1, false, false, 0),
            (2, true, true, 0),
            (3, false, true, 2),
        ] {
            case += 1;
            let spec = StackSpec {
                kind,
                input_size: 5,
                hidden_size: 6,
                num_layers: layers,
                bidirectional,
                bias: false,
                proj_size: 0,
                skip: 0,
            };
            let pb = generate(&mut Rng::new(300 + case), spec, 7, 3, varlen, true);
            let zb = with_zero_biases(&pb);
            let what = format!(
                "{} L{layers} bi {bidirectional} varlen {varlen} k {k}",
                kind.name()
            );
            let (a, b) = (train(&pb, k), train(&zb, k));
            assert_eq!(bits(&a.y), bits(&b.y), "{what}: y");
            assert_eq!(bits(&a.hn), bits(&b.hn), "{what}: h_n");
            assert_eq!(bits(&a.cn), bits(&b.cn), "{what}: c_n");
            let gb = drop_biases(&zb.spec, &b.gparams);
            assert_eq!(bits(&a.gparams), bits(&gb), "{what}: weight gradients");
            assert_eq!(bits(&a.gx), bits(&b.gx), "{what}: grad x");
            assert_eq!(bits(&a.gh0), bits(&b.gh0), "{what}: grad h0");
            assert_eq!(bits(&a.gc0), bits(&b.gc0), "{what}: grad c0");
            // The biased stack does get bias gradients: the test is not vacuous.
            assert!(b.gparams.len() > a.gparams.len());
            // Inference equals the biased stack's inference (not the checkpointed training
            // forward, whose GEMMs run over a segment's rows: rounding differs there).
            assert_eq!(
                bits(&infer(&pb).0),
                bits(&infer(&zb).0),
                "{what}: inference y"
            );
            assert_eq!(
                bits(&infer(&pb).1),
                bits(&infer(&zb).1),
                "{what}: inference h_n"
            );
        }
    }
}

#[test]
fn streaming_step_equals_zero_biases() {
    for (n, kind) in CellKind::ALL.into_iter().enumerate() {
        let spec = StackSpec {
            kind,
            input_size: 4,
            hidden_size: 5,
            num_layers: 2,
            bidirectional: false,
            bias: false,
            proj_size: 0,
            skip: 0,
        };
        let pb = generate(&mut Rng::new(400 + n as u64), spec, 4, 3, false, true);
        let zb = with_zero_biases(&pb);
        let (a, b) = (stream(&pb), stream(&zb));
        assert_eq!(bits(&a), bits(&b), "{}", kind.name());
    }
}

/// Training forward and (checkpointed when `k` > 0) backward.
fn train(pb: &Problem, k: usize) -> run::Result {
    let o = run::Opts {
        k,
        ..run::Opts::default()
    };
    run::run_with(pb, &Sequential, o)
}

/// The inference forward's (y, h_n).
fn infer(pb: &Problem) -> (Vec<f32>, Vec<f32>) {
    let spec = &pb.spec;
    let (t, b) = (pb.seq_len, pb.batch);
    let has_c = spec.kind.has_cell_state();
    let states = spec.state_count() * b * spec.hidden_size;
    let mut y = vec![f32::NAN; pb.gy.len()];
    let mut hn = vec![f32::NAN; states];
    let mut cn = vec![f32::NAN; if has_c { states } else { 0 }];
    let mut scratch = InferScratch::new(spec, t, b).expect("scratch");
    let input = pb.input(Layout::TimeMajor, &pb.x);
    let output = outputs(&mut y, &mut hn, &mut cn, has_c);
    forward_infer(&Sequential, spec, &pb.params, &input, output, &mut scratch).expect("infer");
    (y, hn)
}

/// Every streaming step's output, then the final states.
fn stream(pb: &Problem) -> Vec<f32> {
    let spec = &pb.spec;
    let (b, i, h) = (pb.batch, spec.input_size, spec.hidden_size);
    let mut hs = pb.h0.clone().expect("h0");
    let mut cs = pb.c0.clone().unwrap_or_default();
    let mut scratch = StepScratch::new(spec, b).expect("scratch");
    let mut out = Vec::new();
    let mut y = vec![0.0; b * h];
    for x in pb.x.chunks(b * i) {
        let c = spec.kind.has_cell_state().then_some(&mut cs[..]);
        step(
            &Sequential,
            spec,
            &pb.params,
            x,
            &mut hs,
            c,
            &mut y,
            &mut scratch,
        )
        .expect("step");
        out.extend_from_slice(&y);
    }
    out.extend_from_slice(&hs);
    out.extend_from_slice(&cs);
    out
}
