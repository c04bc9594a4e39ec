//! Bad sizes and misuse give a `CoreError` naming the argument, never a panic.

mod common;

use recurrent_core::rnn::{
    backward, forward_infer, forward_train, step, CellKind, InferScratch, Layout, SeqGradInput,
    SeqGradOutput, SeqInput, SeqOutput, StackSpec, StepScratch, Tape,
};
use recurrent_core::{CoreError, Sequential};

const T: usize = 4;
const B: usize = 3;

fn spec(kind: CellKind) -> StackSpec {
    common::spec(kind, 2, 3, 2, true)
}

/// Correctly sized buffers for `spec(kind)`.
struct Bufs {
    params: Vec<f32>,
    x: Vec<f32>,
    states: Vec<f32>,
    y: Vec<f32>,
    hn: Vec<f32>,
    cn: Vec<f32>,
    lengths: Vec<u32>,
}

fn bufs(kind: CellKind) -> Bufs {
    let s = spec(kind);
    let states = s.state_count() * B * s.hidden_size;
    Bufs {
        params: vec![0.01; s.param_len().expect("valid")],
        x: vec![0.5; T * B * s.input_size],
        states: vec![0.1; states],
        y: vec![0.0; T * B * s.output_size()],
        hn: vec![0.0; states],
        cn: vec![0.0; states],
        lengths: vec![T as u32, 1, 2],
    }
}

/// Replacements for some of the arguments of a correct call.
#[derive(Default)]
struct Edit<'a> {
    x: Option<&'a [f32]>,
    h0: Option<&'a [f32]>,
    c0: Option<&'a [f32]>,
    lengths: Option<&'a [u32]>,
    seq_len: Option<usize>,
    batch: Option<usize>,
    y_len: Option<usize>,
}

/// Runs forward_train on correct arguments but those in `edit`.
fn forward_arg(kind: CellKind, edit: Edit<'_>) -> Result<(), CoreError> {
    let s = spec(kind);
    let mut b = bufs(kind);
    let has_c = kind.has_cell_state();
    let mut tape = Tape::new(&s, T, B).expect("tape");
    let input = SeqInput {
        layout: Layout::TimeMajor,
        seq_len: edit.seq_len.unwrap_or(T),
        batch: edit.batch.unwrap_or(B),
        x: edit.x.unwrap_or(&b.x),
        lengths: Some(edit.lengths.unwrap_or(&b.lengths)),
        h0: Some(edit.h0.unwrap_or(&b.states)),
        c0: edit.c0.or(has_c.then_some(&b.states[..])),
    };
    let y_len = edit.y_len.unwrap_or(b.y.len());
    let out = SeqOutput {
        y: &mut b.y[..y_len],
        h_n: &mut b.hn,
        c_n: has_c.then_some(&mut b.cn[..]),
    };
    forward_train(&Sequential, &s, &b.params, &input, out, &mut tape)
}

fn arg_of(r: Result<(), CoreError>) -> &'static str {
    r.expect_err("must be refused").arg
}

#[test]
fn forward_names_the_bad_argument() {
    let x_short = vec![0.0; 5];
    let short = vec![0.0; 7];
    let too_long = vec![T as u32 + 1, 1, 1];
    let few = vec![1u32, 1];
    let x_long = vec![0.0; (T + 1) * B * 2];
    let h0 = vec![0.0; 2 * 2 * B * 3];
    let cases = [
        (
            CellKind::Lstm,
            Edit {
                x: Some(&x_short),
                ..Edit::default()
            },
            "x",
        ),
        (
            CellKind::Lstm,
            Edit {
                h0: Some(&short),
                ..Edit::default()
            },
            "h0",
        ),
        (
            CellKind::Lstm,
            Edit {
                c0: Some(&short),
                ..Edit::default()
            },
            "c0",
        ),
        (
            CellKind::Gru,
            Edit {
                c0: Some(&h0),
                ..Edit::default()
            },
            "c0",
        ),
        (
            CellKind::Lstm,
            Edit {
                lengths: Some(&too_long),
                ..Edit::default()
            },
            "lengths",
        ),
        (
            CellKind::Lstm,
            Edit {
                lengths: Some(&few),
                ..Edit::default()
            },
            "lengths",
        ),
        (
            CellKind::Lstm,
            Edit {
                y_len: Some(3),
                ..Edit::default()
            },
            "y",
        ),
        // x sized for T+1 steps: y (sized for T) is then at fault.
        (
            CellKind::RnnTanh,
            Edit {
                x: Some(&x_long),
                seq_len: Some(T + 1),
                ..Edit::default()
            },
            "y",
        ),
        (
            CellKind::RnnTanh,
            Edit {
                batch: Some(0),
                ..Edit::default()
            },
            "batch",
        ),
    ];
    for (kind, edit, arg) in cases {
        assert_eq!(arg_of(forward_arg(kind, edit)), arg);
    }
    assert!(forward_arg(CellKind::Lstm, Edit::default()).is_ok());
}

#[test]
fn outputs_params_tapes_and_specs_are_checked() {
    let s = spec(CellKind::Lstm);
    let b = bufs(CellKind::Lstm);
    let input = SeqInput {
        layout: Layout::BatchMajor,
        seq_len: T,
        batch: B,
        x: &b.x,
        lengths: None,
        h0: None,
        c0: None,
    };
    let run = |params: &[f32], with_c: bool, hn_len: usize, tape: &mut Tape| {
        let (mut y, mut hn, mut cn) = (b.y.clone(), vec![0.0; hn_len], b.cn.clone());
        let out = SeqOutput {
            y: &mut y,
            h_n: &mut hn,
            c_n: with_c.then_some(&mut cn[..]),
        };
        forward_train(&Sequential, &s, params, &input, out, tape)
    };
    let mut tape = Tape::new(&s, T, B).expect("tape");
    assert_eq!(
        arg_of(run(&b.params[1..], true, b.hn.len(), &mut tape)),
        "params"
    );
    assert_eq!(arg_of(run(&b.params, false, b.hn.len(), &mut tape)), "c_n");
    assert_eq!(arg_of(run(&b.params, true, 1, &mut tape)), "h_n");
    let mut small = Tape::new(&s, T - 1, B).expect("tape");
    assert_eq!(
        arg_of(run(&b.params, true, b.hn.len(), &mut small)),
        "seq_len"
    );
    let mut other = Tape::new(&spec(CellKind::LstmCifg), T, B).expect("tape");
    assert_eq!(arg_of(run(&b.params, true, b.hn.len(), &mut other)), "tape");
    // Inference scratch is checked the same way.
    let mut scratch = InferScratch::new(&s, T, B - 1).expect("scratch");
    let (mut y, mut hn, mut cn) = (b.y.clone(), b.hn.clone(), b.cn.clone());
    let out = SeqOutput {
        y: &mut y,
        h_n: &mut hn,
        c_n: Some(&mut cn),
    };
    assert_eq!(
        arg_of(forward_infer(
            &Sequential,
            &s,
            &b.params,
            &input,
            out,
            &mut scratch
        )),
        "batch"
    );
    // Specs.
    let bad = StackSpec {
        hidden_size: 0,
        ..s
    };
    assert_eq!(
        Tape::new(&bad, T, B).map(|_| ()).expect_err("refused").arg,
        "hidden_size"
    );
    let huge = StackSpec {
        input_size: usize::MAX / 8,
        ..s
    };
    assert!(huge.validate().is_err());
    assert!(Tape::new(&s, usize::MAX / 2, B).is_err());
    assert!(
        Tape::new(&s, 1 << 40, 1 << 10).is_err(),
        "an impossible allocation is an error, not an abort"
    );
    assert!(InferScratch::new(&s, 0, B).is_err());
}

#[test]
fn backward_checks_its_arguments_and_consumes_the_tape() {
    for kind in [CellKind::Gru, CellKind::LstmPeephole] {
        let s = spec(kind);
        let mut b = bufs(kind);
        let has_c = kind.has_cell_state();
        let mut tape = Tape::new(&s, T, B).expect("tape");
        let gy = vec![1.0; b.y.len()];
        let mut grads = vec![0.0; b.params.len()];
        let back =
            |tape: &mut Tape, gy: &[f32], gcn: Option<&[f32]>, grads: &mut [f32], gx_len: usize| {
                let mut gx = vec![0.0; gx_len];
                let input = SeqGradInput { gy, ghn: None, gcn };
                let out = SeqGradOutput {
                    params: grads,
                    x: Some(&mut gx),
                    h0: None,
                    c0: None,
                };
                backward(&Sequential, &s, &b.params, tape, &input, out)
            };
        assert_eq!(
            arg_of(back(&mut tape, &gy, None, &mut grads, b.x.len())),
            "tape",
            "nothing recorded yet"
        );
        let input = SeqInput {
            layout: Layout::TimeMajor,
            seq_len: T,
            batch: B,
            x: &b.x,
            lengths: None,
            h0: None,
            c0: None,
        };
        let out = SeqOutput {
            y: &mut b.y,
            h_n: &mut b.hn,
            c_n: has_c.then_some(&mut b.cn[..]),
        };
        forward_train(&Sequential, &s, &b.params, &input, out, &mut tape).expect("forward");
        assert_eq!(
            arg_of(back(&mut tape, &gy[1..], None, &mut grads, b.x.len())),
            "gy"
        );
        assert_eq!(
            arg_of(back(&mut tape, &gy, None, &mut grads[1..], b.x.len())),
            "grads.params"
        );
        assert_eq!(arg_of(back(&mut tape, &gy, None, &mut grads, 1)), "grads.x");
        let gcn = vec![0.0; b.hn.len()];
        if !has_c {
            assert_eq!(
                arg_of(back(&mut tape, &gy, Some(&gcn), &mut grads, b.x.len())),
                "gcn"
            );
        }
        assert!(tape.is_recorded(), "refused calls leave the record alone");
        back(
            &mut tape,
            &gy,
            has_c.then_some(&gcn[..]),
            &mut grads,
            b.x.len(),
        )
        .expect("backward");
        assert_eq!(
            arg_of(back(&mut tape, &gy, None, &mut grads, b.x.len())),
            "tape",
            "a second backward"
        );
    }
}

#[test]
fn step_checks_its_arguments() {
    let s = StackSpec {
        kind: CellKind::Lstm,
        input_size: 2,
        hidden_size: 3,
        num_layers: 2,
        bidirectional: false,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let params = vec![0.0; s.param_len().expect("valid")];
    let mut scratch = StepScratch::new(&s, 2).expect("scratch");
    let x = vec![0.0; 4];
    let (mut h, mut c, mut y) = (vec![0.0; 12], vec![0.0; 12], vec![0.0; 6]);
    let mut run = |x: &[f32], with_c: bool, h_len: usize, y_len: usize| {
        let c = with_c.then_some(&mut c[..]);
        step(
            &Sequential,
            &s,
            &params,
            x,
            &mut h[..h_len],
            c,
            &mut y[..y_len],
            &mut scratch,
        )
    };
    assert_eq!(arg_of(run(&x[1..], true, 12, 6)), "x");
    assert_eq!(arg_of(run(&x, false, 12, 6)), "c");
    assert_eq!(arg_of(run(&x, true, 11, 6)), "h");
    assert_eq!(arg_of(run(&x, true, 12, 5)), "y");
    assert!(run(&x, true, 12, 6).is_ok());
    let other = StackSpec {
        hidden_size: 4,
        ..s
    };
    let mut wrong = StepScratch::new(&other, 2).expect("scratch");
    assert_eq!(
        arg_of(step(
            &Sequential,
            &s,
            &params,
            &x,
            &mut h,
            Some(&mut c),
            &mut y,
            &mut wrong
        )),
        "scratch"
    );
}
