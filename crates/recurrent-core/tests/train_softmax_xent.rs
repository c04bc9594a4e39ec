//! Softmax cross-entropy (`train::softmax_xent*`, `train::dense_softmax_xent`,
//! `train::dense_logits`): problem / reference / check over generated shapes and row
//! selections against a naive f64 reference, central-difference gradient checks of the
//! fused layer, thread-count determinism, precision regressions, and argument errors.

use recurrent_core::parallel::{Parallel, ScopedThreads, Sequential};
use recurrent_core::train::{
    dense_logits, dense_softmax_xent, softmax_xent, softmax_xent_loss, DenseGrads, GradWrite,
    Reduction, XentOptions, XentStats,
};

const SIZES: [usize; 4] = [1, 3, 17, 33];

mod common;
use common::train_support::{assert_close, to64, Rng};

/// How the rows of a case are selected.
#[derive(Debug, Clone, Copy)]
enum Select {
    All,
    /// Targets equal to the ignore index (here `u32::MAX - 1`, out of range on purpose) on
    /// about a third of the rows.
    Ignore,
    /// Weights in [0, 2), a quarter of them 0 (with out-of-range targets there).
    Weights,
}

const IGNORE: u32 = u32::MAX - 1;

/// A fused dense + cross-entropy problem.
struct Case {
    n: usize,
    i: usize,
    c: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    targets: Vec<u32>,
    weights: Option<Vec<f32>>,
    select: Select,
    reduction: Reduction,
}

struct Want {
    logits: Vec<f64>,
    loss: f64,
    loss_sum: f64,
    weight_sum: f64,
    rows: usize,
    correct: usize,
    dlogits: Vec<f64>,
    dw: Vec<f64>,
    db: Vec<f64>,
    dx: Vec<f64>,
}

struct Got {
    stats: XentStats,
    logits: Vec<f32>,
    dlogits: Vec<f32>,
    dw: Vec<f32>,
    db: Vec<f32>,
    dx: Vec<f32>,
}

impl Case {
    fn new(
        rng: &mut Rng,
        n: usize,
        i: usize,
        c: usize,
        select: Select,
        reduction: Reduction,
    ) -> Self {
        let mut targets: Vec<u32> = (0..n).map(|_| rng.below(c) as u32).collect();
        let mut weights = None;
        match select {
            Select::All => {}
            Select::Ignore => {
                for t in targets.iter_mut() {
                    if rng.below(3) == 0 {
                        *t = IGNORE;
                    }
                }
            }
            Select::Weights => {
                let w: Vec<f32> = (0..n)
                    .map(|r| {
                        if rng.below(4) == 0 {
                            0.0
                        } else {
                            (rng.uniform() + 1.0).max(0.0) + f32::from(r == 0)
                        }
                    })
                    .collect();
                for (t, &wt) in targets.iter_mut().zip(&w) {
                    if wt == 0.0 {
                        *t = c as u32 + 5; // never range-checked: weight 0
                    }
                }
                weights = Some(w);
            }
        }
        Case {
            n,
            i,
            c,
            x: rng.vec(n * i, 1.0),
            w: rng.vec(c * i, 2.0),
            b: rng.vec(c, 1.0),
            targets,
            weights,
            select,
            reduction,
        }
    }

    fn opts(&self) -> XentOptions<'_> {
        XentOptions {
            ignore_index: matches!(self.select, Select::Ignore).then_some(IGNORE),
            weights: self.weights.as_deref(),
            reduction: self.reduction,
        }
    }

    /// Weight of row r, or None if it is left out.
    fn row_weight(&self, r: usize) -> Option<f64> {
        if matches!(self.select, Select::Ignore) && self.targets[r] == IGNORE {
            return None;
        }
        match &self.weights {
            Some(w) if w[r] > 0.0 => Some(f64::from(w[r])),
            Some(_) => None,
            None => Some(1.0),
        }
    }

    fn logits64(&self, x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
        let (n, i, c) = (self.n, self.i, self.c);
        let mut z = vec![0.0; n * c];
        for r in 0..n {
            for j in 0..c {
                z[r * c + j] = b[j] + (0..i).map(|k| x[r * i + k] * w[j * i + k]).sum::<f64>();
            }
        }
        z
    }

    /// The mean loss of the case as a function of f64 parameters (for central differences).
    fn loss64(&self, x: &[f64], w: &[f64], b: &[f64]) -> f64 {
        let z = self.logits64(x, w, b);
        let (mut s, mut ws) = (0.0, 0.0);
        for r in 0..self.n {
            let Some(wt) = self.row_weight(r) else {
                continue;
            };
            let row = &z[r * self.c..(r + 1) * self.c];
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            s += wt * (lse - row[self.targets[r] as usize]);
            ws += wt;
        }
        match self.reduction {
            Reduction::Mean if ws > 0.0 => s / ws,
            Reduction::Mean => 0.0,
            Reduction::Sum => s,
        }
    }

    fn reference(&self) -> Want {
        let (n, i, c) = (self.n, self.i, self.c);
        let logits = self.logits64(&to64(&self.x), &to64(&self.w), &to64(&self.b));
        let (mut loss_sum, mut weight_sum, mut rows, mut correct) = (0.0, 0.0, 0, 0);
        let mut p = vec![0.0; n * c];
        for r in 0..n {
            let Some(wt) = self.row_weight(r) else {
                continue;
            };
            let row = &logits[r * c..(r + 1) * c];
            let t = self.targets[r] as usize;
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row.iter().map(|v| (v - m).exp()).sum();
            loss_sum += wt * (m + sum.ln() - row[t]);
            weight_sum += wt;
            rows += 1;
            let arg = (0..c).fold(0, |a, j| if row[j] > row[a] { j } else { a });
            correct += usize::from(arg == t);
            for j in 0..c {
                p[r * c + j] = wt * ((row[j] - m).exp() / sum - if j == t { 1.0 } else { 0.0 });
            }
        }
        let norm = match self.reduction {
            Reduction::Mean if weight_sum > 0.0 => 1.0 / weight_sum,
            Reduction::Mean => 0.0,
            Reduction::Sum => 1.0,
        };
        let dlogits: Vec<f64> = p.iter().map(|v| v * norm).collect();
        let mut dw = vec![0.0; c * i];
        let mut db = vec![0.0; c];
        let mut dx = vec![0.0; n * i];
        for r in 0..n {
            for j in 0..c {
                let g = dlogits[r * c + j];
                db[j] += g;
                for k in 0..i {
                    dw[j * i + k] += g * f64::from(self.x[r * i + k]);
                    dx[r * i + k] += g * f64::from(self.w[j * i + k]);
                }
            }
        }
        let loss = if rows == 0 {
            0.0
        } else {
            loss_sum / weight_sum
        };
        Want {
            logits,
            loss,
            loss_sum,
            weight_sum,
            rows,
            correct,
            dlogits,
            dw,
            db,
            dx,
        }
    }

    fn run(&self, pool: &dyn Parallel) -> Got {
        let (n, i, c) = (self.n, self.i, self.c);
        // A longer scratch than needed: only the first N*C elements are used.
        let mut scratch = vec![f32::NAN; n * c + 3];
        let mut logits = vec![f32::NAN; n * c];
        let mut dw = vec![0.0; c * i];
        let mut db = vec![0.0; c];
        let mut dx = vec![f32::NAN; n * i];
        let grads = DenseGrads {
            dw: Some(&mut dw),
            db: Some(&mut db),
            dx: Some(&mut dx),
            dx_write: GradWrite::Overwrite,
        };
        let stats = dense_softmax_xent(
            pool,
            n,
            i,
            c,
            &self.x,
            &self.w,
            Some(&self.b),
            &self.targets,
            &self.opts(),
            &mut scratch,
            Some(&mut logits),
            grads,
        )
        .expect("dense_softmax_xent");
        assert!(
            scratch[n * c..].iter().all(|v| v.is_nan()),
            "scratch written past N*C"
        );
        scratch.truncate(n * c);
        Got {
            stats,
            logits,
            dlogits: scratch,
            dw,
            db,
            dx,
        }
    }

    fn check(&self, got: &Got) {
        let want = self.reference();
        let tag = format!(
            "n {} in {} C {} {:?} {:?}",
            self.n, self.i, self.c, self.select, self.reduction
        );
        assert_close(
            &format!("logits ({tag})"),
            &got.logits,
            &want.logits,
            1e-6,
            1e-5,
        );
        let s = got.stats;
        assert!(
            (s.loss - want.loss).abs() <= 2e-6 * want.loss.abs().max(1.0),
            "loss ({tag}): {} vs {}",
            s.loss,
            want.loss
        );
        assert!(
            (s.loss_sum - want.loss_sum).abs() <= 2e-6 * want.loss_sum.abs().max(1.0),
            "loss_sum ({tag})"
        );
        assert_eq!(s.weight_sum, want.weight_sum, "weight_sum ({tag})");
        assert_eq!(s.rows, want.rows, "rows ({tag})");
        // Arg-max ties or near-ties could flip between f32 and f64 logits; with random data
        // they do not occur at these sizes.
        assert_eq!(s.correct, want.correct, "correct ({tag})");
        assert_close(
            &format!("dlogits ({tag})"),
            &got.dlogits,
            &want.dlogits,
            1e-6,
            1e-5,
        );
        assert_close(&format!("dw ({tag})"), &got.dw, &want.dw, 1e-6, 1e-5);
        assert_close(&format!("db ({tag})"), &got.db, &want.db, 1e-6, 1e-5);
        assert_close(&format!("dx ({tag})"), &got.dx, &want.dx, 1e-6, 1e-5);
        // The loss-only and the in-place paths give the same bits as the fused one.
        let only = softmax_xent_loss(
            &Sequential,
            self.n,
            self.c,
            &got.logits,
            &self.targets,
            &self.opts(),
        )
        .expect("softmax_xent_loss");
        assert_eq!(
            only.loss.to_bits(),
            s.loss.to_bits(),
            "loss-only path ({tag})"
        );
        assert_eq!((only.rows, only.correct), (s.rows, s.correct));
        let mut z = got.logits.clone();
        let inplace = softmax_xent(
            &Sequential,
            self.n,
            self.c,
            &mut z,
            &self.targets,
            &self.opts(),
        )
        .expect("softmax_xent");
        assert_eq!(inplace, s, "in-place path ({tag})");
        assert_eq!(z, got.dlogits, "in-place dlogits ({tag})");
    }
}

#[test]
fn matches_f64_reference_over_generated_shapes() {
    let mut rng = Rng(11);
    let mut k = 0usize;
    for &n in &SIZES {
        for &i in &SIZES {
            for &c in &SIZES {
                let select = [Select::All, Select::Ignore, Select::Weights][k % 3];
                let reduction = if k % 4 == 3 {
                    Reduction::Sum
                } else {
                    Reduction::Mean
                };
                let case = Case::new(&mut rng, n, i, c, select, reduction);
                case.check(&case.run(&Sequential));
                k += 1;
            }
        }
    }
    for _ in 0..12 {
        let (n, i, c) = (1 + rng.below(300), 1 + rng.below(40), 1 + rng.below(120));
        let case = Case::new(&mut rng, n, i, c, Select::Weights, Reduction::Mean);
        case.check(&case.run(&Sequential));
    }
}

#[test]
fn gradients_match_central_differences() {
    let mut rng = Rng(12);
    let h = 1e-5;
    for &(n, i, c, select, reduction) in &[
        (1, 1, 1, Select::All, Reduction::Mean),
        (3, 4, 5, Select::All, Reduction::Mean),
        (17, 3, 3, Select::Ignore, Reduction::Mean),
        (5, 3, 17, Select::Weights, Reduction::Mean),
        (4, 5, 33, Select::Weights, Reduction::Sum),
    ] {
        let case = Case::new(&mut rng, n, i, c, select, reduction);
        let got = case.run(&Sequential);
        let (x, w, b) = (to64(&case.x), to64(&case.w), to64(&case.b));
        let numeric = |v: &[f64], f: &dyn Fn(&[f64]) -> f64| -> Vec<f64> {
            (0..v.len())
                .map(|j| {
                    let mut p = v.to_vec();
                    p[j] += h;
                    let up = f(&p);
                    p[j] -= 2.0 * h;
                    (up - f(&p)) / (2.0 * h)
                })
                .collect()
        };
        let tag = format!("{n}x{i}x{c} {select:?} {reduction:?}");
        let nx = numeric(&x, &|v| case.loss64(v, &w, &b));
        let nw = numeric(&w, &|v| case.loss64(&x, v, &b));
        let nb = numeric(&b, &|v| case.loss64(&x, &w, v));
        assert_close(&format!("dx {tag}"), &got.dx, &nx, 1e-6, 1e-5);
        assert_close(&format!("dw {tag}"), &got.dw, &nw, 1e-6, 1e-5);
        assert_close(&format!("db {tag}"), &got.db, &nb, 1e-6, 1e-5);
    }
}

#[test]
fn accumulating_dx_adds_to_it() {
    let mut rng = Rng(13);
    let case = Case::new(&mut rng, 7, 5, 6, Select::All, Reduction::Mean);
    let want = case.run(&Sequential);
    let dx0 = rng.vec(7 * 5, 1.0);
    let mut dx = dx0.clone();
    let mut scratch = vec![0.0; 7 * 6];
    let grads = DenseGrads {
        dx: Some(&mut dx),
        dx_write: GradWrite::Accumulate,
        ..DenseGrads::default()
    };
    let stats = dense_softmax_xent(
        &Sequential,
        7,
        5,
        6,
        &case.x,
        &case.w,
        Some(&case.b),
        &case.targets,
        &case.opts(),
        &mut scratch,
        None,
        grads,
    )
    .expect("accumulate");
    assert_eq!(stats, want.stats);
    let expect: Vec<f64> = dx0
        .iter()
        .zip(&want.dx)
        .map(|(&a, &g)| f64::from(a) + f64::from(g))
        .collect();
    assert_close("dx accumulated", &dx, &expect, 1e-7, 1e-6);
}

#[test]
fn bit_identical_for_one_and_two_threads() {
    let mut rng = Rng(14);
    let two = ScopedThreads::new(2);
    // 700 x 97 logits: 9 row tiles; 20000 x 28: the cap of 64 tiles (313 rows each).
    for &(n, i, c) in &[(33, 17, 3), (700, 20, 97), (20000, 4, 28)] {
        let case = Case::new(&mut rng, n, i, c, Select::Weights, Reduction::Mean);
        let (a, b) = (case.run(&Sequential), case.run(&two));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            a.stats.loss.to_bits(),
            b.stats.loss.to_bits(),
            "loss {n}x{i}x{c}"
        );
        assert_eq!(a.stats, b.stats);
        assert_eq!(bits(&a.logits), bits(&b.logits));
        assert_eq!(bits(&a.dlogits), bits(&b.dlogits));
        assert_eq!(bits(&a.dw), bits(&b.dw));
        assert_eq!(bits(&a.db), bits(&b.db));
        assert_eq!(bits(&a.dx), bits(&b.dx));
        let la = softmax_xent_loss(&Sequential, n, c, &a.logits, &case.targets, &case.opts())
            .expect("loss");
        let lb =
            softmax_xent_loss(&two, n, c, &a.logits, &case.targets, &case.opts()).expect("loss");
        assert_eq!(la, lb);
        let mut ya = vec![0.0; n * c];
        let mut yb = vec![0.0; n * c];
        dense_logits(
            &Sequential,
            n,
            i,
            c,
            &case.x,
            &case.w,
            Some(&case.b),
            &mut ya,
            true,
        )
        .expect("logits");
        dense_logits(
            &two,
            n,
            i,
            c,
            &case.x,
            &case.w,
            Some(&case.b),
            &mut yb,
            true,
        )
        .expect("logits");
        assert_eq!(bits(&ya), bits(&yb));
    }
}

#[test]
fn dense_logits_and_log_softmax_match_reference() {
    let mut rng = Rng(15);
    for &n in &SIZES {
        for &c in &SIZES {
            let case = Case::new(&mut rng, n, 5, c, Select::All, Reduction::Mean);
            let want = case.reference();
            let mut z = vec![f32::NAN; n * c];
            dense_logits(
                &Sequential,
                n,
                5,
                c,
                &case.x,
                &case.w,
                Some(&case.b),
                &mut z,
                false,
            )
            .expect("logits");
            assert_close("logits", &z, &want.logits, 1e-6, 1e-5);
            dense_logits(
                &Sequential,
                n,
                5,
                c,
                &case.x,
                &case.w,
                Some(&case.b),
                &mut z,
                true,
            )
            .expect("log_softmax");
            let mut ls = want.logits.clone();
            for row in ls.chunks_mut(c) {
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                row.iter_mut().for_each(|v| *v -= lse);
            }
            assert_close("log_softmax", &z, &ls, 1e-6, 1e-5);
        }
    }
    // No bias.
    let mut z = vec![0.0; 2];
    dense_logits(
        &Sequential,
        1,
        2,
        2,
        &[1.0, 2.0],
        &[1.0, 0.0, 0.0, 1.0],
        None,
        &mut z,
        false,
    )
    .expect("no bias");
    assert_eq!(z, [1.0, 2.0]);
}

#[test]
fn no_counted_rows_gives_zero_loss_and_zero_gradients() {
    let (n, i, c) = (4, 3, 5);
    let x = vec![0.5; n * i];
    let w = vec![0.25; c * i];
    let targets = vec![IGNORE; n];
    let opts = XentOptions {
        ignore_index: Some(IGNORE),
        ..XentOptions::default()
    };
    let mut scratch = vec![f32::NAN; n * c];
    let mut dw = vec![1.0; c * i];
    let mut dx = vec![f32::NAN; n * i];
    let grads = DenseGrads {
        dw: Some(&mut dw),
        dx: Some(&mut dx),
        ..DenseGrads::default()
    };
    let s = dense_softmax_xent(
        &Sequential,
        n,
        i,
        c,
        &x,
        &w,
        None,
        &targets,
        &opts,
        &mut scratch,
        None,
        grads,
    )
    .expect("all ignored");
    assert_eq!(s, XentStats::default());
    assert!(scratch.iter().all(|&v| v == 0.0));
    assert!(dw.iter().all(|&v| v == 1.0));
    assert!(dx.iter().all(|&v| v == 0.0));
    // N = 0 is allowed too.
    let s = softmax_xent_loss(&Sequential, 0, c, &[], &[], &XentOptions::default()).expect("empty");
    assert_eq!(s, XentStats::default());
}

/// Regression: a confident correct prediction. `softmax_t - 1` computed as `p_t - 1` in f32
/// would be 0 (or off by 1e-7 absolute); the gradient must keep its relative precision.
#[test]
fn bug_confident_target_gradient_keeps_precision() {
    let mut z = vec![30.0f32, 0.0, 0.0];
    let s =
        softmax_xent(&Sequential, 1, 3, &mut z, &[0], &XentOptions::default()).expect("confident");
    let e = (-30.0f64).exp();
    let want_loss = (2.0 * e).ln_1p();
    assert!(
        (s.loss - want_loss).abs() <= 1e-6 * want_loss,
        "loss {} vs {want_loss}",
        s.loss
    );
    let want = [
        -2.0 * e / (1.0 + 2.0 * e),
        e / (1.0 + 2.0 * e),
        e / (1.0 + 2.0 * e),
    ];
    assert_close("confident dlogits", &z, &want, 0.0, 1e-6);
    assert_eq!(s.correct, 1);
}

/// Regression: huge logits must not overflow `exp` (the row maximum is subtracted).
#[test]
fn bug_large_logits_do_not_overflow() {
    let mut z = vec![1.0e4f32, 1.0e4 - 1.0, -1.0e4];
    let s = softmax_xent(&Sequential, 1, 3, &mut z, &[1], &XentOptions::default()).expect("large");
    let want_loss = 1.0 + (1.0 + (-1.0f64).exp()).ln();
    assert!(
        (s.loss - want_loss).abs() <= 1e-6,
        "loss {} vs {want_loss}",
        s.loss
    );
    assert!(z.iter().all(|v| v.is_finite()));
    assert_eq!(s.correct, 0);
}

#[test]
fn nan_logits_give_nan_loss_without_panic() {
    let mut z = vec![0.0, f32::NAN, 1.0, f32::NAN, 0.0, 0.0];
    let s = softmax_xent(&Sequential, 2, 3, &mut z, &[0, 2], &XentOptions::default()).expect("nan");
    assert!(s.loss.is_nan());
}

#[test]
fn ties_count_the_first_maximum() {
    let z = vec![1.0f32, 1.0, 0.0, 1.0, 1.0, 0.0];
    let s =
        softmax_xent_loss(&Sequential, 2, 3, &z, &[0, 1], &XentOptions::default()).expect("ties");
    assert_eq!(s.correct, 1);
}

#[test]
fn bad_arguments_are_errors_and_write_nothing() {
    let (n, i, c) = (3, 2, 4);
    let x = vec![1.0; n * i];
    let w = vec![1.0; c * i];
    let mut scratch = vec![9.0; n * c];
    let mut dw = vec![9.0; c * i];
    let op = "train::dense_softmax_xent";
    let call = |targets: &[u32], opts: &XentOptions<'_>, scratch: &mut [f32], dw: &mut [f32]| {
        let grads = DenseGrads {
            dw: Some(dw),
            ..DenseGrads::default()
        };
        dense_softmax_xent(
            &Sequential,
            n,
            i,
            c,
            &x,
            &w,
            None,
            targets,
            opts,
            scratch,
            None,
            grads,
        )
        .expect_err("must fail")
    };
    let e = call(&[0, 4, 1], &XentOptions::default(), &mut scratch, &mut dw);
    assert_eq!((e.op, e.arg), (op, "targets"));
    assert!(e.got.contains("4 at row 1"), "{e}");
    let e = call(&[0, 1], &XentOptions::default(), &mut scratch, &mut dw);
    assert_eq!(e.arg, "targets");
    let bad_w = [1.0, -0.5, 1.0];
    let e = call(
        &[0, 1, 2],
        &XentOptions {
            weights: Some(&bad_w),
            ..XentOptions::default()
        },
        &mut scratch,
        &mut dw,
    );
    assert_eq!(e.arg, "weights");
    assert!(e.got.contains("row 1"), "{e}");
    let nan_w = [1.0, 1.0, f32::NAN];
    let e = call(
        &[0, 1, 2],
        &XentOptions {
            weights: Some(&nan_w),
            ..XentOptions::default()
        },
        &mut scratch,
        &mut dw,
    );
    assert_eq!(e.arg, "weights");
    let short_w = [1.0, 1.0];
    let e = call(
        &[0, 1, 2],
        &XentOptions {
            weights: Some(&short_w),
            ..XentOptions::default()
        },
        &mut scratch,
        &mut dw,
    );
    assert_eq!(e.arg, "weights");
    let e = call(
        &[0, 1, 2],
        &XentOptions::default(),
        &mut scratch[..n * c - 1],
        &mut dw,
    );
    assert_eq!(e.arg, "scratch");
    let e = call(
        &[0, 1, 2],
        &XentOptions::default(),
        &mut scratch,
        &mut dw[1..],
    );
    assert_eq!(e.arg, "dw");
    assert!(
        scratch.iter().all(|&v| v == 9.0) && dw.iter().all(|&v| v == 9.0),
        "written on error"
    );

    let e = softmax_xent_loss(&Sequential, 2, 0, &[], &[0, 0], &XentOptions::default())
        .expect_err("no classes");
    assert_eq!((e.op, e.arg), ("train::softmax_xent_loss", "classes"));
    let mut z = vec![0.0; 5];
    let e = softmax_xent(&Sequential, 2, 3, &mut z, &[0, 0], &XentOptions::default())
        .expect_err("short logits");
    assert_eq!((e.op, e.arg), ("train::softmax_xent", "logits"));
    let mut out = vec![0.0; 5];
    let e = dense_logits(
        &Sequential,
        1,
        2,
        3,
        &[1.0, 1.0],
        &[0.0; 6],
        None,
        &mut out,
        true,
    )
    .expect_err("out");
    assert_eq!((e.op, e.arg), ("train::dense_logits", "out"));
    let mut lo = [0.0f32; 1];
    let e = dense_softmax_xent(
        &Sequential,
        1,
        1,
        1,
        &[1.0],
        &[1.0],
        None,
        &[0],
        &XentOptions::default(),
        &mut [0.0],
        Some(&mut lo[..0]),
        DenseGrads::default(),
    )
    .expect_err("logits_out");
    assert_eq!(e.arg, "logits_out");
}
