//! Native timings of the GEMM paths and activations, single- and multi-threaded.
//!
//! Native runs the scalar twin of the SIMD vocabulary (LLVM turns much of it into SSE), so
//! absolute figures say little about wasm; use it for thread scaling and for regressions
//! between two versions on the same machine. Usage:
//!
//!     cargo run --release -- [threads...]        (default: 1 2)
//!     SHAPES="ta,tb,m,n,k;..." cargo run --release -- 1 2   (ta/tb: 0 = as stored, 1 = ^T)

use std::time::Instant;

use recurrent_core::gemm::{sgemm_with_path, GemmPath, Transpose};
use recurrent_core::math;
use recurrent_core::parallel::{Parallel, ScopedThreads};

/// (label, ta, tb, m, n, k): the shapes that matter to the recurrent layers, plus squares.
const SHAPES: &[Shape] = {
    use Transpose::{No, Yes};
    &[
        ("square", No, No, 128, 128, 128),
        ("square", No, No, 256, 256, 256),
        ("square", No, No, 512, 512, 512),
        ("square", No, No, 1024, 1024, 1024),
        ("step B=32 h W^T", No, Yes, 32, 1024, 256),
        ("step B=32 h W", No, No, 32, 1024, 256),
        ("step B=1 h W^T", No, Yes, 1, 1024, 256),
        ("step B=1 h W", No, No, 1, 1024, 256),
        ("input proj X W^T", No, Yes, 1120, 1024, 28),
        ("dW = dG^T H", Yes, No, 1024, 256, 1120),
        ("dW = dG^T X", Yes, No, 1024, 28, 1120),
        ("dH = dG W", No, No, 32, 256, 1024),
        ("dX = dG W", No, No, 1120, 28, 1024),
    ]
};

type Shape = (&'static str, Transpose, Transpose, usize, usize, usize);

/// Shapes from `$SHAPES`, e.g. `0,0,1024,1024,1024;1,0,1024,256,1120`; malformed entries
/// are skipped with a message.
fn custom_shapes() -> Vec<Shape> {
    let spec = std::env::var("SHAPES").unwrap_or_default();
    let parse = |s: &str| -> Option<Shape> {
        let v: Vec<usize> = s
            .split(',')
            .map(|x| x.trim().parse().ok())
            .collect::<Option<_>>()?;
        let t = |x: usize| {
            if x == 0 {
                Transpose::No
            } else {
                Transpose::Yes
            }
        };
        match v[..] {
            [ta, tb, m, n, k] => Some(("custom", t(ta), t(tb), m, n, k)),
            _ => None,
        }
    };
    spec.split(';')
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| {
            parse(s).or_else(|| {
                eprintln!("SHAPES: skipping {s:?} (want ta,tb,m,n,k)");
                None
            })
        })
        .collect()
}

fn seeded(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Best time in seconds of `f` over repeated runs of about `budget` seconds in total.
fn best_of(budget: f64, mut f: impl FnMut()) -> f64 {
    f();
    let (start, mut best) = (Instant::now(), f64::INFINITY);
    while start.elapsed().as_secs_f64() < budget || best.is_infinite() {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let threads: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let threads = if threads.is_empty() {
        vec![1, 2]
    } else {
        threads
    };
    let pools: Vec<ScopedThreads> = threads.iter().map(|&t| ScopedThreads::new(t)).collect();
    println!(
        "simd128 path compiled: {}",
        recurrent_core::simd::SIMD_ENABLED
    );
    print!("{:<18} {:<16}", "shape", "m x n x k");
    for t in &threads {
        print!(" {:>12}", format!("{t}T GFLOP/s"));
    }
    println!();
    let custom = custom_shapes();
    let shapes = if custom.is_empty() {
        SHAPES
    } else {
        &custom[..]
    };
    for &(label, ta, tb, m, n, k) in shapes {
        let a = seeded(m * k, 1);
        let b = seeded(k * n, 2);
        let mut c = vec![0.0f32; m * n];
        let lda = if ta == Transpose::No { k } else { m };
        let ldb = if tb == Transpose::No { n } else { k };
        print!(
            "{label:<18} {:<16}",
            format!(
                "{m}x{n}x{k}{}",
                if ta == Transpose::Yes { " A^T" } else { "" }
            )
        );
        for pool in &pools {
            let pool: &dyn Parallel = pool;
            let secs = best_of(0.5, || {
                let r = sgemm_with_path(
                    pool,
                    GemmPath::Auto,
                    ta,
                    tb,
                    m,
                    n,
                    k,
                    1.0,
                    &a,
                    lda,
                    &b,
                    ldb,
                    0.0,
                    &mut c,
                    n,
                );
                assert!(r.is_ok());
            });
            print!(" {:>12.2}", 2.0 * (m * n * k) as f64 / secs / 1e9);
        }
        println!();
    }
    let mut xs = seeded(1 << 16, 3);
    for (name, f) in [
        ("sigmoid_inplace", math::sigmoid_inplace as fn(&mut [f32])),
        ("tanh_inplace", math::tanh_inplace),
        ("exp_inplace", math::exp_inplace),
    ] {
        let secs = best_of(0.3, || {
            xs.iter_mut().for_each(|x| *x = (*x * 7.0) % 20.0);
            f(&mut xs);
        });
        println!("{name:<18} {:.2} ns/element", secs * 1e9 / xs.len() as f64);
    }
}
