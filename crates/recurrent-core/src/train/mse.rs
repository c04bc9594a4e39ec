//! Mean squared error (PyTorch `nn.MSELoss`, reduction `mean`).

use super::check;
use super::grad::GradWrite;
use crate::error::CoreResult;

/// `loss = sum_i (pred[i] - target[i])^2 / len` over all elements, accumulated in `f64`, and,
/// when `dpred` is given, its gradient `dpred[i] = 2 (pred[i] - target[i]) / len` (written or
/// accumulated as `write` says), each element computed in `f64` and rounded once.
///
/// An empty tensor gives loss 0 (PyTorch gives NaN) and no gradient. Errors (nothing
/// written) unless `target` and `dpred` have as many elements as `pred`.
pub fn mse(
    pred: &[f32],
    target: &[f32],
    dpred: Option<&mut [f32]>,
    write: GradWrite,
) -> CoreResult<f64> {
    const OP: &str = "train::mse";
    check::exact(OP, "target", target.len(), pred.len())?;
    check::optional(OP, "dpred", dpred.as_ref().map(|d| d.len()), pred.len())?;
    if pred.is_empty() {
        return Ok(0.0);
    }
    let inv = 1.0 / pred.len() as f64;
    let mut sum = 0.0f64;
    for (&p, &t) in pred.iter().zip(target) {
        let d = f64::from(p) - f64::from(t);
        sum += d * d;
    }
    if let Some(dpred) = dpred {
        let g_scale = 2.0 * inv;
        for ((g, &p), &t) in dpred.iter_mut().zip(pred).zip(target) {
            write.store(g, ((f64::from(p) - f64::from(t)) * g_scale) as f32);
        }
    }
    Ok(sum * inv)
}
