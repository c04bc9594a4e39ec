//! Variational input and recurrent dropout (issue 14, Gal & Ghahramani; Keras' `dropout` and
//! `recurrent_dropout`): one mask per batch row, the same at every step.
//!
//! - For one sequence (B = 1), masking `x_t` by `m_x` and `h_{t-1}` (in the recurrent matmul)
//!   by `m_h` at every step is the same function as the stack without dropout whose `W_ih`
//!   columns are scaled by `m_x` and `W_hh` columns by `m_h`: outputs, states, and gradients
//!   (`dW = dW' * m` column-wise, dx, dh0, dc0, biases equal). That checks "the same mask at
//!   every step" and the BPTT through it, for every cell kind, stacked and bidirectional.
//! - A batch is its rows: each row of a batch with per-row masks equals that row alone.
//! - Checkpointed BPTT gives the full tape's gradients; drawn masks give the same bits on one
//!   and two threads, and the same seed the same masks.

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, generate, outputs, Problem};
use common::tol::close;
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{
    forward_train_masked, CellKind, Dropout, Layout, ParamLayout, ParamRole, StackSpec, Tape,
};
use recurrent_core::{Parallel, Sequential};

#[derive(Debug, Clone)]
struct Out {
    y: Vec<f32>,
    hn: Vec<f32>,
    cn: Vec<f32>,
    gparams: Vec<f32>,
    gx: Vec<f32>,
    gh0: Vec<f32>,
    gc0: Vec<f32>,
}

impl Out {
    fn parts(&self) -> [(&'static str, &[f32]); 7] {
        [
            ("y", &self.y),
            ("h_n", &self.hn),
            ("c_n", &self.cn),
            ("grad params", &self.gparams),
            ("grad x", &self.gx),
            ("grad h0", &self.gh0),
            ("grad c0", &self.gc0),
        ]
    }
}

/// Training forward (masks `masks`, or drawn when `None`) and backward, time-major.
fn run(
    pb: &Problem,
    pool: &dyn Parallel,
    k: usize,
    dropout: Dropout,
    masks: Option<&[f32]>,
) -> Out {
    let o = run::Opts {
        k,
        dropout,
        masks,
        ..run::Opts::default()
    };
    let r = run::run_with(pb, pool, o);
    Out {
        y: r.y,
        hn: r.hn,
        cn: r.cn,
        gparams: r.gparams,
        gx: r.gx,
        gh0: r.gh0,
        gc0: r.gc0,
    }
}

/// Layout of the injected masks for `batch` rows: per layer its input mask `[B, I_l]`, then per
/// layer and direction its recurrent mask `[B, H]`. Returns (input mask offsets, recurrent).
fn mask_offsets(spec: &StackSpec, batch: usize) -> (Vec<usize>, Vec<usize>, usize) {
    let mut at = 0;
    let mut inputs = Vec::new();
    for l in 0..spec.num_layers {
        inputs.push(at);
        at += batch * spec.layer_input_size(l);
    }
    let mut recs = Vec::new();
    for _ in 0..spec.state_count() {
        recs.push(at);
        at += batch * spec.hidden_size;
    }
    (inputs, recs, at)
}

/// Random inverted-dropout masks: each value 0 with probability `p`, else `1 / (1 - p)`.
fn random_masks(rng: &mut Rng, n: usize, p: f64) -> Vec<f32> {
    let keep = (1.0 / (1.0 - p)) as f32;
    (0..n)
        .map(|_| if rng.unit() < p { 0.0 } else { keep })
        .collect()
}

/// `pb` without dropout, its `W_ih` columns scaled by the input masks and `W_hh` columns by the
/// recurrent masks (B = 1).
fn folded(pb: &Problem, masks: &[f32]) -> Problem {
    let spec = &pb.spec;
    let (inputs, recs, _) = mask_offsets(spec, 1);
    let layout = ParamLayout::new(spec).expect("layout");
    let mut params = pb.params.clone();
    for t in layout.tensors() {
        let (mask, cols) = match t.role {
            ParamRole::WeightIh => (&masks[inputs[t.layer]..], t.shape[1]),
            ParamRole::WeightHh => {
                let s = recs[t.layer * spec.directions() + t.direction];
                (&masks[s..], t.shape[1])
            }
            _ => continue,
        };
        for (k, v) in params[t.offset..t.offset + t.len()].iter_mut().enumerate() {
            *v *= mask[k % cols];
        }
    }
    Problem {
        params,
        ..pb.clone()
    }
}

/// The folded run's weight gradients `dW'` times the masks column-wise: the dropout run's
/// `dW = dG^T (m * x) = dW' * m` (B = 1).
fn unfold_grads(spec: &StackSpec, g: &[f32], masks: &[f32]) -> Vec<f32> {
    let (inputs, recs, _) = mask_offsets(spec, 1);
    let layout = ParamLayout::new(spec).expect("layout");
    let mut out = g.to_vec();
    for t in layout.tensors() {
        let mask = match t.role {
            ParamRole::WeightIh => &masks[inputs[t.layer]..],
            ParamRole::WeightHh => &masks[recs[t.layer * spec.directions() + t.direction]..],
            _ => continue,
        };
        let cols = t.shape[1];
        for (k, v) in out[t.offset..t.offset + t.len()].iter_mut().enumerate() {
            *v *= mask[k % cols];
        }
    }
    out
}

const BOTH: Dropout = Dropout {
    p: 0.0,
    seed: 0,
    input: 0.5,
    recurrent: 0.5,
};

#[test]
fn one_sequence_with_masks_is_the_stack_with_masked_weight_columns() {
    let mut case = 0;
    for kind in CellKind::ALL {
        for (layers, bidirectional) in [(1, false), (2, true), (2, false)] {
            case += 1;
            let spec = StackSpec {
                kind,
                input_size: 4,
                hidden_size: 5,
                num_layers: layers,
                bidirectional,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let mut rng = Rng::new(500 + case);
            let pb = generate(&mut rng, spec, 6, 1, false, true);
            let n = mask_offsets(&spec, 1).2;
            let masks = random_masks(&mut rng, n, 0.5);
            let dropped = run(&pb, &Sequential, 0, BOTH, Some(&masks));
            let plain = run(&folded(&pb, &masks), &Sequential, 0, Dropout::NONE, None);
            let what = format!("{} L{layers} bi {bidirectional}", kind.name());
            // The dropout run's dW is the folded run's dW' times the mask.
            let expected = Out {
                gparams: unfold_grads(&spec, &plain.gparams, &masks),
                ..plain.clone()
            };
            for ((name, a), (_, b)) in expected.parts().into_iter().zip(dropped.parts()) {
                close(&format!("{what}: {name}"), a, b, 2e-5);
            }
            // Not vacuous: the masks change the function.
            let none = run(&pb, &Sequential, 0, Dropout::NONE, None);
            assert!(
                none.y
                    .iter()
                    .zip(&dropped.y)
                    .any(|(a, b)| (a - b).abs() > 1e-3),
                "{what}"
            );
        }
    }
}

#[test]
fn each_row_of_a_batch_is_that_row_alone_with_its_masks() {
    for (n, kind) in [
        CellKind::Lstm,
        CellKind::Gru,
        CellKind::GruResetBefore,
        CellKind::RnnLeaky,
    ]
    .into_iter()
    .enumerate()
    {
        let spec = StackSpec {
            kind,
            input_size: 3,
            hidden_size: 4,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let (t, b) = (5, 3);
        let mut rng = Rng::new(600 + n as u64);
        let pb = generate(&mut rng, spec, t, b, false, true);
        let (inputs, recs, len) = mask_offsets(&spec, b);
        let masks = random_masks(&mut rng, len, 0.4);
        let all = run(&pb, &Sequential, 0, BOTH, Some(&masks));
        let mut grads = vec![0.0f32; pb.params.len()];
        for row in 0..b {
            // Row `row` alone: its x, gy, states and masks.
            let pick = |v: &[f32], w: usize, groups: usize| -> Vec<f32> {
                (0..groups)
                    .flat_map(|g| v[(g * b + row) * w..(g * b + row + 1) * w].to_vec())
                    .collect()
            };
            let (h, sc) = (spec.hidden_size, spec.state_count());
            let one = Problem {
                batch: 1,
                x: pick(&pb.x, spec.input_size, t),
                gy: pick(&pb.gy, spec.output_size(), t),
                h0: pb.h0.as_deref().map(|v| pick(v, h, sc)),
                c0: pb.c0.as_deref().map(|v| pick(v, h, sc)),
                ghn: pb.ghn.as_deref().map(|v| pick(v, h, sc)),
                gcn: pb.gcn.as_deref().map(|v| pick(v, h, sc)),
                ..pb.clone()
            };
            let mut m1 = Vec::new();
            for (l, &o) in inputs.iter().enumerate() {
                let w = spec.layer_input_size(l);
                m1.extend_from_slice(&masks[o + row * w..o + (row + 1) * w]);
            }
            for &o in &recs {
                m1.extend_from_slice(&masks[o + row * h..o + (row + 1) * h]);
            }
            let r = run(&one, &Sequential, 0, BOTH, Some(&m1));
            let what = format!("{} row {row}", kind.name());
            close(
                &format!("{what}: y"),
                &pick(&all.y, spec.output_size(), t),
                &r.y,
                1e-5,
            );
            close(&format!("{what}: h_n"), &pick(&all.hn, h, sc), &r.hn, 1e-5);
            close(
                &format!("{what}: grad x"),
                &pick(&all.gx, spec.input_size, t),
                &r.gx,
                1e-5,
            );
            close(
                &format!("{what}: grad h0"),
                &pick(&all.gh0, h, sc),
                &r.gh0,
                1e-5,
            );
            for (g, v) in grads.iter_mut().zip(&r.gparams) {
                *g += v;
            }
        }
        close(
            &format!("{}: grad params", kind.name()),
            &grads,
            &all.gparams,
            2e-5,
        );
    }
}

#[test]
fn checkpointed_bptt_with_variational_dropout_gives_the_full_tapes_gradients() {
    let mut case = 0u64;
    for kind in CellKind::ALL {
        for (layers, k, input, recurrent, p) in [
            (1, 3, 0.3, 0.0, 0.0),
            (2, 2, 0.0, 0.4, 0.2),
            (3, 4, 0.25, 0.25, 0.3),
        ] {
            case += 1;
            let spec = StackSpec {
                kind,
                input_size: 5,
                hidden_size: 6,
                num_layers: layers,
                bidirectional: false,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let pb = generate(&mut Rng::new(700 + case), spec, 9, 3, true, case % 2 == 0);
            let dropout = Dropout {
                p,
                seed: 11,
                input,
                recurrent,
            };
            let full = run(&pb, &Sequential, 0, dropout, None);
            let ck = run(&pb, &Sequential, k, dropout, None);
            let what = format!(
                "{} L{layers} k{k} in {input} rec {recurrent} p {p}",
                kind.name()
            );
            for ((name, a), (_, c)) in full.parts().into_iter().zip(ck.parts()) {
                close(&format!("{what}: {name}"), a, c, 2e-5);
            }
        }
    }
}

#[test]
fn drawn_masks_are_reproducible_and_thread_count_independent() {
    for (n, kind) in [CellKind::Lstm, CellKind::Gru, CellKind::GruResetBefore]
        .into_iter()
        .enumerate()
    {
        // Big enough for the GEMMs and the element-wise passes to be cut into tiles.
        let spec = StackSpec {
            kind,
            input_size: 33,
            hidden_size: 64,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let pb = generate(&mut Rng::new(800 + n as u64), spec, 7, 40, true, true);
        let dropout = Dropout {
            p: 0.1,
            seed: 3,
            input: 0.2,
            recurrent: 0.3,
        };
        let one = run(&pb, &Sequential, 0, dropout, None);
        let again = run(&pb, &Sequential, 0, dropout, None);
        let two = run(&pb, &ScopedThreads::new(2), 0, dropout, None);
        for (((name, a), (_, b)), (_, c)) in
            one.parts().into_iter().zip(again.parts()).zip(two.parts())
        {
            assert_eq!(bits(a), bits(b), "{kind:?}: {name} again");
            assert_eq!(bits(a), bits(c), "{kind:?}: {name} two threads");
        }
        let other = run(&pb, &Sequential, 0, Dropout { seed: 4, ..dropout }, None);
        assert_ne!(
            bits(&one.y),
            bits(&other.y),
            "{kind:?}: another seed, other masks"
        );
    }
}

#[test]
fn probabilities_outside_0_1_are_refused_naming_the_option() {
    let spec = StackSpec {
        kind: CellKind::Gru,
        input_size: 2,
        hidden_size: 3,
        num_layers: 1,
        bidirectional: false,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let pb = generate(&mut Rng::new(9), spec, 2, 2, false, false);
    let mut tape = Tape::new(&spec, 2, 2).expect("tape");
    for (dropout, arg) in [
        (
            Dropout {
                input: 1.0,
                ..Dropout::NONE
            },
            "input_dropout",
        ),
        (
            Dropout {
                recurrent: -0.1,
                ..Dropout::NONE
            },
            "recurrent_dropout",
        ),
        (
            Dropout {
                recurrent: f64::NAN,
                ..Dropout::NONE
            },
            "recurrent_dropout",
        ),
    ] {
        let (mut y, mut hn) = (vec![0.0; pb.gy.len()], vec![0.0; 2 * 3]);
        let input = pb.input(Layout::TimeMajor, &pb.x);
        let output = outputs(&mut y, &mut hn, &mut [], false);
        let e = forward_train_masked(
            &Sequential,
            &spec,
            &pb.params,
            &input,
            output,
            &mut tape,
            dropout,
            None,
        )
        .expect_err("refused");
        assert_eq!(e.arg, arg);
    }
}

#[test]
fn masks_are_made_by_the_first_forward_that_uses_them() {
    let spec = StackSpec {
        kind: CellKind::Lstm,
        input_size: 3,
        hidden_size: 4,
        num_layers: 2,
        bidirectional: true,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let (t, b) = (5, 3);
    let pb = generate(&mut Rng::new(10), spec, t, b, false, false);
    let mut tape = Tape::new(&spec, t, b).expect("tape");
    let formula = Tape::floats(&spec, t, b).expect("floats");
    assert_eq!(tape.len_floats(), formula);
    let forward = |tape: &mut Tape, dropout: Dropout| {
        let states = spec.state_count() * b * 4;
        let (mut y, mut hn, mut cn) =
            (vec![0.0; pb.gy.len()], vec![0.0; states], vec![0.0; states]);
        let input = pb.input(Layout::TimeMajor, &pb.x);
        let output = outputs(&mut y, &mut hn, &mut cn, true);
        forward_train_masked(
            &Sequential,
            &spec,
            &pb.params,
            &input,
            output,
            tape,
            dropout,
            None,
        )
        .expect("forward");
    };
    forward(&mut tape, Dropout::between(0.3, 1));
    assert_eq!(
        tape.len_floats(),
        formula,
        "no variational dropout: no masks"
    );
    forward(&mut tape, BOTH);
    // B*(I + (L-1)*D*H + L*D*H) masks and two [B, H] scratches.
    let masks = b * (3 + 8 + 2 * 2 * 4) + 2 * b * 4;
    assert_eq!(tape.len_floats(), formula + masks);
}
