//! Activations against f64 over dense grids, plus the invariants a tolerance test alone
//! misses (ranges, symmetry, saturation, NaN handling), plus lane-vs-scalar agreement.
//!
//! Run with `--nocapture` to see the measured maxima that the doc comments quote.

use recurrent_core::math::{
    exp, exp4, exp_inplace, sigmoid, sigmoid4, sigmoid_inplace, tanh, tanh4, tanh_inplace,
};
use recurrent_core::simd::{F32x4, SIMD_ENABLED};

/// Documented bounds, in ulps of the exact result (see the functions' doc comments).
const EXP_MAX_ULP: f64 = 1.0;
const SIGMOID_MAX_ULP: f64 = 2.5;
const TANH_MAX_ULP: f64 = 1.6;

/// The spacing of f32 at `y` (exact value), subnormal spacing below the normal range.
fn ulp(y: f64) -> f64 {
    let a = y.abs();
    if a < f32::MIN_POSITIVE as f64 {
        return 2f64.powi(-149);
    }
    2f64.powi(a.log2().floor() as i32 - 23)
}

/// [-30, 30] every 2^-10: covers the region where gates actually live, at a step of ~1e-3.
fn dense_grid() -> impl Iterator<Item = f32> {
    (-30 * 1024..=30 * 1024).map(|i| i as f32 / 1024.0)
}

/// Every 1/64 over `[lo, hi]`, for the tails.
fn coarse(lo: f32, hi: f32) -> impl Iterator<Item = f32> {
    ((lo * 64.0) as i32..=(hi * 64.0) as i32).map(|i| i as f32 / 64.0)
}

fn extremes() -> Vec<f32> {
    let mut v = vec![
        0.0,
        f32::MIN_POSITIVE,
        1e-40, // subnormal
        f32::from_bits(1),
        1e-30,
        1e-7,
        0.5,
        0.625,
        9.0,
        17.0,
        20.0,
        87.0,
        88.0,
        88.72,
        88.8,
        89.0,
        100.0,
        104.0,
        1e4,
        1e30,
        f32::MAX,
        f32::INFINITY,
    ];
    let neg: Vec<f32> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

fn all_points() -> Vec<f32> {
    let mut v: Vec<f32> = dense_grid().collect();
    v.extend(coarse(-110.0, 95.0));
    v.extend(extremes());
    v
}

/// Max error in ulps over `xs` for results not below `floor` in magnitude.
fn max_ulp(xs: &[f32], f: fn(f32) -> f32, exact: fn(f64) -> f64, floor: f64) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for &x in xs {
        let want = exact(x as f64);
        if !want.is_finite() || want.abs() < floor || want.abs() > f32::MAX as f64 {
            continue;
        }
        let e = (f(x) as f64 - want).abs() / ulp(want);
        if e > worst.0 {
            worst = (e, x);
        }
    }
    worst
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn exp_error_within_bound() {
    let xs = all_points();
    let (e, at) = max_ulp(&xs, exp, f64::exp, f32::MIN_POSITIVE as f64);
    eprintln!("exp: max {e:.3} ulp at {at} (normal results)");
    assert!(e <= EXP_MAX_ULP, "exp: {e} ulp at {at}");
    // Subnormal results: one rounding, so within one subnormal spacing.
    let (e, at) = max_ulp(&xs, exp, f64::exp, 0.0);
    eprintln!("exp: max {e:.3} ulp at {at} (including subnormal results)");
    assert!(e <= EXP_MAX_ULP.max(1.0), "exp subnormal: {e} ulp at {at}");
}

#[test]
fn exp_special_values() {
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-0.0), 1.0);
    assert_eq!(exp(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp(f32::MAX), f32::INFINITY);
    assert_eq!(exp(88.8), f32::INFINITY);
    assert!(exp(88.72).is_finite());
    assert_eq!(exp(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp(-1e30), 0.0);
    assert_eq!(exp(-104.0), 0.0);
    assert!(exp(-103.0) > 0.0, "subnormal results are kept");
    assert!(exp(f32::NAN).is_nan());
}

#[test]
fn sigmoid_error_within_bound() {
    let xs = all_points();
    let (e, at) = max_ulp(&xs, sigmoid, sigmoid64, f32::MIN_POSITIVE as f64);
    eprintln!("sigmoid: max {e:.3} ulp at {at}");
    assert!(e <= SIGMOID_MAX_ULP, "sigmoid: {e} ulp at {at}");
    let mut rel = 0.0f64;
    for x in dense_grid() {
        let want = sigmoid64(x as f64);
        rel = rel.max((sigmoid(x) as f64 - want).abs() / want);
    }
    eprintln!("sigmoid: max relative error {rel:.3e} on [-30, 30]");
}

#[test]
fn tanh_error_within_bound() {
    let xs = all_points();
    let (e, at) = max_ulp(&xs, tanh, f64::tanh, f32::MIN_POSITIVE as f64);
    eprintln!("tanh: max {e:.3} ulp at {at}");
    assert!(e <= TANH_MAX_ULP, "tanh: {e} ulp at {at}");
    let mut rel = 0.0f64;
    for x in dense_grid().filter(|&x| x != 0.0) {
        let want = (x as f64).tanh();
        rel = rel.max((tanh(x) as f64 - want).abs() / want.abs());
    }
    eprintln!("tanh: max relative error {rel:.3e} on [-30, 30]");
}

#[test]
fn ranges_symmetry_and_no_nan() {
    for x in all_points() {
        let (s, sn, t, tn) = (sigmoid(x), sigmoid(-x), tanh(x), tanh(-x));
        assert!((0.0..=1.0).contains(&s), "sigmoid({x}) = {s}");
        assert!((-1.0..=1.0).contains(&t), "tanh({x}) = {t}");
        assert_eq!(tn.to_bits(), (-t).to_bits(), "tanh not odd at {x}");
        // Both sides carry up to SIGMOID_MAX_ULP of 1 at most, plus the rounding of 1 - s.
        assert!(
            (sn - (1.0 - s)).abs() <= 2.5 * f32::EPSILON,
            "sigmoid(-{x}) = {sn} vs 1 - {s}"
        );
        assert!(!exp(x).is_nan(), "exp({x}) is NaN");
    }
}

#[test]
fn monotone_on_the_dense_grid() {
    let xs: Vec<f32> = dense_grid().collect();
    for w in xs.windows(2) {
        assert!(
            sigmoid(w[0]) <= sigmoid(w[1]),
            "sigmoid decreases at {}",
            w[0]
        );
        assert!(tanh(w[0]) <= tanh(w[1]), "tanh decreases at {}", w[0]);
        assert!(exp(w[0]) <= exp(w[1]), "exp decreases at {}", w[0]);
    }
}

#[test]
fn saturation_and_special_values() {
    assert_eq!(sigmoid(0.0), 0.5);
    assert_eq!(sigmoid(f32::INFINITY), 1.0);
    assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
    assert_eq!(sigmoid(1e30), 1.0);
    assert_eq!(sigmoid(-1e30), 0.0);
    assert_eq!(sigmoid(88.8), 1.0);
    assert!(sigmoid(-88.8) > 0.0 && sigmoid(-88.8) < 1e-38);
    assert_eq!(sigmoid(1e-40), 0.5);
    assert_eq!(tanh(f32::INFINITY), 1.0);
    assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
    assert_eq!(tanh(1e30), 1.0);
    assert_eq!(tanh(-1e30), -1.0);
    assert_eq!(tanh(88.8), 1.0);
    assert_eq!(tanh(1e-40), 1e-40, "tanh(x) = x for subnormal x");
    assert_eq!(tanh(0.0).to_bits(), 0);
    assert!(sigmoid(f32::NAN).is_nan());
    assert!(tanh(f32::NAN).is_nan());
}

#[test]
fn documented_saturation_points() {
    // The doc comments say where the results become exactly 1 (resp. +-1) and where exp
    // overflows or underflows.
    assert_eq!(sigmoid(16.64), 1.0);
    assert!(sigmoid(16.63) < 1.0);
    assert_eq!(tanh(8.665), 1.0);
    assert_eq!(tanh(-8.665), -1.0);
    assert!(tanh(8.66) < 1.0);
    assert_eq!(exp(88.723), f32::INFINITY);
    assert!(exp(88.722).is_finite());
    assert_eq!(exp(-103.973), 0.0);
    assert!(exp(-103.972) > 0.0);
}

#[test]
fn lanes_match_scalar_bit_for_bit() {
    let xs = all_points();
    for chunk in xs.chunks_exact(4) {
        let v = F32x4::load(chunk);
        for (name, f4, f) in [
            ("exp", exp4 as fn(F32x4) -> F32x4, exp as fn(f32) -> f32),
            ("sigmoid", sigmoid4, sigmoid),
            ("tanh", tanh4, tanh),
        ] {
            let got = f4(v).to_array();
            for (l, &x) in chunk.iter().enumerate() {
                assert_eq!(got[l].to_bits(), f(x).to_bits(), "{name}({x}) lane {l}");
            }
        }
    }
    let nan = tanh4(F32x4::splat(f32::NAN)).to_array();
    assert!(nan.iter().all(|x| x.is_nan()));
}

#[test]
fn slice_helpers_match_scalar_with_tails() {
    let xs: Vec<f32> = coarse(-20.0, 20.0).collect();
    for len in [0, 1, 3, 4, 5, 7, 8, 9, 31, 1000, xs.len()] {
        let src = &xs[..len];
        for (name, g, f) in [
            ("exp", exp_inplace as fn(&mut [f32]), exp as fn(f32) -> f32),
            ("sigmoid", sigmoid_inplace, sigmoid),
            ("tanh", tanh_inplace, tanh),
        ] {
            let mut v = src.to_vec();
            g(&mut v);
            for (&x, &y) in src.iter().zip(&v) {
                assert_eq!(
                    y.to_bits(),
                    f(x).to_bits(),
                    "{name}_inplace({x}), len {len}"
                );
            }
        }
    }
}

/// Make a wasm test run fail if the SIMD path silently did not get compiled in.
#[test]
fn simd_path_matches_the_build() {
    let expected = cfg!(all(target_arch = "wasm32", target_feature = "simd128"));
    assert_eq!(SIMD_ENABLED, expected);
    let expect = std::env::var_os("RECURRENT_EXPECT_SIMD").is_some();
    assert!(
        SIMD_ENABLED || !expect,
        "RECURRENT_EXPECT_SIMD is set but this build has no simd128"
    );
}

/// The scan behind the documented maxima: every `STRIDE`-th f32 (default 7) with
/// |x| < 104, both signs (~1 min in release: `cargo test --release --test math -- --ignored`).
#[test]
#[ignore]
fn scan_dense_bits() {
    let mut worst = [(0.0f64, 0.0f32); 3];
    let mut rel = [0.0f64; 3];
    type Pair = (fn(f32) -> f32, fn(f64) -> f64);
    let fs: [Pair; 3] = [(exp, f64::exp), (sigmoid, sigmoid64), (tanh, f64::tanh)];
    let stride: u32 = std::env::var("STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    for sign in [0u32, 0x8000_0000] {
        let mut b = 0u32;
        while b < 0x42d0_0000 {
            let x = f32::from_bits(b | sign);
            for (i, (f, g)) in fs.iter().enumerate() {
                let want = g(x as f64);
                if want.abs() < f32::MIN_POSITIVE as f64 || want.abs() > f32::MAX as f64 {
                    continue;
                }
                let e = (f(x) as f64 - want).abs() / ulp(want);
                if e > worst[i].0 {
                    worst[i] = (e, x);
                }
                rel[i] = rel[i].max((f(x) as f64 - want).abs() / want.abs());
            }
            b += stride;
        }
    }
    eprintln!(
        "scan: max ulp (at) exp {:?} sigmoid {:?} tanh {:?}",
        worst[0], worst[1], worst[2]
    );
    eprintln!(
        "scan: max relative exp {:.3e} sigmoid {:.3e} tanh {:.3e}",
        rel[0], rel[1], rel[2]
    );
    assert!(worst[0].0 <= EXP_MAX_ULP && worst[1].0 <= SIGMOID_MAX_ULP);
    assert!(worst[2].0 <= TANH_MAX_ULP);
}

// Named regressions: inputs that once failed, kept as their own tests.

/// The odd polynomial evaluated on x itself gave tanh(-0) = +0 (`-0 + +0`).
#[test]
fn bug_1_tanh_of_negative_zero_keeps_its_sign() {
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(
        tanh4(F32x4::splat(-0.0)).to_array()[0].to_bits(),
        (-0.0f32).to_bits()
    );
}
