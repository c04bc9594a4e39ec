//! The element-wise losses on float targets shaped like the output, over a whole batch in one
//! call: binary cross-entropy on logits, mean absolute error, Huber, and squared error with row
//! weights (PyTorch's `BCEWithLogitsLoss`, `L1Loss`, `HuberLoss`, `MSELoss`, reduction `mean`).
//!
//! Rows carry weights: a padded step's row weighs 0 (it adds nothing to the loss, the count
//! or the gradient, whatever its target holds), a sample weight scales its row. The loss is
//! `sum_rows w sum_j l / (sum_rows w * width)`, the plain mean when every weight is 1. Each
//! element is computed in `f64` and rounded once, one after the other on one thread: the same
//! on every build. Nothing is allocated.

use super::check;
use crate::error::{CoreError, CoreResult};

/// An element-wise loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueLoss {
    /// `max(x, 0) - x y + log(1 + e^-|x|)` on a logit `x` (never overflows); dL/dx = σ(x) - y.
    BinaryCrossEntropy,
    /// `|x - y|`; its derivative at 0 is 0 (PyTorch's sign).
    Mae,
    /// `0.5 d^2` for `|d| <= delta`, `delta (|d| - 0.5 delta)` beyond, `d = x - y`.
    Huber {
        /// The threshold, finite and > 0.
        delta: f64,
    },
    /// `(x - y)^2`.
    Mse,
}

/// The loss of one element and its derivative in the prediction.
pub fn pointwise(kind: ValueLoss, x: f64, y: f64) -> (f64, f64) {
    let sign = |d: f64| {
        if d > 0.0 {
            1.0
        } else if d < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    match kind {
        ValueLoss::BinaryCrossEntropy => (
            x.max(0.0) - x * y + (-x.abs()).exp().ln_1p(),
            1.0 / (1.0 + (-x).exp()) - y,
        ),
        ValueLoss::Mae => ((x - y).abs(), sign(x - y)),
        ValueLoss::Mse => ((x - y) * (x - y), 2.0 * (x - y)),
        ValueLoss::Huber { delta } => {
            let d = x - y;
            if d.abs() <= delta {
                (0.5 * d * d, d)
            } else {
                (delta * (d.abs() - 0.5 * delta), delta * sign(d))
            }
        }
    }
}

/// What [`value_loss`] measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueLossStats {
    /// The weighted mean loss (0 when every weight is 0).
    pub loss: f64,
    /// The sum of the row weights (the rows counted when every weight is 0 or 1).
    pub weight: f64,
}

/// The mean loss of `pred` against `target` (rows of `width`), with `row_weight` (one per row;
/// `None`: every row weighs 1) and, when `grad` is given, dL/dpred written there (0 in rows of
/// weight 0).
///
/// Errors (nothing written) unless `width >= 1` divides `pred`'s length, `target` and `grad`
/// are as long as `pred`, `row_weight` has one finite weight >= 0 per row, and Huber's `delta`
/// is finite and > 0.
pub fn value_loss(
    kind: ValueLoss,
    pred: &[f32],
    target: &[f32],
    width: usize,
    row_weight: Option<&[f32]>,
    grad: Option<&mut [f32]>,
) -> CoreResult<ValueLossStats> {
    const OP: &str = "train::value_loss";
    check::positive(OP, "width", width)?;
    check::exact(OP, "pred (whole rows of width)", pred.len() % width, 0)?;
    check::exact(OP, "target", target.len(), pred.len())?;
    check::optional(OP, "grad", grad.as_ref().map(|g| g.len()), pred.len())?;
    let rows = pred.len() / width;
    check::optional(OP, "row_weight", row_weight.map(<[f32]>::len), rows)?;
    if let ValueLoss::Huber { delta } = kind {
        if !(delta.is_finite() && delta > 0.0) {
            return Err(CoreError::new(
                OP,
                "delta",
                "a finite number > 0",
                format_args!("{delta}"),
            ));
        }
    }
    let weight_of = |r: usize| row_weight.map_or(1.0, |w| f64::from(w[r]));
    let mut total = 0.0f64;
    for r in 0..rows {
        let w = weight_of(r);
        if !(w.is_finite() && w >= 0.0) {
            return Err(CoreError::new(
                OP,
                "row_weight",
                "finite weights >= 0",
                format_args!("{w} at row {r}"),
            ));
        }
        total += w;
    }
    let scale = if total == 0.0 {
        0.0
    } else {
        1.0 / (total * width as f64)
    };
    let mut sum = 0.0f64;
    let mut grad = grad;
    for r in 0..rows {
        let w = weight_of(r);
        for j in r * width..(r + 1) * width {
            let (l, d) = if w == 0.0 {
                (0.0, 0.0)
            } else {
                pointwise(kind, f64::from(pred[j]), f64::from(target[j]))
            };
            sum += w * l;
            if let Some(g) = grad.as_deref_mut() {
                g[j] = (w * d * scale) as f32;
            }
        }
    }
    Ok(ValueLossStats {
        loss: sum * scale,
        weight: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [usize; 5] = [1, 3, 17, 33, 127];
    const KINDS: [ValueLoss; 4] = [
        ValueLoss::BinaryCrossEntropy,
        ValueLoss::Mae,
        ValueLoss::Huber { delta: 0.7 },
        ValueLoss::Mse,
    ];

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * 0.93 + seed as f32) * 1.7).sin() * 3.0)
            .collect()
    }

    /// The scalar reference, from the definitions (BCE through the probability, not the stable form).
    fn reference(kind: ValueLoss, x: f64, y: f64) -> f64 {
        match kind {
            ValueLoss::BinaryCrossEntropy => {
                let p = 1.0 / (1.0 + (-x).exp());
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            }
            ValueLoss::Mae => (x - y).abs(),
            ValueLoss::Mse => (x - y).powi(2),
            ValueLoss::Huber { delta } => {
                let d = (x - y).abs();
                if d <= delta {
                    0.5 * d * d
                } else {
                    delta * (d - 0.5 * delta)
                }
            }
        }
    }

    #[test]
    fn loss_and_gradient_match_the_reference_at_odd_sizes() {
        for &n in &SIZES {
            for width in [1usize, n] {
                let rows = n * 2 / width;
                let pred = data(rows * width, 1);
                // BCE targets in [0, 1]; others anywhere.
                let target: Vec<f32> = data(rows * width, 2)
                    .iter()
                    .map(|v| v.abs() / 3.0)
                    .collect();
                let weights: Vec<f32> = (0..rows).map(|r| [1.0, 0.0, 2.5][r % 3]).collect();
                for kind in KINDS {
                    let mut g = vec![f32::NAN; rows * width];
                    let s = value_loss(kind, &pred, &target, width, Some(&weights), Some(&mut g))
                        .expect("valid sizes");
                    let total: f64 = weights.iter().map(|&w| f64::from(w)).sum();
                    assert_eq!(s.weight, total);
                    let mean = |p: &[f64]| {
                        (0..rows)
                            .map(|r| {
                                f64::from(weights[r])
                                    * (0..width)
                                        .map(|j| {
                                            reference(
                                                kind,
                                                p[r * width + j],
                                                f64::from(target[r * width + j]),
                                            )
                                        })
                                        .sum::<f64>()
                            })
                            .sum::<f64>()
                            / (total * width as f64)
                    };
                    let p64: Vec<f64> = pred.iter().map(|&v| f64::from(v)).collect();
                    let want = mean(&p64);
                    assert!(
                        (s.loss - want).abs() < 1e-9 * (1.0 + want.abs()),
                        "{kind:?} n {n} width {width}: {} vs {want}",
                        s.loss
                    );
                    for i in 0..rows * width {
                        let h = 1e-6;
                        let (mut pp, mut pm) = (p64.clone(), p64.clone());
                        pp[i] += h;
                        pm[i] -= h;
                        let d = (mean(&pp) - mean(&pm)) / (2.0 * h);
                        assert!(
                            (f64::from(g[i]) - d).abs() < 1e-6 * (1.0 + d.abs()),
                            "{kind:?} n {n} width {width} i {i}: {} vs {d}",
                            g[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rows_of_weight_zero_count_nowhere_whatever_their_target() {
        let pred = [0.5f32, -1.0, 2.0, 3.0];
        let target = [0.0f32, 1.0, f32::NAN, f32::INFINITY];
        let mut g = [9.0f32; 4];
        let s = value_loss(
            ValueLoss::Mse,
            &pred,
            &target,
            2,
            Some(&[1.0, 0.0]),
            Some(&mut g),
        )
        .expect("valid sizes");
        assert_eq!(s.weight, 1.0);
        assert!((s.loss - (0.25 + 4.0) / 2.0).abs() < 1e-12);
        assert_eq!(&g[2..], &[0.0, 0.0]);
        let none = value_loss(ValueLoss::Mae, &pred, &target, 2, Some(&[0.0, 0.0]), None)
            .expect("valid sizes");
        assert_eq!(
            none,
            ValueLossStats {
                loss: 0.0,
                weight: 0.0
            }
        );
    }

    #[test]
    fn bce_is_stable_at_large_logits() {
        let s = value_loss(
            ValueLoss::BinaryCrossEntropy,
            &[1e4, -1e4],
            &[0.0, 1.0],
            1,
            None,
            None,
        )
        .expect("valid sizes");
        assert!((s.loss - 1e4).abs() < 1e-9);
    }

    #[test]
    fn bad_arguments_are_refused_before_anything_is_written() {
        let pred = [1.0f32, 2.0, 3.0, 4.0];
        let mut g = [7.0f32; 4];
        assert!(value_loss(ValueLoss::Mse, &pred, &pred[..3], 2, None, Some(&mut g)).is_err());
        assert!(value_loss(ValueLoss::Mse, &pred, &pred, 3, None, Some(&mut g)).is_err());
        assert!(value_loss(ValueLoss::Mse, &pred, &pred, 2, Some(&[1.0]), Some(&mut g)).is_err());
        assert!(value_loss(
            ValueLoss::Mse,
            &pred,
            &pred,
            2,
            Some(&[1.0, -1.0]),
            Some(&mut g)
        )
        .is_err());
        assert!(value_loss(
            ValueLoss::Mse,
            &pred,
            &pred,
            2,
            Some(&[1.0, f32::NAN]),
            Some(&mut g)
        )
        .is_err());
        assert!(value_loss(
            ValueLoss::Huber { delta: 0.0 },
            &pred,
            &pred,
            2,
            None,
            Some(&mut g)
        )
        .is_err());
        assert!(value_loss(ValueLoss::Mae, &pred, &pred, 2, None, Some(&mut g[..3])).is_err());
        assert_eq!(g, [7.0; 4]);
    }
}
