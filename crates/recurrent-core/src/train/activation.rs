//! The activations of a dense layer, forward and backward over whole batches: relu, GELU (the
//! exact, erf form of PyTorch's `nn.GELU()`), tanh and sigmoid element-wise, softmax over each
//! row. One call covers every row of a batch.
//!
//! Each element is computed in `f64` from its `f32` input and rounded once, one element at a
//! time on one thread, so the result is the same on every build and thread count. Nothing is
//! allocated. The backward passes take the layer's input `x` (not its output) and recompute
//! what they need, so a caller keeps one buffer per layer.

use super::check;
use crate::error::CoreResult;

/// An element-wise activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`; its derivative at 0 is taken as 0 (PyTorch's).
    Relu,
    /// `x Φ(x)` with the normal CDF Φ through [`erf`].
    Gelu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
}

/// erf by Abramowitz and Stegun 7.1.26: |error| < 1.5e-7, about `f32`'s resolution, and the
/// form the TypeScript layer used before this kernel (so results did not move).
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_429 * t - 1.453_152_027) * t + 1.421_413_741) * t - 0.284_496_736)
        * t
        + 0.254_829_592)
        * t;
    let y = 1.0 - poly * (-a * a).exp();
    if x < 0.0 {
        -y
    } else if x > 0.0 {
        y
    } else {
        0.0
    }
}

const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The value of `kind` at `x` and its derivative there.
pub fn value_and_slope(kind: Activation, x: f64) -> (f64, f64) {
    match kind {
        Activation::Relu => {
            if x > 0.0 {
                (x, 1.0)
            } else {
                (0.0, 0.0)
            }
        }
        Activation::Gelu => {
            let cdf = 0.5 * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2));
            (x * cdf, cdf + x * FRAC_1_SQRT_2PI * (-0.5 * x * x).exp())
        }
        Activation::Tanh => {
            let y = x.tanh();
            (y, 1.0 - y * y)
        }
        Activation::Sigmoid => {
            let y = 1.0 / (1.0 + (-x).exp());
            (y, y * (1.0 - y))
        }
    }
}

/// `y[i] = f(x[i])`.
///
/// Errors (nothing written) unless `y` has as many elements as `x`.
pub fn activation_forward(kind: Activation, x: &[f32], y: &mut [f32]) -> CoreResult<()> {
    check::exact("train::activation_forward", "y", y.len(), x.len())?;
    for (o, &v) in y.iter_mut().zip(x) {
        *o = value_and_slope(kind, f64::from(v)).0 as f32;
    }
    Ok(())
}

/// `g[i] = g[i] f'(x[i])`: the upstream gradient `g` (dL/dy) becomes dL/dx in place.
///
/// Errors (nothing written) unless `g` has as many elements as `x`.
pub fn activation_backward(kind: Activation, x: &[f32], g: &mut [f32]) -> CoreResult<()> {
    check::exact("train::activation_backward", "g", g.len(), x.len())?;
    for (d, &v) in g.iter_mut().zip(x) {
        *d = (f64::from(*d) * value_and_slope(kind, f64::from(v)).1) as f32;
    }
    Ok(())
}

/// Checks a row-wise op's sizes: `x` is whole rows of `width`, `other` as long as `x`.
fn rows_of(
    op: &'static str,
    other: &'static str,
    x: usize,
    o: usize,
    width: usize,
) -> CoreResult<()> {
    check::positive(op, "width", width)?;
    check::exact(op, "x (whole rows of width)", x % width, 0)?;
    check::exact(op, other, o, x)
}

/// Max and sum of `exp(v - max)` of one row.
fn row_stats(row: &[f32]) -> (f64, f64) {
    let max = row
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let sum = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
    (max, sum)
}

/// Softmax over each row of `width` elements: `y = exp(x - max) / sum`.
///
/// Errors (nothing written) unless `width >= 1` divides `x`'s length and `y` is as long as `x`.
pub fn softmax_rows_forward(x: &[f32], y: &mut [f32], width: usize) -> CoreResult<()> {
    rows_of("train::softmax_rows_forward", "y", x.len(), y.len(), width)?;
    for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
        let (max, sum) = row_stats(xr);
        for (o, &v) in yr.iter_mut().zip(xr) {
            *o = ((f64::from(v) - max).exp() / sum) as f32;
        }
    }
    Ok(())
}

/// The softmax's backward over each row, in place: `g = y (g - <g, y>)` with `y` recomputed
/// from `x`.
///
/// Errors (nothing written) unless `width >= 1` divides `x`'s length and `g` is as long as `x`.
pub fn softmax_rows_backward(x: &[f32], g: &mut [f32], width: usize) -> CoreResult<()> {
    rows_of("train::softmax_rows_backward", "g", x.len(), g.len(), width)?;
    for (xr, gr) in x.chunks_exact(width).zip(g.chunks_exact_mut(width)) {
        let (max, sum) = row_stats(xr);
        let y = |v: f32| (f64::from(v) - max).exp() / sum;
        let dot: f64 = gr.iter().zip(xr).map(|(&d, &v)| f64::from(d) * y(v)).sum();
        for (d, &v) in gr.iter_mut().zip(xr) {
            *d = (y(v) * (f64::from(*d) - dot)) as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [usize; 5] = [1, 3, 17, 33, 127];
    const KINDS: [Activation; 4] = [
        Activation::Relu,
        Activation::Gelu,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 + 0.37) * (seed as f32 * 0.71 + 1.3)).sin() * 4.0 - 0.5)
            .collect()
    }

    /// Scalar references, written from the definitions (not from the kernel's helpers).
    fn reference(kind: Activation, x: f64) -> f64 {
        match kind {
            Activation::Relu => x.max(0.0),
            // Φ through a long Taylor series of erf (|x| <= 6 here): independent of A&S.
            Activation::Gelu => {
                let z = x / 2f64.sqrt();
                let (mut term, mut s) = (z, z);
                for n in 1..200 {
                    term *= -z * z / n as f64;
                    s += term / (2 * n + 1) as f64;
                }
                x * 0.5 * (1.0 + s * 2.0 / std::f64::consts::PI.sqrt())
            }
            Activation::Tanh => (x.exp() - (-x).exp()) / (x.exp() + (-x).exp()),
            Activation::Sigmoid => x.exp() / (1.0 + x.exp()),
        }
    }

    #[test]
    fn forward_matches_the_scalar_reference_at_odd_sizes() {
        for &n in &SIZES {
            for kind in KINDS {
                let x = data(n, 1);
                let mut y = vec![f32::NAN; n];
                activation_forward(kind, &x, &mut y).expect("valid sizes");
                for (i, (&v, &o)) in x.iter().zip(&y).enumerate() {
                    let want = reference(kind, f64::from(v));
                    assert!(
                        (f64::from(o) - want).abs() <= 3e-7 * (1.0 + want.abs()),
                        "{kind:?} n {n} i {i}: {o} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn backward_matches_central_differences_of_the_reference() {
        for &n in &SIZES {
            for kind in KINDS {
                let x = data(n, 2);
                let up = data(n, 3);
                let mut g = up.clone();
                activation_backward(kind, &x, &mut g).expect("valid sizes");
                for i in 0..n {
                    let (v, h) = (f64::from(x[i]), 1e-5);
                    if kind == Activation::Relu && v.abs() < 2.0 * h {
                        continue;
                    }
                    let slope = (reference(kind, v + h) - reference(kind, v - h)) / (2.0 * h);
                    let want = f64::from(up[i]) * slope;
                    assert!(
                        (f64::from(g[i]) - want).abs() <= 1e-5 * (1.0 + want.abs()),
                        "{kind:?} n {n} i {i}: {} vs {want}",
                        g[i]
                    );
                }
            }
        }
    }

    fn softmax_ref(row: &[f32]) -> Vec<f64> {
        let e: Vec<f64> = row.iter().map(|&v| f64::from(v).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }

    #[test]
    fn softmax_rows_match_the_reference_and_their_jacobian() {
        for &w in &SIZES {
            for rows in [1usize, 3] {
                let x = data(rows * w, 4);
                let mut y = vec![0.0; rows * w];
                softmax_rows_forward(&x, &mut y, w).expect("valid sizes");
                let up = data(rows * w, 5);
                let mut g = up.clone();
                softmax_rows_backward(&x, &mut g, w).expect("valid sizes");
                for r in 0..rows {
                    let p = softmax_ref(&x[r * w..(r + 1) * w]);
                    for j in 0..w {
                        assert!(
                            (f64::from(y[r * w + j]) - p[j]).abs() < 1e-7,
                            "w {w} row {r} j {j}"
                        );
                        // dL/dx_j = sum_k up_k p_k (δ_jk - p_j)
                        let want: f64 = (0..w)
                            .map(|k| {
                                f64::from(up[r * w + k])
                                    * p[k]
                                    * (f64::from(u8::from(j == k)) - p[j])
                            })
                            .sum();
                        assert!(
                            (f64::from(g[r * w + j]) - want).abs() < 1e-6,
                            "w {w} row {r} j {j}: {} vs {want}",
                            g[r * w + j]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sizes_are_checked_before_anything_is_written() {
        let x = [1.0f32, 2.0, 3.0];
        let mut y = [7.0f32; 2];
        assert!(activation_forward(Activation::Relu, &x, &mut y).is_err());
        assert!(activation_backward(Activation::Tanh, &x, &mut y).is_err());
        assert_eq!(y, [7.0; 2]);
        let mut z = [7.0f32; 3];
        assert!(softmax_rows_forward(&x, &mut z, 2).is_err());
        assert!(softmax_rows_forward(&x, &mut z, 0).is_err());
        assert!(softmax_rows_backward(&x, &mut z, 2).is_err());
        assert_eq!(z, [7.0; 3]);
    }

    #[test]
    fn extreme_inputs_stay_finite() {
        let x = [-1e30f32, -90.0, 0.0, 90.0, 1e30];
        for kind in KINDS {
            let mut y = [0.0f32; 5];
            activation_forward(kind, &x, &mut y).expect("valid sizes");
            assert!(y.iter().all(|v| v.is_finite()), "{kind:?} {y:?}");
        }
        let mut y = [0.0f32; 5];
        softmax_rows_forward(&x, &mut y, 5).expect("valid sizes");
        assert!(y.iter().all(|v| v.is_finite()));
    }
}
