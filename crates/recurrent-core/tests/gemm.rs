//! GEMM conformance, run against every kernel path: a problem / reference / check struct
//! driven by a seeded generator of cases (sizes, transposes, alpha/beta, padded leading
//! dimensions), plus exact identity products and thread-count determinism.

use std::sync::Mutex;

use recurrent_core::gemm::{sgemm, sgemm_with_path, GemmPath, Transpose, KC, MC, MR, NC, NR};
use recurrent_core::parallel::{Parallel, ScopedThreads, Sequential};
use recurrent_core::simd::SIMD_ENABLED;

const PATHS: [GemmPath; 3] = [GemmPath::Packed, GemmPath::Direct, GemmPath::Auto];
const TRANSPOSES: [(Transpose, Transpose); 4] = [
    (Transpose::No, Transpose::No),
    (Transpose::No, Transpose::Yes),
    (Transpose::Yes, Transpose::No),
    (Transpose::Yes, Transpose::Yes),
];

/// Fills the padding between rows of C: any write there changes these exact bits.
const PAD: f32 = -7.771_234e21;

/// SplitMix64: tiny, seeded, good enough to pick sizes and values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A stored `rows x cols` matrix with leading dimension `ld`, of exactly the minimal length.
fn matrix(rng: &mut Rng, rows: usize, cols: usize, ld: usize) -> Vec<f32> {
    let len = if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * ld + cols
    };
    (0..len).map(|_| rng.unit()).collect()
}

#[derive(Debug, Clone)]
struct Case {
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    beta: f32,
    a: Vec<f32>,
    lda: usize,
    b: Vec<f32>,
    ldb: usize,
    c0: Vec<f32>,
    ldc: usize,
}

impl Case {
    /// Random values, random extra leading-dimension padding, alpha and beta from the
    /// interesting set; with `beta == 0` C starts as NaN (it must be overwritten unread).
    fn random(
        rng: &mut Rng,
        (ta, tb): (Transpose, Transpose),
        m: usize,
        n: usize,
        k: usize,
    ) -> Self {
        let alpha = rng.pick(&[1.0, -1.0, 0.5, 2.5, 0.0]);
        let beta = rng.pick(&[0.0, 0.0, 1.0, -1.5]);
        Self::with(rng, (ta, tb), (m, n, k), alpha, beta)
    }

    fn with(
        rng: &mut Rng,
        (ta, tb): (Transpose, Transpose),
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        beta: f32,
    ) -> Self {
        let (ar, ac) = if ta == Transpose::No { (m, k) } else { (k, m) };
        let (br, bc) = if tb == Transpose::No { (k, n) } else { (n, k) };
        let lda = ac + rng.pick(&[0, 0, 1, 3, 16]);
        let ldb = bc + rng.pick(&[0, 0, 1, 5, 16]);
        let ldc = n + rng.pick(&[0, 1, 2, 9]);
        let a = matrix(rng, ar, ac, lda.max(1));
        let b = matrix(rng, br, bc, ldb.max(1));
        let mut c0 = matrix(rng, m, n, ldc.max(1));
        for (idx, x) in c0.iter_mut().enumerate() {
            if idx % ldc.max(1) >= n {
                *x = PAD;
            } else if beta == 0.0 {
                *x = f32::NAN;
            }
        }
        Self {
            ta,
            tb,
            m,
            n,
            k,
            alpha,
            beta,
            a,
            lda: lda.max(1),
            b,
            ldb: ldb.max(1),
            c0,
            ldc: ldc.max(1),
        }
    }

    fn at_a(&self, i: usize, p: usize) -> f32 {
        match self.ta {
            Transpose::No => self.a[i * self.lda + p],
            Transpose::Yes => self.a[p * self.lda + i],
        }
    }

    fn at_b(&self, p: usize, j: usize) -> f32 {
        match self.tb {
            Transpose::No => self.b[p * self.ldb + j],
            Transpose::Yes => self.b[j * self.ldb + p],
        }
    }

    /// The exact-ish result in f64 and, per element, the error budget of an f32 k-sum:
    /// `2 (k + 2) eps (|alpha| sum |a b| + |beta c|)`.
    fn reference(&self) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(self.m * self.n);
        for i in 0..self.m {
            for j in 0..self.n {
                let (mut s, mut mag) = (0.0f64, 0.0f64);
                for p in 0..self.k {
                    let t = self.at_a(i, p) as f64 * self.at_b(p, j) as f64;
                    s += t;
                    mag += t.abs();
                }
                let (alpha, beta) = (self.alpha as f64, self.beta as f64);
                let c = self.c0[i * self.ldc + j] as f64;
                let (want, cmag) = if self.beta == 0.0 {
                    (alpha * s, 0.0)
                } else {
                    (alpha * s + beta * c, (beta * c).abs())
                };
                let tol =
                    2.0 * (self.k as f64 + 2.0) * f32::EPSILON as f64 * (alpha.abs() * mag + cmag);
                out.push((want, tol + f32::MIN_POSITIVE as f64));
            }
        }
        out
    }

    fn run(&self, pool: &dyn Parallel, path: GemmPath) -> Vec<f32> {
        let mut c = self.c0.clone();
        let r = sgemm_with_path(
            pool, path, self.ta, self.tb, self.m, self.n, self.k, self.alpha, &self.a, self.lda,
            &self.b, self.ldb, self.beta, &mut c, self.ldc,
        );
        assert!(r.is_ok(), "{r:?} for {}", self.label());
        c
    }

    fn label(&self) -> String {
        format!(
            "{:?}{:?} m={} n={} k={} alpha={} beta={} lda={} ldb={} ldc={}",
            self.ta,
            self.tb,
            self.m,
            self.n,
            self.k,
            self.alpha,
            self.beta,
            self.lda,
            self.ldb,
            self.ldc
        )
    }

    fn check(&self, got: &[f32], want: &[(f64, f64)], path: GemmPath) {
        assert_eq!(got.len(), self.c0.len());
        for (idx, (&g, &c0)) in got.iter().zip(&self.c0).enumerate() {
            let (i, j) = (idx / self.ldc, idx % self.ldc);
            if j >= self.n {
                assert_eq!(
                    g.to_bits(),
                    c0.to_bits(),
                    "{path:?} wrote padding ({i}, {j}) of {}",
                    self.label()
                );
                continue;
            }
            let (w, tol) = want[i * self.n + j];
            assert!(
                (g as f64 - w).abs() <= tol,
                "{path:?} C[{i}, {j}] = {g}, want {w} +- {tol:e} for {}",
                self.label()
            );
        }
    }

    fn check_all_paths(&self) {
        let want = self.reference();
        for path in PATHS {
            self.check(&self.run(&Sequential, path), &want, path);
        }
    }
}

#[test]
fn simd_path_matches_the_build() {
    assert_eq!(
        SIMD_ENABLED,
        cfg!(all(target_arch = "wasm32", target_feature = "simd128"))
    );
    let expect = std::env::var_os("RECURRENT_EXPECT_SIMD").is_some();
    assert!(
        SIMD_ENABLED || !expect,
        "RECURRENT_EXPECT_SIMD is set but this build has no simd128"
    );
}

#[test]
fn every_size_up_to_20_every_transpose_every_path() {
    let mut rng = Rng(1);
    for tr in TRANSPOSES {
        for m in 0..=20 {
            for n in 0..=20 {
                for k in 0..=20 {
                    Case::random(&mut rng, tr, m, n, k).check_all_paths();
                }
            }
        }
    }
}

#[test]
fn odd_sizes_mixed() {
    let mut rng = Rng(3);
    let sizes = [1, 3, 17, 33, 127, 255];
    for tr in TRANSPOSES {
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    // The direct path is meant for few rows: keep its big-m runs for the
                    // cases below so this stays fast.
                    let case = Case::random(&mut rng, tr, m, n, k);
                    let want = case.reference();
                    for path in [GemmPath::Packed, GemmPath::Auto] {
                        case.check(&case.run(&Sequential, path), &want, path);
                    }
                    if m <= 33 {
                        case.check(
                            &case.run(&Sequential, GemmPath::Direct),
                            &want,
                            GemmPath::Direct,
                        );
                    }
                }
            }
        }
    }
}

/// Shapes that cross every blocking boundary: several k blocks (later ones accumulate onto
/// C), several tile rows and columns, ragged edges in all three dimensions.
#[test]
fn blocking_boundaries() {
    let mut rng = Rng(4);
    let shapes = [
        (MC + 1, NC + 9, KC + 1),
        (2 * MC + 5, 17, 2 * KC + 3),
        (3, 2 * NC + 1, 2 * KC + 7),
        (3 * MR, 5 * NR, 3 * KC),
        (MR + 1, NR + 1, 1),
    ];
    for (m, n, k) in shapes {
        for tr in TRANSPOSES {
            for (alpha, beta) in [(1.0, 0.0), (-0.5, 1.5)] {
                Case::with(&mut rng, tr, (m, n, k), alpha, beta).check_all_paths();
            }
        }
    }
}

/// I * B and A * I are exact in any summation order: compare bits.
#[test]
fn identity_products_are_exact() {
    let mut rng = Rng(5);
    for size in [1, 2, 3, 4, 5, 8, 9, 16, 31, 40] {
        for other in [1, 7, 8, 33] {
            for tr in TRANSPOSES {
                for path in PATHS {
                    // C (size x other) = I (size x size) * B.
                    let mut case = Case::with(&mut rng, tr, (size, other, size), 1.0, 0.0);
                    case.a.fill(0.0);
                    for i in 0..size {
                        case.a[i * case.lda + i] = 1.0;
                    }
                    let c = case.run(&Sequential, path);
                    for i in 0..size {
                        for j in 0..other {
                            let want = case.at_b(i, j);
                            let got = c[i * case.ldc + j];
                            assert_eq!(
                                got.to_bits(),
                                want.to_bits(),
                                "{path:?} I*B {}",
                                case.label()
                            );
                        }
                    }
                    // C (other x size) = A * I (size x size).
                    let mut case = Case::with(&mut rng, tr, (other, size, size), 1.0, 0.0);
                    case.b.fill(0.0);
                    for i in 0..size {
                        case.b[i * case.ldb + i] = 1.0;
                    }
                    let c = case.run(&Sequential, path);
                    for i in 0..other {
                        for j in 0..size {
                            let want = case.at_a(i, j);
                            let got = c[i * case.ldc + j];
                            assert_eq!(
                                got.to_bits(),
                                want.to_bits(),
                                "{path:?} A*I {}",
                                case.label()
                            );
                        }
                    }
                }
            }
        }
    }
}

/// A pool that records how many tiles each call asked for.
struct Recording<P> {
    inner: P,
    tiles: Mutex<Vec<usize>>,
}

impl<P: Parallel> Parallel for Recording<P> {
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    fn run(&self, tiles: usize, task: &(dyn Fn(usize) + Sync)) {
        self.tiles.lock().expect("not poisoned").push(tiles);
        self.inner.run(tiles, task);
    }
}

/// The shapes that matter (recurrent step, input projection, batch-1 step, weight and input
/// gradients, a square) give the same bits and the same tile grid on 1 to 4 threads.
#[test]
fn thread_counts_give_identical_bits_and_tiles() {
    use Transpose::{No, Yes};
    let mut rng = Rng(6);
    let cases = [
        ((No, Yes), (32, 256 * 4, 256)),
        ((No, No), (32, 1024, 256)),
        ((No, Yes), (1120, 1024, 28)),
        ((No, Yes), (1, 1024, 256)),
        ((No, No), (1, 1024, 256)),
        ((Yes, No), (1024, 256, 1120)),
        ((Yes, No), (1024, 256, 32)),
        ((No, No), (32, 256, 1024)),
        ((No, No), (256, 256, 256)),
        ((Yes, Yes), (3, 300, 70)),
    ];
    for (tr, (m, n, k)) in cases {
        let case = Case::with(&mut rng, tr, (m, n, k), 1.0, 0.5);
        for path in PATHS {
            let base = Recording {
                inner: Sequential,
                tiles: Mutex::new(Vec::new()),
            };
            let want = case.run(&base, path);
            let want_tiles = base.tiles.into_inner().expect("not poisoned");
            for threads in 1..=4 {
                let pool = Recording {
                    inner: ScopedThreads::new(threads),
                    tiles: Mutex::new(Vec::new()),
                };
                let got = case.run(&pool, path);
                let tiles = pool.tiles.into_inner().expect("not poisoned");
                assert_eq!(
                    tiles,
                    want_tiles,
                    "{path:?} tiling on {threads} threads, {}",
                    case.label()
                );
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(
                    same,
                    "{path:?} bits differ on {threads} threads, {}",
                    case.label()
                );
            }
        }
    }
}

/// Big enough problems are actually split, so threads have something to share.
#[test]
fn large_problems_are_tiled() {
    let mut rng = Rng(7);
    for (path, (m, n, k)) in [
        (GemmPath::Auto, (512, 512, 512)),
        (GemmPath::Auto, (1, 8192, 512)),
    ] {
        let case = Case::with(
            &mut rng,
            (Transpose::No, Transpose::No),
            (m, n, k),
            1.0,
            0.0,
        );
        let pool = Recording {
            inner: Sequential,
            tiles: Mutex::new(Vec::new()),
        };
        case.run(&pool, path);
        let tiles = pool.tiles.into_inner().expect("not poisoned");
        assert!(
            tiles.iter().all(|&t| t >= 4),
            "{tiles:?} for {}",
            case.label()
        );
    }
}

#[test]
fn invalid_arguments_are_errors_and_leave_c_alone() {
    let a = vec![1.0; 6];
    let b = vec![1.0; 6];
    let mut c = vec![5.0; 4];
    let no = Transpose::No;
    // lda below the row width.
    assert!(sgemm(
        &Sequential,
        no,
        no,
        2,
        2,
        3,
        1.0,
        &a,
        2,
        &b,
        2,
        0.0,
        &mut c,
        2
    )
    .is_err());
    // a too short for 2 x 3.
    assert!(sgemm(
        &Sequential,
        no,
        no,
        2,
        2,
        3,
        1.0,
        &a[..5],
        3,
        &b,
        2,
        0.0,
        &mut c,
        2
    )
    .is_err());
    // c too short.
    assert!(sgemm(
        &Sequential,
        no,
        no,
        2,
        2,
        3,
        1.0,
        &a,
        3,
        &b,
        2,
        0.0,
        &mut c[..3],
        2
    )
    .is_err());
    assert_eq!(c, vec![5.0; 4]);
    assert!(sgemm(
        &Sequential,
        no,
        no,
        2,
        2,
        3,
        1.0,
        &a,
        3,
        &b,
        2,
        0.0,
        &mut c,
        2
    )
    .is_ok());
    assert_eq!(c, vec![3.0; 4]);
}

/// k == 0 is `C <- alpha * 0 + beta * C`, the reference's value bit for bit.
#[test]
fn empty_depth_scales_c() {
    for path in PATHS {
        let mut c = vec![f32::NAN, 2.0, 3.0, 4.0];
        let r = sgemm_with_path(
            &Sequential,
            path,
            Transpose::No,
            Transpose::No,
            2,
            2,
            0,
            -1.0,
            &[],
            1,
            &[],
            2,
            0.0,
            &mut c,
            2,
        );
        assert!(r.is_ok());
        assert!(
            c.iter().all(|x| x.to_bits() == (-0.0f32).to_bits()),
            "{c:?}"
        );
        let mut c = vec![1.0, 2.0, 3.0, 4.0];
        let r = sgemm_with_path(
            &Sequential,
            path,
            Transpose::No,
            Transpose::No,
            2,
            2,
            0,
            1.0,
            &[],
            1,
            &[],
            2,
            2.0,
            &mut c,
            2,
        );
        assert!(r.is_ok());
        assert_eq!(c, vec![2.0, 4.0, 6.0, 8.0]);
    }
}
