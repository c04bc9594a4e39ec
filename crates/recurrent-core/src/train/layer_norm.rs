//! Layer normalisation (PyTorch `nn.LayerNorm(width)` with its elementwise affine), forward and
//! backward over every row of a batch in one call: each row is normalised to mean 0 and
//! variance 1 (the biased variance, plus `eps`), then scaled by `weight` and shifted by `bias`.
//!
//! Row statistics and every element are computed in `f64` and rounded once, one row after the
//! other on one thread: the same result on every build. Nothing is allocated: the backward
//! pass recomputes the normalised row from `x`.

use super::check;
use crate::error::CoreResult;

/// Mean and `1 / sqrt(var + eps)` of one row.
fn stats(row: &[f32], eps: f64) -> (f64, f64) {
    let n = row.len() as f64;
    let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = row
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, 1.0 / (var + eps).sqrt())
}

/// Checks the sizes shared by both passes: `x` whole rows of `width`, `weight` of `width`.
fn check_rows(op: &'static str, x: usize, width: usize, weight: usize, eps: f64) -> CoreResult<()> {
    check::positive(op, "width", width)?;
    check::exact(op, "x (whole rows of width)", x % width, 0)?;
    check::exact(op, "weight", weight, width)?;
    check::scalar_in(op, "eps", eps, 0.0, f64::INFINITY, false)
}

/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, per row of `width`.
///
/// Errors (nothing written) unless `width >= 1` divides `x`'s length, `weight` and `bias` have
/// `width` elements, `y` as many as `x`, and `eps` is finite and >= 0.
pub fn layer_norm_forward(
    x: &[f32],
    width: usize,
    weight: &[f32],
    bias: &[f32],
    y: &mut [f32],
    eps: f64,
) -> CoreResult<()> {
    const OP: &str = "train::layer_norm_forward";
    check_rows(OP, x.len(), width, weight.len(), eps)?;
    check::exact(OP, "bias", bias.len(), width)?;
    check::exact(OP, "y", y.len(), x.len())?;
    for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
        let (mean, rstd) = stats(xr, eps);
        for (j, (o, &v)) in yr.iter_mut().zip(xr).enumerate() {
            *o = ((f64::from(v) - mean) * rstd * f64::from(weight[j]) + f64::from(bias[j])) as f32;
        }
    }
    Ok(())
}

/// The backward pass of [`layer_norm_forward`]: accumulates `dweight += sum_rows g x̂` and
/// `dbias += sum_rows g` (each row's contribution added and rounded in turn), and, when
/// `need_input`, overwrites the upstream gradient `g` with dL/dx:
/// `rstd (g w - mean(g w) - x̂ mean(g w x̂))`.
///
/// Errors (nothing written) on the sizes of [`layer_norm_forward`], with `g` as long as `x` and
/// `dweight`, `dbias` of `width`.
#[allow(clippy::too_many_arguments)] // the tensors of one op, each named as PyTorch does
pub fn layer_norm_backward(
    x: &[f32],
    width: usize,
    weight: &[f32],
    g: &mut [f32],
    dweight: &mut [f32],
    dbias: &mut [f32],
    eps: f64,
    need_input: bool,
) -> CoreResult<()> {
    const OP: &str = "train::layer_norm_backward";
    check_rows(OP, x.len(), width, weight.len(), eps)?;
    check::exact(OP, "g", g.len(), x.len())?;
    check::exact(OP, "dweight", dweight.len(), width)?;
    check::exact(OP, "dbias", dbias.len(), width)?;
    for (xr, gr) in x.chunks_exact(width).zip(g.chunks_exact_mut(width)) {
        let (mean, rstd) = stats(xr, eps);
        let xhat = |j: usize| (f64::from(xr[j]) - mean) * rstd;
        let (mut m1, mut m2) = (0.0f64, 0.0f64);
        for j in 0..width {
            let gj = f64::from(gr[j]);
            dweight[j] = (f64::from(dweight[j]) + gj * xhat(j)) as f32;
            dbias[j] = (f64::from(dbias[j]) + gj) as f32;
            let d = gj * f64::from(weight[j]);
            m1 += d;
            m2 += d * xhat(j);
        }
        if !need_input {
            continue;
        }
        let (m1, m2) = (m1 / width as f64, m2 / width as f64);
        for j in 0..width {
            gr[j] = (rstd * (f64::from(gr[j]) * f64::from(weight[j]) - m1 - xhat(j) * m2)) as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [usize; 5] = [1, 3, 17, 33, 127];
    const EPS: f64 = 1e-5;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * 1.37 + seed as f32) * 0.61).sin() * 2.0 + 0.3 * seed as f32)
            .collect()
    }

    /// The scalar reference: the loss L = sum g ⊙ LN(x) in f64, straight from the definition.
    fn reference(x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        x.iter()
            .enumerate()
            .map(|(j, v)| (v - mean) / (var + EPS).sqrt() * w[j] + b[j])
            .collect()
    }

    fn to64(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| f64::from(x)).collect()
    }

    #[test]
    fn forward_and_backward_match_the_reference_at_odd_widths() {
        for &w in &SIZES {
            let rows = 3;
            let x = data(rows * w, 1);
            let weight = data(w, 2);
            let bias = data(w, 3);
            let up = data(rows * w, 4);
            let mut y = vec![0.0; rows * w];
            layer_norm_forward(&x, w, &weight, &bias, &mut y, EPS).expect("valid sizes");
            let mut g = up.clone();
            let (mut dw, mut db) = (vec![0.5f32; w], vec![-0.25f32; w]);
            layer_norm_backward(&x, w, &weight, &mut g, &mut dw, &mut db, EPS, true)
                .expect("valid sizes");
            let (w64, b64) = (to64(&weight), to64(&bias));
            let mut dw_want = vec![0.5f64; w];
            let mut db_want = vec![-0.25f64; w];
            for r in 0..rows {
                let xr = to64(&x[r * w..(r + 1) * w]);
                let ur = to64(&up[r * w..(r + 1) * w]);
                let want = reference(&xr, &w64, &b64);
                let loss = |xs: &[f64], ws: &[f64], bs: &[f64]| {
                    reference(xs, ws, bs)
                        .iter()
                        .zip(&ur)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                };
                for j in 0..w {
                    assert!(
                        (f64::from(y[r * w + j]) - want[j]).abs() < 1e-5 * (1.0 + want[j].abs()),
                        "w {w} row {r} j {j}"
                    );
                    // Central differences of the reference loss.
                    let h = 1e-6;
                    let mut xp = xr.clone();
                    xp[j] += h;
                    let mut xm = xr.clone();
                    xm[j] -= h;
                    let dx = (loss(&xp, &w64, &b64) - loss(&xm, &w64, &b64)) / (2.0 * h);
                    assert!(
                        (f64::from(g[r * w + j]) - dx).abs() < 1e-4 * (1.0 + dx.abs()),
                        "w {w} row {r} j {j}: dx {} vs {dx}",
                        g[r * w + j]
                    );
                    let mut wp = w64.clone();
                    wp[j] += h;
                    let mut wm = w64.clone();
                    wm[j] -= h;
                    dw_want[j] += (loss(&xr, &wp, &b64) - loss(&xr, &wm, &b64)) / (2.0 * h);
                    db_want[j] += ur[j];
                }
            }
            for j in 0..w {
                assert!(
                    (f64::from(dw[j]) - dw_want[j]).abs() < 1e-4 * (1.0 + dw_want[j].abs()),
                    "w {w} dweight {j}"
                );
                assert!(
                    (f64::from(db[j]) - db_want[j]).abs() < 1e-5 * (1.0 + db_want[j].abs()),
                    "w {w} dbias {j}"
                );
            }
        }
    }

    #[test]
    fn without_need_input_the_gradient_is_left_alone() {
        let x = data(6, 1);
        let weight = data(3, 2);
        let up = data(6, 4);
        let mut g = up.clone();
        let (mut dw, mut db) = (vec![0.0f32; 3], vec![0.0f32; 3]);
        layer_norm_backward(&x, 3, &weight, &mut g, &mut dw, &mut db, EPS, false)
            .expect("valid sizes");
        assert_eq!(g, up);
        assert!(db.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn sizes_are_checked_before_anything_is_written() {
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let (w, b) = ([1.0f32; 2], [0.0f32; 2]);
        let mut y = [7.0f32; 4];
        assert!(layer_norm_forward(&x, 3, &w, &b, &mut y, EPS).is_err());
        assert!(layer_norm_forward(&x, 0, &w, &b, &mut y, EPS).is_err());
        assert!(layer_norm_forward(&x, 2, &w, &b[..1], &mut y, EPS).is_err());
        assert!(layer_norm_forward(&x, 2, &w, &b, &mut y, f64::NAN).is_err());
        assert_eq!(y, [7.0; 4]);
        let (mut dw, mut db) = ([7.0f32; 2], [7.0f32; 1]);
        assert!(layer_norm_backward(&x, 2, &w, &mut y, &mut dw, &mut db, EPS, true).is_err());
        assert_eq!((y, dw), ([7.0; 4], [7.0; 2]));
    }
}
