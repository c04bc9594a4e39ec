//! Skip connections through time (issue 15), beyond the PyTorch cases of `families_skip.rs`:
//! the same bits on one and two threads (full and checkpointed tapes); the inference forward
//! equals the training forward; streaming steps with the carried history equal the sequence
//! forward; variable lengths in the forward direction are each sequence alone; bad delays are
//! refused naming `skip`.

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, Problem};
use recurrent_core::gemm::DIRECT_MAX_M;
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{
    forward_infer, step, step_with_history, CellKind, InferScratch, Layout, StackSpec, StepScratch,
    Tape, MAX_SKIP,
};
use recurrent_core::Sequential;

fn spec(kind: CellKind, i: usize, h: usize, layers: usize, bi: bool, skip: usize) -> StackSpec {
    StackSpec {
        skip,
        ..common::spec(kind, i, h, layers, bi)
    }
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    // The second shape cuts the GEMMs into several tiles and the element-wise pass by rows.
    for (n, (kind, layers, bi, (t, b, i, h), d, k)) in [
        (CellKind::RnnTanh, 2, true, (9, 5, 7, 6), 3, 0),
        (CellKind::RnnTanh, 1, false, (12, 300, 33, 128), 4, 0),
        (CellKind::RnnLeaky, 2, false, (11, 40, 5, 24), 2, 3),
        (CellKind::RnnTanh, 2, false, (13, 64, 9, 40), 5, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let s = spec(kind, i, h, layers, bi, d);
        let pb = run::generate(&mut Rng::new(40 + n as u64), s, t, b, true, true);
        let one = run::run_checkpointed(&pb, &Sequential, Layout::TimeMajor, k);
        let two = run::run_checkpointed(&pb, &ScopedThreads::new(2), Layout::TimeMajor, k);
        assert_eq!(bits(&one.y), bits(&two.y), "case {n}: y");
        assert_eq!(bits(&one.hn), bits(&two.hn), "case {n}: h_n");
        assert_eq!(bits(&one.gparams), bits(&two.gparams), "case {n}: grads");
        assert_eq!(bits(&one.gx), bits(&two.gx), "case {n}: grad x");
        assert_eq!(bits(&one.gh0), bits(&two.gh0), "case {n}: grad h0");
    }
}

/// (y, h_n) of an inference forward, time-major input.
fn infer(pb: &Problem) -> (Vec<f32>, Vec<f32>) {
    let s = &pb.spec;
    let mut y = vec![f32::NAN; pb.seq_len * pb.batch * s.output_size()];
    let mut hn = vec![f32::NAN; s.state_count() * pb.batch * s.hidden_size];
    let mut scratch = InferScratch::new(s, pb.seq_len, pb.batch).expect("scratch");
    let out = run::outputs(&mut y, &mut hn, &mut [], false);
    forward_infer(
        &Sequential,
        s,
        &pb.params,
        &pb.input(Layout::TimeMajor, &pb.x),
        out,
        &mut scratch,
    )
    .expect("forward_infer");
    (y, hn)
}

#[test]
fn the_inference_forward_equals_the_training_forward() {
    // T long enough for several projection chunks at B = 3 (chunks of ceil(256 / 3) steps).
    for (bi, d) in [(false, 2), (true, 5), (true, 300)] {
        let s = spec(CellKind::RnnTanh, 4, 6, 2, bi, d);
        let pb = run::generate(&mut Rng::new(7), s, 200, 3, true, true);
        let train = run::run(&pb, &Sequential, Layout::TimeMajor);
        let (y, hn) = infer(&pb);
        assert_eq!(bits(&y), bits(&train.y), "bi={bi} d={d}: y");
        assert_eq!(bits(&hn), bits(&train.hn), "bi={bi} d={d}: h_n");
    }
}

#[test]
fn streaming_with_the_carried_history_equals_the_sequence_forward() {
    for (b, d) in [(DIRECT_MAX_M + 2, 3), (DIRECT_MAX_M + 1, 2), (1, 4)] {
        let (t, i, h, layers) = (11, 3, 5, 2);
        let s = spec(CellKind::RnnTanh, i, h, layers, false, d);
        let pb = run::generate(&mut Rng::new(b as u64), s, t, b, false, true);
        let (y, hn) = infer(&pb);
        let h0 = pb.h0.clone().expect("h0");
        let mut state = h0.clone();
        // The history before the first step is the initial state, as in the forward.
        let bh = b * h;
        let mut hist = vec![0.0; layers * (d - 1) * bh];
        for l in 0..layers {
            for j in 0..d - 1 {
                let at = (l * (d - 1) + j) * bh;
                hist[at..at + bh].copy_from_slice(&h0[l * bh..(l + 1) * bh]);
            }
        }
        let mut scratch = StepScratch::new(&s, b).expect("scratch");
        let mut ys = Vec::new();
        let mut out = vec![0.0; bh];
        for step_t in 0..t {
            let x = &pb.x[step_t * b * i..(step_t + 1) * b * i];
            let hist = Some(&mut hist[..]);
            step_with_history(
                &Sequential,
                &s,
                &pb.params,
                x,
                &mut state,
                None,
                hist,
                &mut out,
                &mut scratch,
            )
            .expect("step");
            ys.extend_from_slice(&out);
        }
        if b > DIRECT_MAX_M {
            assert_eq!(bits(&ys), bits(&y), "B={b} d={d}: y");
            assert_eq!(bits(&state), bits(&hn), "B={b} d={d}: h_n");
        } else {
            // The projection takes the GEMM's direct path for so few rows (see `stream`).
            for (a, e) in ys.iter().zip(&y) {
                assert!(
                    (a - e).abs() <= 1e-5 * (1.0 + e.abs()),
                    "B={b} d={d}: {a} vs {e}"
                );
            }
        }
        // Without the history a skip stack cannot step.
        let err = step(
            &Sequential,
            &s,
            &pb.params,
            &pb.x[..b * i],
            &mut state,
            None,
            &mut out,
            &mut scratch,
        )
        .expect_err("history required");
        assert_eq!(err.arg, "hist");
    }
}

#[test]
fn a_forward_variable_length_batch_is_each_sequence_alone() {
    let (t, b, i, h, d) = (9, 4, 3, 5, 3);
    let s = spec(CellKind::RnnTanh, i, h, 2, false, d);
    let mut pb = run::generate(&mut Rng::new(11), s, t, b, false, true);
    pb.lengths = Some(vec![9, 2, 6, 4]);
    let all = run::run(&pb, &Sequential, Layout::TimeMajor);
    for (bb, &len) in [9usize, 2, 6, 4].iter().enumerate() {
        let w = s.output_size();
        let one = Problem {
            seq_len: len,
            batch: 1,
            x: (0..len)
                .flat_map(|tt| pb.x[(tt * b + bb) * i..(tt * b + bb + 1) * i].to_vec())
                .collect(),
            lengths: None,
            h0: pb.h0.as_ref().map(|h0| {
                (0..2)
                    .flat_map(|l| h0[(l * b + bb) * h..(l * b + bb + 1) * h].to_vec())
                    .collect()
            }),
            gy: (0..len)
                .flat_map(|tt| pb.gy[(tt * b + bb) * w..(tt * b + bb + 1) * w].to_vec())
                .collect(),
            ghn: pb.ghn.as_ref().map(|g| {
                (0..2)
                    .flat_map(|l| g[(l * b + bb) * h..(l * b + bb + 1) * h].to_vec())
                    .collect()
            }),
            ..pb.clone()
        };
        let alone = run::run(&one, &Sequential, Layout::TimeMajor);
        let close = |what: &str, a: &[f32], e: &[f32]| {
            for (a, e) in a.iter().zip(e) {
                assert!(
                    (a - e).abs() <= 1e-5 * (1.0 + e.abs()),
                    "b={bb} {what}: {a} vs {e}"
                );
            }
        };
        let y: Vec<f32> = (0..len)
            .flat_map(|tt| all.y[(tt * b + bb) * w..(tt * b + bb + 1) * w].to_vec())
            .collect();
        close("y", &y, &alone.y);
        for tt in len..t {
            assert!(all.y[(tt * b + bb) * w..(tt * b + bb + 1) * w]
                .iter()
                .all(|&v| v == 0.0));
        }
        for l in 0..2 {
            let at = (l * b + bb) * h;
            close("h_n", &all.hn[at..at + h], &alone.hn[l * h..(l + 1) * h]);
            close(
                "grad h0",
                &all.gh0[at..at + h],
                &alone.gh0[l * h..(l + 1) * h],
            );
        }
    }
}

#[test]
fn bad_delays_are_refused_naming_skip() {
    for (kind, d) in [
        (CellKind::RnnTanh, 1),
        (CellKind::RnnTanh, MAX_SKIP + 1),
        (CellKind::Gru, 2),
        (CellKind::Lstm, 3),
    ] {
        let s = spec(kind, 2, 3, 1, false, d);
        assert_eq!(
            s.validate().map_err(|e| e.arg),
            Err("skip"),
            "{kind:?} d={d}"
        );
        assert!(Tape::new(&s, 4, 2).is_err());
        assert!(StepScratch::new(&s, 2).is_err());
    }
    let ok = spec(CellKind::RnnRelu, 2, 3, 1, false, MAX_SKIP);
    assert_eq!(ok.validate(), Ok(()));
    // A stack without a skip connection takes no history.
    let plain = spec(CellKind::RnnTanh, 2, 3, 1, false, 0);
    let params = vec![0.1; plain.param_len().expect("len")];
    let mut scratch = StepScratch::new(&plain, 1).expect("scratch");
    let (mut hs, mut y, mut hist) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
    let err = step_with_history(
        &Sequential,
        &plain,
        &params,
        &[1.0, 2.0],
        &mut hs,
        None,
        Some(&mut hist),
        &mut y,
        &mut scratch,
    )
    .expect_err("no history for a plain stack");
    assert_eq!(err.arg, "hist");
}

#[test]
fn a_delay_past_the_sequence_costs_what_t_plus_one_does_and_computes_the_same() {
    // Every state the skip term reads is h0 once d > T-1; the rings keep min(d, T+1) slots.
    let (t, b, i, h) = (7, 6, 3, 5);
    let base = spec(CellKind::RnnTanh, i, h, 2, true, t + 1);
    let pb = run::generate(&mut Rng::new(21), base, t, b, true, true);
    let reference = run::run(&pb, &Sequential, Layout::TimeMajor);
    for d in [t + 2, 100, MAX_SKIP] {
        let s = StackSpec { skip: d, ..base };
        assert_eq!(Tape::floats(&s, t, b), Tape::floats(&base, t, b), "d={d}");
        let other = run::run(
            &Problem {
                spec: s,
                ..pb.clone()
            },
            &Sequential,
            Layout::TimeMajor,
        );
        assert_eq!(bits(&other.y), bits(&reference.y), "d={d}: y");
        assert_eq!(
            bits(&other.gparams),
            bits(&reference.gparams),
            "d={d}: grads"
        );
        assert_eq!(bits(&other.gh0), bits(&reference.gh0), "d={d}: grad h0");
        let uni = StackSpec {
            skip: d,
            bidirectional: false,
            ..base
        };
        let uni_base = StackSpec {
            bidirectional: false,
            ..base
        };
        assert_eq!(
            Tape::checkpointed_floats(&uni, t, b, 2),
            Tape::checkpointed_floats(&uni_base, t, b, 2),
            "d={d}: checkpointed"
        );
    }
}
