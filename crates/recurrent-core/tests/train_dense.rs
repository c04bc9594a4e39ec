//! Dense layer (`train::dense_forward`, `train::dense_backward`): problem / reference / check
//! over generated shapes against a naive f64 reference, central-difference gradient checks,
//! accumulate versus overwrite, thread-count determinism, and argument errors.

use recurrent_core::parallel::{Parallel, ScopedThreads, Sequential};
use recurrent_core::train::{dense_backward, dense_forward, DenseGrads, GradWrite};

const SIZES: [usize; 4] = [1, 3, 17, 33];

mod common;
use common::train_support::{assert_close, to64, Rng};

/// One dense problem: `y = x W^T + b` and its backward for upstream `dy`.
struct Case {
    n: usize,
    i: usize,
    o: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    b: Option<Vec<f32>>,
    dy: Vec<f32>,
    /// Initial contents of dW, db, dx (gradients accumulate into dW and db).
    dw0: Vec<f32>,
    db0: Vec<f32>,
    dx0: Vec<f32>,
    dx_write: GradWrite,
}

struct Out {
    y: Vec<f32>,
    dw: Vec<f32>,
    db: Vec<f32>,
    dx: Vec<f32>,
}

struct Want {
    y: Vec<f64>,
    dw: Vec<f64>,
    db: Vec<f64>,
    dx: Vec<f64>,
}

impl Case {
    fn new(rng: &mut Rng, n: usize, i: usize, o: usize, bias: bool, dx_write: GradWrite) -> Self {
        Case {
            n,
            i,
            o,
            x: rng.vec(n * i, 1.0),
            w: rng.vec(o * i, 0.5),
            b: bias.then(|| rng.vec(o, 0.5)),
            dy: rng.vec(n * o, 1.0),
            dw0: rng.vec(o * i, 1.0),
            db0: rng.vec(o, 1.0),
            dx0: rng.vec(n * i, 1.0),
            dx_write,
        }
    }

    fn reference(&self) -> Want {
        let (n, i, o) = (self.n, self.i, self.o);
        let mut y = vec![0.0; n * o];
        let mut dw = to64(&self.dw0);
        let mut db = to64(&self.db0);
        let mut dx = match self.dx_write {
            GradWrite::Overwrite => vec![0.0; n * i],
            GradWrite::Accumulate => to64(&self.dx0),
        };
        for r in 0..n {
            for c in 0..o {
                let mut s = self.b.as_ref().map_or(0.0, |b| f64::from(b[c]));
                for k in 0..i {
                    s += f64::from(self.x[r * i + k]) * f64::from(self.w[c * i + k]);
                }
                y[r * o + c] = s;
                let g = f64::from(self.dy[r * o + c]);
                db[c] += g;
                for k in 0..i {
                    dw[c * i + k] += g * f64::from(self.x[r * i + k]);
                    dx[r * i + k] += g * f64::from(self.w[c * i + k]);
                }
            }
        }
        Want { y, dw, db, dx }
    }

    fn run(&self, pool: &dyn Parallel) -> Out {
        let (n, i, o) = (self.n, self.i, self.o);
        let mut y = vec![f32::NAN; n * o];
        dense_forward(pool, n, i, o, &self.x, &self.w, self.b.as_deref(), &mut y).expect("forward");
        let mut dw = self.dw0.clone();
        let mut db = self.db0.clone();
        let mut dx = match self.dx_write {
            // Overwrite never reads dx: garbage must not leak in.
            GradWrite::Overwrite => vec![f32::NAN; n * i],
            GradWrite::Accumulate => self.dx0.clone(),
        };
        let grads = DenseGrads {
            dw: Some(&mut dw),
            db: Some(&mut db),
            dx: Some(&mut dx),
            dx_write: self.dx_write,
        };
        dense_backward(pool, n, i, o, &self.x, &self.w, &self.dy, grads).expect("backward");
        Out { y, dw, db, dx }
    }

    fn check(&self, got: &Out) {
        let want = self.reference();
        let tag = format!(
            "n {} in {} out {} bias {} {:?}",
            self.n,
            self.i,
            self.o,
            self.b.is_some(),
            self.dx_write
        );
        assert_close(&format!("y ({tag})"), &got.y, &want.y, 1e-6, 1e-5);
        assert_close(&format!("dw ({tag})"), &got.dw, &want.dw, 1e-6, 1e-5);
        assert_close(&format!("db ({tag})"), &got.db, &want.db, 1e-6, 1e-5);
        assert_close(&format!("dx ({tag})"), &got.dx, &want.dx, 1e-6, 1e-5);
    }
}

#[test]
fn matches_f64_reference_over_generated_shapes() {
    let mut rng = Rng(1);
    let mut count = 0;
    for &n in &SIZES {
        for &i in &SIZES {
            for &o in &SIZES {
                let bias = count % 2 == 0;
                let mode = if count % 3 == 0 {
                    GradWrite::Accumulate
                } else {
                    GradWrite::Overwrite
                };
                let case = Case::new(&mut rng, n, i, o, bias, mode);
                case.check(&case.run(&Sequential));
                count += 1;
            }
        }
    }
    // Random shapes, including ones that leave GEMM edge tiles and several column-sum tiles.
    for _ in 0..20 {
        let (n, i, o) = (1 + rng.below(70), 1 + rng.below(70), 1 + rng.below(150));
        let bias = rng.below(2) == 0;
        let case = Case::new(&mut rng, n, i, o, bias, GradWrite::Overwrite);
        case.check(&case.run(&Sequential));
    }
}

#[test]
fn empty_batch_and_zero_width() {
    let mut rng = Rng(2);
    // N = 0: nothing to compute, dW and db unchanged.
    let case = Case::new(&mut rng, 0, 3, 4, true, GradWrite::Overwrite);
    let got = case.run(&Sequential);
    assert_eq!(got.dw, case.dw0);
    assert_eq!(got.db, case.db0);
    // In = 0: y = b, dx empty, dW empty, db = colsum(dy).
    let case = Case::new(&mut rng, 3, 0, 4, true, GradWrite::Overwrite);
    case.check(&case.run(&Sequential));
}

/// `L(x, W, b) = sum(y * g)` in f64; its gradients are the backward with `dy = g`.
fn loss64(n: usize, i: usize, o: usize, x: &[f64], w: &[f64], b: &[f64], g: &[f32]) -> f64 {
    let mut l = 0.0;
    for r in 0..n {
        for c in 0..o {
            let mut s = b[c];
            for k in 0..i {
                s += x[r * i + k] * w[c * i + k];
            }
            l += s * f64::from(g[r * o + c]);
        }
    }
    l
}

/// Central differences of `f` at every element of `v` (step 1e-5 in f64).
fn numeric_grad(v: &[f64], f: &dyn Fn(&[f64]) -> f64) -> Vec<f64> {
    let h = 1e-5;
    (0..v.len())
        .map(|j| {
            let mut p = v.to_vec();
            p[j] += h;
            let up = f(&p);
            p[j] -= 2.0 * h;
            (up - f(&p)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn gradients_match_central_differences() {
    let mut rng = Rng(3);
    for &(n, i, o) in &[(1, 1, 1), (3, 5, 4), (17, 3, 33), (4, 17, 3)] {
        let x = rng.vec(n * i, 1.0);
        let w = rng.vec(o * i, 1.0);
        let b = rng.vec(o, 1.0);
        let g = rng.vec(n * o, 1.0);
        let (x64, w64, b64) = (to64(&x), to64(&w), to64(&b));
        let mut dw = vec![0.0; o * i];
        let mut db = vec![0.0; o];
        let mut dx = vec![0.0; n * i];
        let grads = DenseGrads {
            dw: Some(&mut dw),
            db: Some(&mut db),
            dx: Some(&mut dx),
            dx_write: GradWrite::Overwrite,
        };
        dense_backward(&Sequential, n, i, o, &x, &w, &g, grads).expect("backward");
        let tag = format!("{n}x{i}x{o}");
        let nx = numeric_grad(&x64, &|v| loss64(n, i, o, v, &w64, &b64, &g));
        let nw = numeric_grad(&w64, &|v| loss64(n, i, o, &x64, v, &b64, &g));
        let nb = numeric_grad(&b64, &|v| loss64(n, i, o, &x64, &w64, v, &g));
        assert_close(&format!("dx {tag}"), &dx, &nx, 1e-6, 1e-5);
        assert_close(&format!("dw {tag}"), &dw, &nw, 1e-6, 1e-5);
        assert_close(&format!("db {tag}"), &db, &nb, 1e-6, 1e-5);
    }
}

#[test]
fn optional_gradients_are_skipped() {
    let mut rng = Rng(4);
    let (n, i, o) = (5, 3, 7);
    let (x, w, dy) = (
        rng.vec(n * i, 1.0),
        rng.vec(o * i, 1.0),
        rng.vec(n * o, 1.0),
    );
    let mut db = vec![0.0; o];
    let grads = DenseGrads {
        db: Some(&mut db),
        ..DenseGrads::default()
    };
    dense_backward(&Sequential, n, i, o, &x, &w, &dy, grads).expect("only db");
    let want: Vec<f64> = (0..o)
        .map(|c| (0..n).map(|r| f64::from(dy[r * o + c])).sum())
        .collect();
    assert_close("db only", &db, &want, 1e-7, 1e-6);
    dense_backward(&Sequential, n, i, o, &x, &w, &dy, DenseGrads::default()).expect("nothing");
}

#[test]
fn bit_identical_for_one_and_two_threads() {
    let mut rng = Rng(5);
    let two = ScopedThreads::new(2);
    for &(n, i, o) in &[(33, 17, 3), (130, 70, 300), (1, 257, 129)] {
        for mode in [GradWrite::Overwrite, GradWrite::Accumulate] {
            let case = Case::new(&mut rng, n, i, o, true, mode);
            let a = case.run(&Sequential);
            let b = case.run(&two);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.y), bits(&b.y), "y {n}x{i}x{o}");
            assert_eq!(bits(&a.dw), bits(&b.dw), "dw {n}x{i}x{o}");
            assert_eq!(bits(&a.db), bits(&b.db), "db {n}x{i}x{o}");
            assert_eq!(bits(&a.dx), bits(&b.dx), "dx {n}x{i}x{o}");
        }
    }
}

#[test]
fn bad_sizes_are_errors_and_write_nothing() {
    let (n, i, o) = (3, 4, 5);
    let (x, w, b, dy) = (
        vec![1.0; n * i],
        vec![1.0; o * i],
        vec![1.0; o],
        vec![1.0; n * o],
    );
    let mut y = vec![7.0; n * o];
    let short_x = &x[..n * i - 1];
    let e =
        dense_forward(&Sequential, n, i, o, short_x, &w, Some(&b), &mut y).expect_err("short x");
    assert_eq!((e.op, e.arg), ("train::dense_forward", "x"));
    let e =
        dense_forward(&Sequential, n, i, o, &x, &w, Some(&b[..1]), &mut y).expect_err("short b");
    assert_eq!(e.arg, "b");
    let e = dense_forward(&Sequential, n, i, o, &x, &w, Some(&b), &mut y[..n * o - 1])
        .expect_err("short y");
    assert_eq!(e.arg, "y");
    let e =
        dense_forward(&Sequential, usize::MAX, 2, o, &x, &w, None, &mut y).expect_err("overflow");
    assert_eq!(e.arg, "x");
    assert!(y.iter().all(|&v| v == 7.0), "y written on error");

    let mut dw = vec![7.0; o * i];
    let mut dx = vec![7.0; n * i + 1];
    let grads = DenseGrads {
        dw: Some(&mut dw),
        db: None,
        dx: Some(&mut dx),
        dx_write: GradWrite::Overwrite,
    };
    let e = dense_backward(&Sequential, n, i, o, &x, &w, &dy, grads).expect_err("long dx");
    assert_eq!((e.op, e.arg), ("train::dense_backward", "dx"));
    assert!(e.to_string().contains("exactly 12 elements"), "{e}");
    assert!(dw.iter().all(|&v| v == 7.0), "dw written on error");
    let e = dense_backward(
        &Sequential,
        n,
        i,
        o,
        &x,
        &w,
        &dy[1..],
        DenseGrads::default(),
    )
    .expect_err("short dy");
    assert_eq!(e.arg, "dy");
}
