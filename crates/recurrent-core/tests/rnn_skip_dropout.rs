//! Skip connections (issue 15) with variational recurrent dropout and without biases (issue 14)
//! on the same layers.
//!
//! The recurrent mask `m_h` applies to `h_{t-1}` where `W_hh` reads it; the skip matmul reads
//! `h_{t-d}` unmasked. So for one sequence (B = 1) the dropout run is the stack without dropout
//! whose `W_ih` columns are scaled by `m_x` and `W_hh` columns by `m_h`, with `W_skip` as it is:
//! outputs, states and gradients (`dW = dW' * m` column-wise for `W_ih` and `W_hh`, `dW_skip`,
//! dx and dh0 equal). A skip term that read the masked state would need `W_skip` folded too,
//! and fails this. Checkpointed BPTT gives the full tape's results with drawn masks.

mod common;

use common::rng::Rng;
use common::run::{self, generate, Problem};
use common::tol::close;
use recurrent_core::rnn::{CellKind, Dropout, ParamLayout, ParamRole, StackSpec};
use recurrent_core::Sequential;

/// Outputs and gradients of one training forward + backward (plain RNNs: no cell state).
#[derive(Debug, Clone)]
struct Out {
    y: Vec<f32>,
    hn: Vec<f32>,
    gparams: Vec<f32>,
    gx: Vec<f32>,
    gh0: Vec<f32>,
}

impl Out {
    fn parts(&self) -> [(&'static str, &[f32]); 5] {
        [
            ("y", &self.y),
            ("h_n", &self.hn),
            ("grad params", &self.gparams),
            ("grad x", &self.gx),
            ("grad h0", &self.gh0),
        ]
    }
}

/// Training forward (masks `masks`, or drawn when `None`) and backward, time-major; `k` > 0
/// checkpoints every `k` steps.
fn run(pb: &Problem, k: usize, dropout: Dropout, masks: Option<&[f32]>) -> Out {
    let o = run::Opts {
        k,
        dropout,
        masks,
        ..run::Opts::default()
    };
    let r = run::run_with(pb, &Sequential, o);
    Out {
        y: r.y,
        hn: r.hn,
        gparams: r.gparams,
        gx: r.gx,
        gh0: r.gh0,
    }
}

/// For B = 1: the input mask of each layer, then the recurrent mask of each layer and
/// direction (the order `forward_train_masked` takes), as (input offsets, recurrent, total).
fn mask_offsets(spec: &StackSpec) -> (Vec<usize>, Vec<usize>, usize) {
    let mut at = 0;
    let mut inputs = Vec::new();
    for l in 0..spec.num_layers {
        inputs.push(at);
        at += spec.layer_input_size(l);
    }
    let mut recs = Vec::new();
    for _ in 0..spec.state_count() {
        recs.push(at);
        at += spec.hidden_size;
    }
    (inputs, recs, at)
}

/// Scales the columns of every `W_ih` by its layer's input mask and of every `W_hh` by its
/// recurrent mask; `W_skip` and the rest stay (B = 1).
fn fold_columns(spec: &StackSpec, v: &mut [f32], masks: &[f32]) {
    let (inputs, recs, _) = mask_offsets(spec);
    for t in ParamLayout::new(spec).expect("layout").tensors() {
        let mask = match t.role {
            ParamRole::WeightIh => &masks[inputs[t.layer]..],
            ParamRole::WeightHh => &masks[recs[t.layer * spec.directions() + t.direction]..],
            _ => continue,
        };
        let cols = t.shape[1];
        for (k, x) in v[t.offset..t.offset + t.len()].iter_mut().enumerate() {
            *x *= mask[k % cols];
        }
    }
}

fn random_masks(rng: &mut Rng, n: usize, p: f64) -> Vec<f32> {
    let keep = (1.0 / (1.0 - p)) as f32;
    (0..n)
        .map(|_| if rng.unit() < p { 0.0 } else { keep })
        .collect()
}

const BOTH: Dropout = Dropout {
    p: 0.0,
    seed: 0,
    input: 0.5,
    recurrent: 0.5,
};

#[test]
fn one_sequence_with_masks_is_the_skip_stack_with_masked_w_hh_columns_and_w_skip_as_is() {
    let mut case = 0;
    for kind in [CellKind::RnnTanh, CellKind::RnnRelu] {
        for (layers, bidirectional) in [(1, false), (2, true), (2, false)] {
            for bias in [true, false] {
                for skip in [2, 3, 9] {
                    case += 1;
                    let spec = StackSpec {
                        kind,
                        input_size: 3,
                        hidden_size: 4,
                        num_layers: layers,
                        bidirectional,
                        bias,
                        skip,
                        proj_size: 0,
                    };
                    let what = format!(
                        "{} L{layers} bi {bidirectional} bias {bias} skip {skip}",
                        kind.name()
                    );
                    let mut rng = Rng::new(900 + case);
                    let pb = generate(&mut rng, spec, 7, 1, false, true);
                    let masks = random_masks(&mut rng, mask_offsets(&spec).2, 0.5);
                    let dropped = run(&pb, 0, BOTH, Some(&masks));
                    let mut params = pb.params.clone();
                    fold_columns(&spec, &mut params, &masks);
                    let folded = Problem {
                        params,
                        ..pb.clone()
                    };
                    let plain = run(&folded, 0, Dropout::NONE, None);
                    let mut gparams = plain.gparams.clone();
                    fold_columns(&spec, &mut gparams, &masks);
                    let expected = Out {
                        gparams,
                        ..plain.clone()
                    };
                    for ((name, a), (_, b)) in expected.parts().into_iter().zip(dropped.parts()) {
                        close(&format!("{what}: {name}"), a, b, 2e-5);
                    }
                    // Not vacuous: the masks change the function.
                    let none = run(&pb, 0, Dropout::NONE, None);
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
    }
}

#[test]
fn checkpointed_bptt_with_skip_and_drawn_masks_gives_the_full_tapes_results() {
    for (n, (skip, k, bias)) in [(2, 2, false), (3, 3, true), (5, 4, false)]
        .into_iter()
        .enumerate()
    {
        let spec = StackSpec {
            kind: CellKind::RnnTanh,
            input_size: 3,
            hidden_size: 5,
            num_layers: 2,
            bidirectional: false,
            bias,
            skip,
            proj_size: 0,
        };
        let mut rng = Rng::new(950 + n as u64);
        let pb = generate(&mut rng, spec, 10, 3, true, true);
        let dropout = Dropout {
            p: 0.2,
            seed: 77 + n as u32,
            input: 0.3,
            recurrent: 0.4,
        };
        let full = run(&pb, 0, dropout, None);
        let ck = run(&pb, k, dropout, None);
        let what = format!("skip {skip} k {k} bias {bias}");
        for ((name, a), (_, b)) in full.parts().into_iter().zip(ck.parts()) {
            close(&format!("{what}: {name}"), a, b, 1e-5);
        }
        assert!(full.gparams.iter().all(|g| g.is_finite()), "{what}");
    }
}
