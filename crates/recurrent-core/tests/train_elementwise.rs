//! Element-wise training ops: `train::mse` (against f64 and central differences),
//! `train::sum_squares` / `global_norm` / `clip_coefficient` / `scale` / `all_finite`, and
//! `train::dropout_*` with its counter-based generator (statistics, determinism independent
//! of call order, backward), plus argument errors.

use recurrent_core::train::{
    all_finite, clip_coefficient, counter_hash, counter_uniform, derive_seed, dropout_backward,
    dropout_forward, global_norm, mse, scale, sum_squares, GradWrite,
};

const SIZES: [usize; 4] = [1, 3, 17, 33];

mod common;
use common::train_support::{assert_close, to64, Rng};

#[test]
fn mse_matches_reference_and_central_differences() {
    let mut rng = Rng(31);
    for &len in SIZES.iter().chain(&[1000]) {
        let pred = rng.vec(len, 3.0);
        let target = rng.vec(len, 3.0);
        let want: f64 = pred
            .iter()
            .zip(&target)
            .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
            .sum::<f64>()
            / len as f64;
        let mut g = vec![f32::NAN; len];
        let loss = mse(&pred, &target, Some(&mut g), GradWrite::Overwrite).expect("mse");
        assert!(
            (loss - want).abs() <= 1e-12 * want.max(1.0),
            "loss {loss} vs {want}"
        );
        assert_eq!(
            mse(&pred, &target, None, GradWrite::Overwrite).expect("no grad"),
            loss
        );
        // Central differences of the f64 loss.
        let f = |p: &[f64]| -> f64 {
            p.iter()
                .zip(&target)
                .map(|(&p, &t)| (p - f64::from(t)).powi(2))
                .sum::<f64>()
                / len as f64
        };
        let p64 = to64(&pred);
        let h = 1e-4;
        let numeric: Vec<f64> = (0..len)
            .map(|j| {
                let mut q = p64.clone();
                q[j] += h;
                let up = f(&q);
                q[j] -= 2.0 * h;
                (up - f(&q)) / (2.0 * h)
            })
            .collect();
        assert_close(&format!("dpred {len}"), &g, &numeric, 1e-9, 1e-6);
        // Accumulate adds to what is there.
        let g0 = rng.vec(len, 1.0);
        let mut acc = g0.clone();
        mse(&pred, &target, Some(&mut acc), GradWrite::Accumulate).expect("accumulate");
        let want_acc: Vec<f64> = g0
            .iter()
            .zip(&g)
            .map(|(&a, &b)| f64::from(a) + f64::from(b))
            .collect();
        assert_close("dpred accumulated", &acc, &want_acc, 1e-7, 1e-6);
    }
    assert_eq!(
        mse(&[], &[], Some(&mut []), GradWrite::Overwrite).expect("empty"),
        0.0
    );
}

#[test]
fn mse_size_errors() {
    let e = mse(&[1.0, 2.0], &[1.0], None, GradWrite::Overwrite).expect_err("target");
    assert_eq!((e.op, e.arg), ("train::mse", "target"));
    let mut g = [5.0f32; 3];
    let e = mse(&[1.0, 2.0], &[1.0, 1.0], Some(&mut g), GradWrite::Overwrite).expect_err("dpred");
    assert_eq!(e.arg, "dpred");
    assert_eq!(g, [5.0; 3]);
}

#[test]
fn sum_squares_and_global_norm() {
    let mut rng = Rng(32);
    for &len in SIZES.iter().chain(&[0, 4, 5, 100_001]) {
        let xs = rng.vec(len, 10.0);
        let want: f64 = xs.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        let got = sum_squares(&xs);
        assert!(
            (got - want).abs() <= 1e-13 * want.max(1.0),
            "len {len}: {got} vs {want}"
        );
    }
    // Large values do not overflow in f64 (they would in f32).
    let (a, b) = (f64::from(3.0e30f32), f64::from(4.0e30f32));
    assert_eq!(sum_squares(&[3.0e30, 4.0e30]), a * a + b * b);
    let a = [3.0f32];
    let b = [4.0f32, 0.0];
    assert_eq!(global_norm(&[&a, &b, &[]]), 5.0);
    assert!(sum_squares(&[1.0, f32::NAN]).is_nan());
    assert_eq!(sum_squares(&[1.0, f32::INFINITY]), f64::INFINITY);
}

#[test]
fn clip_coefficient_follows_d2l() {
    assert_eq!(clip_coefficient(0.5, 1.0), 1.0);
    assert_eq!(clip_coefficient(1.0, 1.0), 1.0);
    assert_eq!(clip_coefficient(4.0, 1.0), 0.25);
    assert_eq!(clip_coefficient(f64::INFINITY, 1.0), 0.0);
    assert!(clip_coefficient(f64::NAN, 1.0).is_nan());
}

#[test]
fn scale_and_all_finite() {
    let mut xs = vec![1.0f32, -2.0, 0.5];
    scale(&mut xs, 0.5);
    assert_eq!(xs, [0.5, -1.0, 0.25]);
    for &len in &[0usize, 1, 3, 17, 1023, 1024, 1025, 5000] {
        let mut xs = vec![1.0f32; len];
        assert!(all_finite(&xs));
        for &pos in &[0, len / 2, len.saturating_sub(1)] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                if len == 0 {
                    continue;
                }
                let keep = xs[pos];
                xs[pos] = bad;
                assert!(!all_finite(&xs), "len {len} pos {pos} {bad}");
                xs[pos] = keep;
            }
        }
    }
    assert!(all_finite(&[
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE / 2.0,
        -0.0
    ]));
}

#[test]
fn counter_rng_is_uniform_and_seed_dependent() {
    let n = 200_000u64;
    let mean = (0..n)
        .map(|i| f64::from(counter_uniform(7, i)))
        .sum::<f64>()
        / n as f64;
    // Standard deviation of the mean: sqrt(1/12 / n) = 6.5e-4.
    assert!((mean - 0.5).abs() < 4.0 * 6.5e-4, "mean {mean}");
    assert!((0..n).all(|i| (0.0..1.0).contains(&counter_uniform(3, i))));
    // Bits: every one of the 64 output bits is set about half of the time.
    for bit in 0..64 {
        let ones = (0..4096u64)
            .filter(|&i| counter_hash(11, i) >> bit & 1 == 1)
            .count();
        assert!((1848..=2248).contains(&ones), "bit {bit}: {ones} of 4096");
    }
    assert_ne!(counter_hash(1, 0), counter_hash(2, 0));
    assert_ne!(counter_hash(1, 1), counter_hash(2, 0));
    assert_ne!(derive_seed(5, 0), derive_seed(5, 1));
    assert_ne!(derive_seed(5, 0), 5);
}

#[test]
fn dropout_keeps_the_expected_fraction_and_rescales() {
    let mut rng = Rng(33);
    let len = 100_000;
    let x = rng.vec(len, 2.0);
    for &p in &[0.1, 0.3, 0.5, 0.9] {
        let mut out = vec![f32::NAN; len];
        let mut mask = vec![9u8; len];
        dropout_forward(&x, &mut out, &mut mask, p, 42).expect("forward");
        let kept = mask.iter().filter(|&&m| m == 1).count();
        let expect = (1.0 - p) * len as f64;
        let sd = (len as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (kept as f64 - expect).abs() < 5.0 * sd,
            "p {p}: kept {kept}, expected {expect}"
        );
        let s = (1.0 / (1.0 - p)) as f32;
        for i in 0..len {
            match mask[i] {
                1 => assert_eq!(out[i], x[i] * s),
                0 => assert_eq!(out[i], 0.0),
                m => panic!("mask byte {m}"),
            }
        }
        // Backward: dx = dout * mask / (1 - p).
        let dout = rng.vec(len, 1.0);
        let mut dx = vec![f32::NAN; len];
        dropout_backward(&dout, &mask, p, &mut dx).expect("backward");
        for i in 0..len {
            assert_eq!(dx[i], if mask[i] == 1 { dout[i] * s } else { 0.0 });
        }
    }
}

#[test]
fn dropout_extremes() {
    let x = [1.0f32, f32::NAN, -3.0, f32::INFINITY];
    let mut out = [0.0f32; 4];
    let mut mask = [0u8; 4];
    dropout_forward(&x, &mut out, &mut mask, 0.0, 1).expect("p = 0");
    assert_eq!(mask, [1; 4]);
    assert_eq!(out[0], 1.0);
    assert!(out[1].is_nan());
    dropout_forward(&x, &mut out, &mut mask, 1.0, 1).expect("p = 1");
    assert_eq!(mask, [0; 4]);
    assert_eq!(
        out, [0.0; 4],
        "dropped elements are 0 even for NaN and inf inputs"
    );
    let mut dx = [f32::NAN; 4];
    dropout_backward(&[1.0; 4], &mask, 1.0, &mut dx).expect("p = 1 backward");
    assert_eq!(dx, [0.0; 4]);
}

#[test]
fn dropout_mask_depends_only_on_seed_and_index() {
    let x = vec![1.0f32; 1000];
    let run = |len: usize, seed: u64| {
        let mut out = vec![0.0; len];
        let mut mask = vec![0u8; len];
        dropout_forward(&x[..len], &mut out, &mut mask, 0.5, seed).expect("forward");
        mask
    };
    let full = run(1000, 9);
    assert_eq!(full, run(1000, 9), "same seed, same mask");
    // A shorter call sees the same mask prefix: element i's fate is a function of (seed, i).
    assert_eq!(run(37, 9)[..], full[..37]);
    assert_ne!(full, run(1000, 10), "another seed, another mask");
    // The mask is the documented function of counter_hash.
    let thr = (0.5f64 * 4_294_967_296.0).round() as u64;
    for (i, &m) in full.iter().enumerate() {
        assert_eq!(m == 1, counter_hash(9, i as u64) >> 32 >= thr);
    }
}

#[test]
fn dropout_errors() {
    let x = [1.0f32; 3];
    let mut out = [7.0f32; 3];
    let mut mask = [7u8; 3];
    for p in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        let e = dropout_forward(&x, &mut out, &mut mask, p, 1).expect_err("bad p");
        assert_eq!((e.op, e.arg), ("train::dropout_forward", "p"));
    }
    let e = dropout_forward(&x, &mut out[..2], &mut mask, 0.5, 1).expect_err("out");
    assert_eq!(e.arg, "out");
    let e = dropout_forward(&x, &mut out, &mut mask[..2], 0.5, 1).expect_err("mask");
    assert_eq!(e.arg, "mask_out");
    assert_eq!((out, mask), ([7.0; 3], [7; 3]));
    let mut dx = [7.0f32; 3];
    let e = dropout_backward(&x, &[1, 2, 0], 0.5, &mut dx).expect_err("mask byte");
    assert_eq!((e.op, e.arg), ("train::dropout_backward", "mask"));
    assert!(e.got.contains("2 at index 1"), "{e}");
    let e = dropout_backward(&x, &[1, 0], 0.5, &mut dx).expect_err("mask len");
    assert_eq!(e.arg, "mask");
    let e = dropout_backward(&x, &[1, 0, 1], 0.5, &mut dx[..1]).expect_err("dx len");
    assert_eq!(e.arg, "dx");
    assert_eq!(dx, [7.0; 3]);
}
