//! Loops inside the stack (issue 13): dropout between stacked layers and checkpointed BPTT.
//!
//! - A stack with dropout computes exactly (same bits) what single-layer stacks with a dropout
//!   call between them compute, which is how the TypeScript layer composed them before.
//! - A checkpointed tape gives the gradients of a full tape (within rounding: its GEMMs run over
//!   a segment's rows), for every unidirectional kind, depth, segment length, with variable
//!   lengths, initial states, state gradients, dropout and step norms; and the same bits for
//!   one and two threads.

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, generate, outputs, Problem, Result as Out};
use common::tol::close;
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{
    backward, backward_recomputing, forward_train, CellKind, Dropout, Layout, SeqGradDiagnostics,
    SeqGradInput, SeqGradOutput, SeqInput, SeqOutput, StackSpec, Tape,
};
use recurrent_core::train::{dropout_backward, dropout_forward};
use recurrent_core::{Parallel, Sequential};

/// Forward + backward of `pb` with a full tape (`k` = 0) or a checkpointed one, with the
/// step norms.
fn run(pb: &Problem, pool: &dyn Parallel, layout: Layout, k: usize, dropout: Dropout) -> Out {
    let o = run::Opts {
        layout,
        k,
        dropout,
        masks: None,
        norms: true,
    };
    run::run_with(pb, pool, o)
}

#[test]
fn checkpointed_backward_gives_the_full_tapes_gradients() {
    let mut case = 0u64;
    for kind in CellKind::ALL {
        for (layers, t, b, k) in [
            (1, 9, 3, 4),
            (2, 11, 2, 3),
            (3, 7, 4, 1),
            (2, 6, 3, 6),
            (2, 5, 2, 50),
        ] {
            for varlen in [false, true] {
                for p in [0.0, 0.4] {
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
                    let pb = generate(&mut Rng::new(case), spec, t, b, varlen, case % 2 == 0);
                    let dropout = Dropout::between(p, 77);
                    let layout = if case % 3 == 0 {
                        Layout::BatchMajor
                    } else {
                        Layout::TimeMajor
                    };
                    let full = run(&pb, &Sequential, layout, 0, dropout);
                    let ck = run(&pb, &Sequential, layout, k, dropout);
                    let what = format!(
                        "{} L{layers} T{t} B{b} k{k} varlen {varlen} p {p} {layout:?}",
                        kind.name()
                    );
                    for (name, a, c) in [
                        ("y", &full.y, &ck.y),
                        ("h_n", &full.hn, &ck.hn),
                        ("c_n", &full.cn, &ck.cn),
                        ("grad params", &full.gparams, &ck.gparams),
                        ("grad x", &full.gx, &ck.gx),
                        ("grad h0", &full.gh0, &ck.gh0),
                        ("grad c0", &full.gc0, &ck.gc0),
                        ("step norms", &full.norms, &ck.norms),
                    ] {
                        close(&format!("{what}: {name}"), a, c, 2e-5);
                    }
                }
            }
        }
    }
}

#[test]
fn checkpointed_bptt_gives_the_same_bits_on_one_and_two_threads() {
    // Big enough for the GEMMs and the element-wise passes to be cut into tiles.
    for (n, kind) in [CellKind::Lstm, CellKind::Gru, CellKind::GruResetBefore]
        .into_iter()
        .enumerate()
    {
        let spec = StackSpec {
            kind,
            input_size: 33,
            hidden_size: 64,
            num_layers: 2,
            bidirectional: false,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let pb = generate(&mut Rng::new(90 + n as u64), spec, 23, 40, true, true);
        let dropout = Dropout::between(0.25, 5);
        let one = run(&pb, &Sequential, Layout::TimeMajor, 5, dropout);
        let two = run(&pb, &ScopedThreads::new(2), Layout::TimeMajor, 5, dropout);
        assert_eq!(bits(&one.gparams), bits(&two.gparams), "{kind:?}");
        assert_eq!(bits(&one.gx), bits(&two.gx), "{kind:?}");
        assert_eq!(bits(&one.y), bits(&two.y), "{kind:?}");
    }
}

/// One layer of `pb`'s stack as a stack of its own (its parameters are a contiguous block).
fn layer_spec(spec: &StackSpec, l: usize) -> StackSpec {
    StackSpec {
        input_size: spec.layer_input_size(l),
        num_layers: 1,
        ..*spec
    }
}

#[test]
fn dropout_between_layers_is_single_layer_stacks_with_dropout_between_them() {
    for (n, (kind, bidirectional)) in [
        (CellKind::Lstm, false),
        (CellKind::Gru, true),
        (CellKind::RnnTanh, false),
    ]
    .into_iter()
    .enumerate()
    {
        let spec = StackSpec {
            kind,
            input_size: 4,
            hidden_size: 5,
            num_layers: 2,
            bidirectional,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let (t, b, p, seed) = (6, 3, 0.3, 1234u32);
        let mut pb = generate(&mut Rng::new(40 + n as u64), spec, t, b, true, false);
        pb.ghn = None;
        pb.gcn = None;
        let dropout = Dropout::between(p, seed);
        let stacked = run(&pb, &Sequential, Layout::TimeMajor, 0, dropout);

        // The same by hand: layer 0, dropout with stream (seed << 32) | 0, layer 1; backward
        // through layer 1, the same mask, layer 0.
        let (s0, s1) = (layer_spec(&spec, 0), layer_spec(&spec, 1));
        let n0 = s0.param_len().expect("spec");
        let (p0, p1) = pb.params.split_at(n0);
        let has_c = kind.has_cell_state();
        let states = s0.state_count() * b * spec.hidden_size;
        let rows = t * b * spec.output_size();
        let lengths = pb.lengths.as_deref();
        let forward = |s: &StackSpec, params: &[f32], x: &[f32], tape: &mut Tape| {
            let mut y = vec![0.0; rows];
            let mut hn = vec![0.0; states];
            let mut cn = vec![0.0; if has_c { states } else { 0 }];
            let input = SeqInput {
                layout: Layout::TimeMajor,
                seq_len: t,
                batch: b,
                x,
                lengths,
                h0: None,
                c0: None,
            };
            let output = SeqOutput {
                y: &mut y,
                h_n: &mut hn,
                c_n: has_c.then_some(&mut cn[..]),
            };
            forward_train(&Sequential, s, params, &input, output, tape).expect("forward");
            (y, hn)
        };
        let mut tape0 = Tape::new(&s0, t, b).expect("tape");
        let mut tape1 = Tape::new(&s1, t, b).expect("tape");
        let (y0, hn0) = forward(&s0, p0, &pb.x, &mut tape0);
        let mut dropped = vec![0.0; rows];
        let mut mask = vec![0u8; rows];
        dropout_forward(&y0, &mut dropped, &mut mask, p, u64::from(seed) << 32).expect("dropout");
        let (y1, hn1) = forward(&s1, p1, &dropped, &mut tape1);
        let mut g1 = vec![0.0; p1.len()];
        let mut gx1 = vec![0.0; rows];
        let gin = SeqGradInput {
            gy: &pb.gy,
            ghn: None,
            gcn: None,
        };
        let gout = SeqGradOutput {
            params: &mut g1,
            x: Some(&mut gx1),
            h0: None,
            c0: None,
        };
        backward(&Sequential, &s1, p1, &mut tape1, &gin, gout).expect("backward");
        let mut gy0 = vec![0.0; rows];
        dropout_backward(&gx1, &mask, p, &mut gy0).expect("dropout");
        let mut g0 = vec![0.0; p0.len()];
        let mut gx0 = vec![0.0; pb.x.len()];
        let gin = SeqGradInput {
            gy: &gy0,
            ghn: None,
            gcn: None,
        };
        let gout = SeqGradOutput {
            params: &mut g0,
            x: Some(&mut gx0),
            h0: None,
            c0: None,
        };
        backward(&Sequential, &s0, p0, &mut tape0, &gin, gout).expect("backward");

        let what = format!("{kind:?} bidirectional {bidirectional}");
        assert_eq!(bits(&stacked.y), bits(&y1), "{what}: y");
        assert_eq!(bits(&stacked.hn), bits(&[hn0, hn1].concat()), "{what}: h_n");
        assert_eq!(
            bits(&stacked.gparams),
            bits(&[g0, g1].concat()),
            "{what}: parameter gradients"
        );
        assert_eq!(bits(&stacked.gx), bits(&gx0), "{what}: input gradient");
    }
}

#[test]
fn a_checkpointed_tape_needs_the_forwards_input_and_a_unidirectional_stack() {
    let spec = StackSpec {
        kind: CellKind::Lstm,
        input_size: 3,
        hidden_size: 4,
        num_layers: 2,
        bidirectional: false,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let pb = generate(&mut Rng::new(3), spec, 5, 2, false, false);
    let mut tape = Tape::checkpointed(&spec, 5, 2, 2).expect("tape");
    let states = spec.state_count() * 2 * 4;
    let (mut y, mut hn, mut cn) = (vec![0.0; pb.gy.len()], vec![0.0; states], vec![0.0; states]);
    let input = pb.input(Layout::TimeMajor, &pb.x);
    let output = outputs(&mut y, &mut hn, &mut cn, true);
    forward_train(&Sequential, &spec, &pb.params, &input, output, &mut tape).expect("forward");
    let mut g = vec![0.0; pb.params.len()];
    let gin = SeqGradInput {
        gy: &pb.gy,
        ghn: None,
        gcn: None,
    };
    let gout = SeqGradOutput {
        params: &mut g,
        x: None,
        h0: None,
        c0: None,
    };
    let err = backward(&Sequential, &spec, &pb.params, &mut tape, &gin, gout).expect_err("no x");
    assert_eq!(err.arg, "x");
    assert!(
        tape.is_recorded(),
        "a refused backward leaves the record alone"
    );
    let gout = SeqGradOutput {
        params: &mut g,
        x: None,
        h0: None,
        c0: None,
    };
    let short = &pb.x[1..];
    let diagnostics = SeqGradDiagnostics::default();
    let err = backward_recomputing(
        &Sequential,
        &spec,
        &pb.params,
        &mut tape,
        short,
        &gin,
        gout,
        diagnostics,
    )
    .expect_err("short x");
    assert_eq!(err.arg, "x");
    let bi = StackSpec {
        bidirectional: true,
        ..spec
    };
    assert_eq!(
        Tape::checkpointed(&bi, 5, 2, 2)
            .map(drop)
            .map_err(|e| e.arg),
        Err("spec")
    );
    assert!(g.iter().all(|&v| v == 0.0), "nothing written");
}
