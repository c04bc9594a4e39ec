//! LSTM stacks with a projection (`StackSpec::proj_size`, PyTorch's `proj_size`, issue 14):
//! `h_t = W_hr (o_t * tanh(c_t))`, P wide, `c` H wide. The parameter layout is PyTorch's; the
//! gradients agree with finite differences of the forward (every tensor, `weight_hr` among
//! them, and the input and initial-state gradients); one and two threads give the same bits;
//! a checkpointed tape gives the full tape's results; the streaming step gives the forward's.
//! (The values against `nn.LSTM(proj_size=...)` itself: the API fixtures,
//! `test/unit/i14-proj-torch.test.ts`.)

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, generate, outputs, Problem};
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{
    forward_infer, step, CellKind, Dropout, InferScratch, Layout, ParamLayout, StackSpec,
    StepScratch,
};
use recurrent_core::{Parallel, Sequential};

fn spec(kind: CellKind, i: usize, h: usize, p: usize, layers: usize, bi: bool) -> StackSpec {
    StackSpec {
        proj_size: p,
        ..common::spec(kind, i, h, layers, bi)
    }
}

#[test]
fn layout_is_pytorchs() {
    // torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2): per direction,
    // layer 0: weight_ih [20, 3], weight_hh [20, 2], biases 2 x [20], weight_hr [2, 5] = 150;
    // layer 1 reads 2 * 2 features: 20 * 4 + 40 + 40 + 10 = 170. sum(p.numel()) = 640.
    let s = spec(CellKind::Lstm, 3, 5, 2, 2, true);
    let layout = ParamLayout::new(&s).expect("layout");
    assert_eq!(layout.len(), 640);
    let names: Vec<&str> = layout.tensors()[..5]
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_hr_l0"
        ]
    );
    assert_eq!(layout.get("weight_hh_l0").expect("hh").shape, vec![20, 2]);
    assert_eq!(layout.get("weight_ih_l1").expect("ih").shape, vec![20, 4]);
    assert_eq!(
        layout.get("weight_hr_l1_reverse").expect("hr").shape,
        vec![2, 5]
    );
    let mut next = 0;
    for t in layout.tensors() {
        assert_eq!(t.offset, next, "{}", t.name);
        next += t.len();
    }
    assert_eq!(next, layout.len());
    assert_eq!((s.state_size(), s.output_size()), (2, 4));
}

#[test]
fn proj_size_is_checked() {
    let err = spec(CellKind::Gru, 3, 5, 2, 1, false).validate();
    assert_eq!(err.map_err(|e| e.arg), Err("proj_size"));
    for p in [5, 6] {
        let err = spec(CellKind::Lstm, 3, 5, p, 1, false).validate();
        assert_eq!(err.map_err(|e| e.arg), Err("proj_size"), "proj_size {p}");
    }
    assert!(spec(CellKind::Lstm, 3, 5, 4, 1, false).validate().is_ok());
    assert!(spec(CellKind::LstmPeephole, 3, 5, 1, 1, false)
        .validate()
        .is_ok());
}

/// The LSTM kinds with a projection, in the shapes the tests run: (kind, layers, bidirectional,
/// (T, B, I, H, P), variable lengths).
fn cases() -> Vec<(CellKind, usize, bool, [usize; 5], bool)> {
    let mut v = Vec::new();
    for kind in CellKind::ALL.into_iter().filter(|k| k.has_cell_state()) {
        v.push((kind, 1, false, [4, 3, 3, 5, 2], false));
        v.push((kind, 2, true, [5, 3, 4, 6, 3], true));
        v.push((kind, 3, false, [6, 2, 2, 4, 1], true));
    }
    v
}

/// `L = <y, gy> + <h_n, ghn> + <c_n, gcn>` of the training forward, in f64 (with `dropout`:
/// its masks come from its seed alone, so the same at every evaluation).
fn loss(pb: &Problem, dropout: Dropout, params: &[f32], x: &[f32], h0: &[f32], c0: &[f32]) -> f64 {
    let pb2 = Problem {
        params: params.to_vec(),
        x: x.to_vec(),
        h0: Some(h0.to_vec()),
        c0: pb.c0.as_ref().map(|_| c0.to_vec()),
        ..pb.clone()
    };
    let r = train_with(&pb2, 0, &Sequential, dropout);
    let dot = |a: &[f32], b: &[f32]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum()
    };
    dot(&r.y, &pb.gy)
        + dot(&r.hn, pb.ghn.as_deref().expect("ghn"))
        + pb.gcn.as_deref().map_or(0.0, |g| dot(&r.cn, g))
}

#[test]
fn gradients_agree_with_finite_differences() {
    gradcheck(Dropout::NONE);
}

#[test]
fn gradients_with_every_dropout_agree_with_finite_differences() {
    // Between layers, variational on each layer's input and on h_{t-1} (P wide here).
    gradcheck(Dropout {
        p: 0.3,
        seed: 11,
        input: 0.25,
        recurrent: 0.4,
    });
}

fn gradcheck(dropout: Dropout) {
    for (n, (kind, layers, bi, [t, b, i, h, p], varlen)) in cases().into_iter().enumerate() {
        let s = spec(kind, i, h, p, layers, bi);
        let pb = generate(&mut Rng::new(700 + n as u64), s, t, b, varlen, true);
        let r = train_with(&pb, 0, &Sequential, dropout);
        let layout = ParamLayout::new(&s).expect("layout");
        let h0 = pb.h0.clone().expect("h0");
        let c0 = pb.c0.clone().unwrap_or_default();
        // Central differences along one random direction per tensor (and for x, h0, c0):
        // the directional derivative against <gradient, direction>.
        let mut rng = Rng::new(900 + n as u64);
        let eps = 1e-2f32;
        let mut check = |what: &str, range: std::ops::Range<usize>, which: usize, g: &[f32]| {
            let dir = rng.vec_normal(range.len(), 1.0);
            let moved = |sign: f32| {
                let (mut pp, mut xx, mut hh, mut cc) =
                    (pb.params.clone(), pb.x.clone(), h0.clone(), c0.clone());
                let v = match which {
                    0 => &mut pp,
                    1 => &mut xx,
                    2 => &mut hh,
                    _ => &mut cc,
                };
                for (k, d) in range.clone().zip(&dir) {
                    v[k] += sign * eps * d;
                }
                loss(&pb, dropout, &pp, &xx, &hh, &cc)
            };
            let fd = (moved(1.0) - moved(-1.0)) / (2.0 * f64::from(eps));
            let an: f64 = range
                .clone()
                .zip(&dir)
                .map(|(k, d)| f64::from(g[k]) * f64::from(*d))
                .sum();
            let tol = 2e-2 * (1.0 + an.abs());
            assert!(
                (fd - an).abs() <= tol,
                "{} L{layers} bi {bi}: {what}: finite differences {fd}, gradient {an}",
                kind.name()
            );
        };
        for tensor in layout.tensors() {
            let range = tensor.offset..tensor.offset + tensor.len();
            check(&tensor.name, range, 0, &r.gparams);
        }
        check("x", 0..pb.x.len(), 1, &r.gx);
        check("h0", 0..h0.len(), 2, &r.gh0);
        check("c0", 0..c0.len(), 3, &r.gc0);
        // The projection is really there: h states and outputs are P wide.
        assert_eq!(r.hn.len(), s.state_count() * b * p);
        assert_eq!(r.cn.len(), s.state_count() * b * h);
        assert_eq!(r.y.len(), t * b * s.directions() * p);
    }
}

#[test]
fn two_threads_and_checkpoints_give_the_full_tapes_results() {
    // Small odd shapes, and one large enough for the GEMMs to be cut into tiles and the
    // element-wise passes into row ranges (and the packed GEMM paths, B > 4).
    let mut all = cases();
    all.push((CellKind::Lstm, 2, false, [5, 64, 33, 96, 40], true));
    for (n, (kind, layers, bi, [t, b, i, h, p], varlen)) in all.into_iter().enumerate() {
        let s = spec(kind, i, h, p, layers, bi);
        let pb = generate(&mut Rng::new(800 + n as u64), s, t, b, varlen, true);
        let what = format!("{} L{layers} bi {bi} T{t} B{b} H{h} P{p}", kind.name());
        let one = train(&pb, 0, &Sequential);
        let two = train(&pb, 0, &ScopedThreads::new(2));
        for (name, a, b) in fields(&one, &two) {
            assert_eq!(bits(a), bits(b), "{what}: {name}, 1 vs 2 threads");
        }
        if bi {
            continue;
        }
        let dropout = Dropout {
            p: 0.2,
            seed: 5,
            input: 0.3,
            recurrent: 0.35,
        };
        let full_dropped = train_with(&pb, 0, &Sequential, dropout);
        for k in [1, 2, 3] {
            let ck = train(&pb, k, &Sequential);
            let ck2 = train(&pb, k, &ScopedThreads::new(2));
            for ((name, a, c), (_, _, c2)) in fields(&one, &ck).into_iter().zip(fields(&one, &ck2))
            {
                assert_eq!(bits(c), bits(c2), "{what}: {name}, k {k}, 1 vs 2 threads");
                close(a, c, &format!("{what}: {name}, checkpointed k {k}"));
            }
            let ck = train_with(&pb, k, &Sequential, dropout);
            for (name, a, c) in fields(&full_dropped, &ck) {
                close(
                    a,
                    c,
                    &format!("{what}: {name}, dropout, checkpointed k {k}"),
                );
            }
        }
    }
}

#[test]
fn inference_and_streaming_give_the_training_forward() {
    for (n, (kind, layers, bi, [t, b, i, h, p], varlen)) in cases().into_iter().enumerate() {
        let s = spec(kind, i, h, p, layers, bi);
        let pb = generate(&mut Rng::new(600 + n as u64), s, t, b, varlen, true);
        let what = format!("{} L{layers} bi {bi}", kind.name());
        let tr = train(&pb, 0, &Sequential);
        let (y, hn, cn) = infer(&pb);
        close(&tr.y, &y, &format!("{what}: inference y"));
        close(&tr.hn, &hn, &format!("{what}: inference h_n"));
        close(&tr.cn, &cn, &format!("{what}: inference c_n"));
        if bi || varlen {
            continue;
        }
        let streamed = stream(&pb);
        close(&tr.y, &streamed, &format!("{what}: streaming steps"));
    }
}

/// Within rounding: the checkpointed and inference GEMMs run over other row counts.
fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + x.abs()),
            "{what}: element {k}: {x} vs {y}"
        );
    }
}

fn fields<'a>(a: &'a run::Result, b: &'a run::Result) -> [(&'static str, &'a [f32], &'a [f32]); 7] {
    [
        ("y", &a.y, &b.y),
        ("h_n", &a.hn, &b.hn),
        ("c_n", &a.cn, &b.cn),
        ("grad params", &a.gparams, &b.gparams),
        ("grad x", &a.gx, &b.gx),
        ("grad h0", &a.gh0, &b.gh0),
        ("grad c0", &a.gc0, &b.gc0),
    ]
}

/// Training forward and (checkpointed when `k` > 0) backward, time-major.
fn train(pb: &Problem, k: usize, pool: &dyn Parallel) -> run::Result {
    train_with(pb, k, pool, Dropout::NONE)
}

/// [`train`] with dropout.
fn train_with(pb: &Problem, k: usize, pool: &dyn Parallel, dropout: Dropout) -> run::Result {
    let o = run::Opts {
        k,
        dropout,
        ..run::Opts::default()
    };
    run::run_with(pb, pool, o)
}

fn infer(pb: &Problem) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let spec = &pb.spec;
    let (t, b) = (pb.seq_len, pb.batch);
    let states = spec.state_count() * b * spec.state_size();
    let c_states = spec.state_count() * b * spec.hidden_size;
    let mut y = vec![f32::NAN; pb.gy.len()];
    let mut hn = vec![f32::NAN; states];
    let mut cn = vec![f32::NAN; c_states];
    let mut scratch = InferScratch::new(spec, t, b).expect("scratch");
    let input = pb.input(Layout::TimeMajor, &pb.x);
    let output = outputs(&mut y, &mut hn, &mut cn, true);
    forward_infer(&Sequential, spec, &pb.params, &input, output, &mut scratch).expect("infer");
    (y, hn, cn)
}

/// Every streaming step's output, one after the other (= the time-major `y`).
fn stream(pb: &Problem) -> Vec<f32> {
    let spec = &pb.spec;
    let (b, i, p) = (pb.batch, spec.input_size, spec.state_size());
    let mut hs = pb.h0.clone().expect("h0");
    let mut cs = pb.c0.clone().expect("c0");
    let mut scratch = StepScratch::new(spec, b).expect("scratch");
    let mut out = Vec::new();
    let mut y = vec![0.0; b * p];
    for x in pb.x.chunks(b * i) {
        step(
            &Sequential,
            spec,
            &pb.params,
            x,
            &mut hs,
            Some(&mut cs[..]),
            &mut y,
            &mut scratch,
        )
        .expect("step");
        out.extend_from_slice(&y);
    }
    out
}
