//! Per-step gradient norms of BPTT (`SeqGradDiagnostics::step_norms`): against `dL/dh_t` of
//! the f64 reference, thread-count independence, no effect on the gradients, argument checks.
//!
//! The reference exposes only the gradients of a whole stack's inputs and initial states, so
//! `dL/dh_t` of layer l, direction d, sequence b is assembled from whole-stack calls, with
//! nothing taken from the crate's drivers:
//!
//! * `dL/dy_l` (gradient of layer l's output): the caller's `gy` for the top layer, else the
//!   input gradient of the stack of layers `l+1..L` run on layer l's output;
//! * then, per sequence, one direction as a one-layer unidirectional stack (the reverse one on
//!   the time-reversed sequence): `dL/dh_s = dL/dy_l[s] + dL/dh0` of the same stack restarted
//!   at step s+1 from the state `h_s` (and `c_s`) reached at step s, or `+ dL/dh_n` at the last
//!   step. A state reaches the loss only through its output and the next step, so this is the
//!   total gradient.

mod common;

use common::reference;
use common::rng::Rng;
use common::run::{self, Problem};
use common::tol;
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{
    backward, backward_with_diagnostics, forward_train, CellKind, Layout, SeqGradDiagnostics,
    SeqGradInput, SeqGradOutput, StackSpec, Tape,
};
use recurrent_core::{Parallel, Sequential};

/// What one forward + backward with diagnostics returns.
struct Out {
    norms: Vec<f32>,
    gparams: Vec<f32>,
    gx: Vec<f32>,
    gh0: Vec<f32>,
}

/// Runs the crate's stack on `pb` (given time-major) in `layout`, with or without norms.
fn run_norms(pb: &Problem, pool: &dyn Parallel, layout: Layout, with_norms: bool) -> Out {
    let spec = &pb.spec;
    let (t, b) = (pb.seq_len, pb.batch);
    let conv = |v: &[f32], w: usize| match layout {
        Layout::BatchMajor => run::transpose_tb(v, t, b, w, true),
        Layout::TimeMajor => v.to_vec(),
    };
    let has_c = spec.kind.has_cell_state();
    let states = spec.state_count() * b * spec.hidden_size;
    let (x, gy) = (
        conv(&pb.x, spec.input_size),
        conv(&pb.gy, spec.output_size()),
    );
    let mut y = vec![0.0; pb.gy.len()];
    let (mut hn, mut cn) = (vec![0.0; states], vec![0.0; if has_c { states } else { 0 }]);
    let mut tape = Tape::new(spec, t, b).expect("tape");
    let input = pb.input(layout, &x);
    let output = run::outputs(&mut y, &mut hn, &mut cn, has_c);
    forward_train(pool, spec, &pb.params, &input, output, &mut tape).expect("forward");
    let mut out = Out {
        norms: vec![f32::NAN; spec.num_layers * spec.directions() * t],
        gparams: vec![0.0; pb.params.len()],
        gx: vec![f32::NAN; pb.x.len()],
        gh0: vec![f32::NAN; states],
    };
    let gin = pb.grad_input(&gy);
    let gout = SeqGradOutput {
        params: &mut out.gparams,
        x: Some(&mut out.gx),
        h0: Some(&mut out.gh0),
        c0: None,
    };
    let diagnostics = SeqGradDiagnostics {
        step_norms: with_norms.then_some(&mut out.norms[..]),
    };
    backward_with_diagnostics(pool, spec, &pb.params, &mut tape, &gin, gout, diagnostics)
        .expect("backward");
    out
}

/// Offset of layer `l`'s parameters in the flat buffer.
fn layer_offset(spec: &StackSpec, l: usize) -> usize {
    match l {
        0 => 0,
        _ => StackSpec {
            num_layers: l,
            ..*spec
        }
        .param_len()
        .expect("spec"),
    }
}

fn layer_input(spec: &StackSpec, l: usize) -> usize {
    if l == 0 {
        spec.input_size
    } else {
        spec.output_size()
    }
}

/// Layers `from..to` of `rp` as a stack of their own, run on `x` with upstream `gy`.
fn sub_stack(
    rp: &reference::Problem,
    spec: &StackSpec,
    from: usize,
    to: usize,
    x: Vec<f64>,
    gy: Vec<f64>,
) -> reference::Problem {
    let per_layer = spec.directions() * rp.batch * spec.hidden_size;
    let states = |v: &[f64]| v[from * per_layer..to * per_layer].to_vec();
    reference::Problem {
        spec: reference::Spec {
            input: layer_input(spec, from),
            layers: to - from,
            ..rp.spec.clone()
        },
        params: rp.params[layer_offset(spec, from)..layer_offset(spec, to)].to_vec(),
        x,
        h0: rp.h0.as_deref().map(states),
        c0: rp.c0.as_deref().map(states),
        gy,
        ghn: states(&rp.ghn),
        gcn: if rp.gcn.is_empty() {
            vec![]
        } else {
            states(&rp.gcn)
        },
        ..rp.clone()
    }
}

/// One direction of one layer over one sequence, as a one-layer unidirectional stack of
/// batch 1; `steps` in the direction's processing order.
struct OneDir {
    spec: reference::Spec,
    params: Vec<f64>,
    /// Per step: input, and gradient of the direction's output.
    x: Vec<Vec<f64>>,
    gy: Vec<Vec<f64>>,
    h0: Vec<f64>,
    c0: Vec<f64>,
    ghn: Vec<f64>,
    gcn: Vec<f64>,
}

impl OneDir {
    /// Steps `range` from state (`h0`, `c0`) as a reference problem.
    fn problem(&self, range: std::ops::Range<usize>, h0: &[f64], c0: &[f64]) -> reference::Problem {
        reference::Problem {
            spec: self.spec.clone(),
            seq_len: range.len(),
            batch: 1,
            params: self.params.clone(),
            x: self.x[range.clone()].concat(),
            lengths: None,
            h0: Some(h0.to_vec()),
            c0: (!c0.is_empty()).then(|| c0.to_vec()),
            gy: self.gy[range].concat(),
            ghn: self.ghn.clone(),
            gcn: self.gcn.clone(),
        }
    }

    /// `dL/dh_s` for every step s, in processing order.
    fn state_gradients(&self) -> Vec<Vec<f64>> {
        let n = self.x.len();
        (0..n)
            .map(|s| {
                let carried = if s + 1 < n {
                    let head = reference::forward(&self.problem(0..s + 1, &self.h0, &self.c0));
                    reference::backward(&self.problem(s + 1..n, &head.hn, &head.cn)).h0
                } else {
                    self.ghn.clone()
                };
                carried
                    .iter()
                    .zip(&self.gy[s])
                    .map(|(a, b)| a + b)
                    .collect()
            })
            .collect()
    }
}

/// `[L, D, T]` norms of the reference's `dL/dh_t`.
fn reference_norms(pb: &Problem) -> Vec<f64> {
    let spec = &pb.spec;
    let rp = run::to_reference(pb);
    let (t_len, batch, h, dirs) = (pb.seq_len, pb.batch, spec.hidden_size, spec.directions());
    let layers = spec.num_layers;
    let mut sums = vec![0.0f64; layers * dirs * t_len];
    let zeros = |n: usize| vec![0.0; n];
    for l in 0..layers {
        let width = layer_input(spec, l);
        let x_l = match l {
            0 => rp.x.clone(),
            _ => {
                let gy = zeros(t_len * batch * spec.output_size());
                reference::forward(&sub_stack(&rp, spec, 0, l, rp.x.clone(), gy)).y
            }
        };
        let gy_l = if l + 1 == layers {
            rp.gy.clone()
        } else {
            let gy = zeros(t_len * batch * spec.output_size());
            let y_l = reference::forward(&sub_stack(&rp, spec, 0, l + 1, rp.x.clone(), gy)).y;
            reference::backward(&sub_stack(&rp, spec, l + 1, layers, y_l, rp.gy.clone())).x
        };
        let one = StackSpec {
            input_size: width,
            num_layers: 1,
            bidirectional: false,
            ..*spec
        };
        let dir_len = one.param_len().expect("spec");
        for d in 0..dirs {
            let k = l * dirs + d;
            let start = layer_offset(spec, l) + d * dir_len;
            let state = |v: &Option<Vec<f64>>, b: usize| match v {
                Some(v) if !v.is_empty() => {
                    v[(k * batch + b) * h..(k * batch + b + 1) * h].to_vec()
                }
                _ => zeros(h),
            };
            for b in 0..batch {
                let n = rp.lengths.as_ref().map_or(t_len, |len| len[b]);
                // Natural step of processing step s.
                let at = |s: usize| if d == 0 { s } else { n - 1 - s };
                let has_c = spec.kind.has_cell_state();
                let dir = OneDir {
                    spec: reference::Spec {
                        input: width,
                        layers: 1,
                        bidirectional: false,
                        ..rp.spec.clone()
                    },
                    params: rp.params[start..start + dir_len].to_vec(),
                    x: (0..n)
                        .map(|s| {
                            let r = at(s) * batch + b;
                            x_l[r * width..(r + 1) * width].to_vec()
                        })
                        .collect(),
                    gy: (0..n)
                        .map(|s| {
                            let r = (at(s) * batch + b) * dirs * h + d * h;
                            gy_l[r..r + h].to_vec()
                        })
                        .collect(),
                    h0: state(&rp.h0, b),
                    c0: if has_c { state(&rp.c0, b) } else { vec![] },
                    ghn: state(&Some(rp.ghn.clone()), b),
                    gcn: if has_c {
                        state(&Some(rp.gcn.clone()), b)
                    } else {
                        vec![]
                    },
                };
                for (s, g) in dir.state_gradients().iter().enumerate() {
                    sums[k * t_len + at(s)] += g.iter().map(|v| v * v).sum::<f64>();
                }
            }
        }
    }
    sums.into_iter().map(f64::sqrt).collect()
}

fn spec(kind: CellKind, layers: usize, bidirectional: bool) -> StackSpec {
    common::spec(kind, 4, 3, layers, bidirectional)
}

#[test]
fn norms_match_the_reference_state_gradients() {
    let configs = [(1, false), (1, true), (2, false), (2, true)];
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        for (c, &(layers, bi)) in configs.iter().enumerate() {
            let mut rng = Rng::new(1000 + (k * 10 + c) as u64);
            let mut pb = run::generate(&mut rng, spec(kind, layers, bi), 5, 3, true, true);
            if c % 2 == 1 {
                // No sequence reaches the last step: its norms are exactly 0.
                pb.lengths = Some(vec![2, 4, 3]);
            }
            let expected = reference_norms(&pb);
            for layout in [Layout::TimeMajor, Layout::BatchMajor] {
                let got = run_norms(&pb, &Sequential, layout, true).norms;
                let what = format!("{} L={layers} bi={bi} {layout:?}", kind.name());
                let usage = tol::usage(&tol::to_f64(&got), &expected, (1e-5, 1e-4));
                assert!(
                    usage <= 1.0,
                    "{what}: norms {got:?} vs reference {expected:?} (tolerance usage {usage:.2})"
                );
                for (i, (&g, &e)) in got.iter().zip(&expected).enumerate() {
                    assert_eq!(g == 0.0, e == 0.0, "{what}: norm {i} is {g}, reference {e}");
                }
                if c % 2 == 1 {
                    for kd in 0..layers * if bi { 2 } else { 1 } {
                        assert_eq!(got[kd * 5 + 4], 0.0, "{what}: padded step not 0");
                    }
                }
            }
        }
    }
}

#[test]
fn norms_are_the_same_bits_on_two_threads_and_leave_gradients_alone() {
    // One shape whose element-wise passes and GEMMs are cut into tiles.
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        let spec = StackSpec {
            kind,
            input_size: 5,
            hidden_size: 128,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let mut rng = Rng::new(2000 + k as u64);
        let pb = run::generate(&mut rng, spec, 3, 256, true, true);
        let one = run_norms(&pb, &Sequential, Layout::TimeMajor, true);
        let two = run_norms(&pb, &ScopedThreads::new(2), Layout::TimeMajor, true);
        let plain = run_norms(&pb, &Sequential, Layout::TimeMajor, false);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let name = kind.name();
        assert!(
            one.norms.iter().all(|v| v.is_finite() && *v > 0.0),
            "{name}"
        );
        assert_eq!(
            bits(&one.norms),
            bits(&two.norms),
            "{name}: norms, 1 vs 2 threads"
        );
        for (what, with, without) in [
            ("params", &one.gparams, &plain.gparams),
            ("x", &one.gx, &plain.gx),
            ("h0", &one.gh0, &plain.gh0),
        ] {
            assert_eq!(
                bits(with),
                bits(without),
                "{name}: grad {what} changed by norms"
            );
        }
    }
}

#[test]
fn wrong_norms_length_is_refused_before_the_tape_is_used() {
    let spec = spec(CellKind::Gru, 2, true);
    let mut rng = Rng::new(7);
    let pb = run::generate(&mut rng, spec, 5, 3, false, false);
    let pool = &Sequential;
    let mut tape = Tape::new(&spec, 5, 3).expect("tape");
    let states = spec.state_count() * 3 * spec.hidden_size;
    let (mut y, mut hn) = (vec![0.0; pb.gy.len()], vec![0.0; states]);
    let input = pb.input(Layout::TimeMajor, &pb.x);
    let output = run::outputs(&mut y, &mut hn, &mut [], false);
    forward_train(pool, &spec, &pb.params, &input, output, &mut tape).expect("forward");
    let gin = SeqGradInput {
        gy: &pb.gy,
        ghn: None,
        gcn: None,
    };
    let mut grads = vec![0.0; pb.params.len()];
    for len in [2 * 2 * 5 - 1, 2 * 2 * 5 + 1, 2 * 5] {
        let mut norms = vec![0.0; len];
        let err = backward_with_diagnostics(
            pool,
            &spec,
            &pb.params,
            &mut tape,
            &gin,
            SeqGradOutput {
                params: &mut grads,
                x: None,
                h0: None,
                c0: None,
            },
            SeqGradDiagnostics {
                step_norms: Some(&mut norms),
            },
        )
        .expect_err("wrong length");
        assert_eq!(err.arg, "diagnostics.step_norms", "{err}");
    }
    assert!(
        grads.iter().all(|&g| g == 0.0),
        "a refused call wrote gradients"
    );
    // The tape is still usable.
    let out = SeqGradOutput {
        params: &mut grads,
        x: None,
        h0: None,
        c0: None,
    };
    backward(pool, &spec, &pb.params, &mut tape, &gin, out).expect("backward after refusals");
}
