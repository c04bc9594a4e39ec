//! Softmax cross-entropy, alone or fused with the dense layer that produces the logits
//! (the output layer of a language model or a classifier).
//!
//! For a row of logits `z [C]` with target `t`: `loss = logsumexp(z) - z[t]`, and
//! `d loss / d z = softmax(z) - one_hot(t)`. Rows can be left out (padding): those whose
//! target is `ignore_index` (PyTorch's `ignore_index`) and those of weight 0; the others
//! ("counted rows") have weight `w_i` (1 without weights). With `W = sum of w_i`:
//!
//! ```text
//! loss     = sum_i w_i * loss_i / W                    (PyTorch CrossEntropyLoss, mean)
//! dlogit_i = w_i * (softmax(z_i) - one_hot(t_i)) / W   (Reduction::Mean)
//! dlogit_i = w_i * (softmax(z_i) - one_hot(t_i))       (Reduction::Sum: gradient of sum_i w_i loss_i)
//! ```
//!
//! and rows left out get a zero gradient. No counted rows gives loss 0 and zero gradients
//! (PyTorch gives NaN). Precision: the row maximum is subtracted before `exp`
//! ([`crate::math::exp`], 1 ulp, the same bits on every platform), `sum(exp)` and the losses
//! are accumulated in `f64` as `1 + rest` (the arg-max term is exactly 1), and both the
//! loss `(max - z_t) + ln_1p(rest)` and the target's gradient `((e_t - 1) - rest) / sum`
//! are formed from `rest` in `f64`, so a confident correct prediction still gets an
//! accurate small loss and gradient.
//!
//! Rows are cut into tiles whose size depends only on `(N, C)`; each tile sums its rows'
//! losses in row order and the tiles' sums are added in tile order, so every result is
//! bit-identical for any thread count. Nothing is allocated.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::check;
use super::dense::{self, DenseGrads};
use super::tiles::part_mut;
use crate::error::{CoreError, CoreResult};
use crate::math;
use crate::parallel::{Parallel, SharedMut};

/// Logits per tile (at least one row): enough work to be worth a thread.
const TILE_ELEMS: usize = 8192;
/// Most tiles a row pass is cut into (the partial sums live on the stack).
const MAX_TILES: usize = 64;

/// How the gradient is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Gradient of the weighted mean `sum_i w_i loss_i / sum_i w_i` (PyTorch's default).
    #[default]
    Mean,
    /// Gradient of the weighted sum `sum_i w_i loss_i`: for means over several calls (chunks
    /// of one batch), scale later, e.g. with the optimiser's `grad_scale`.
    Sum,
}

/// Which rows count and how much.
#[derive(Debug, Clone, Copy, Default)]
pub struct XentOptions<'a> {
    /// Rows whose target equals this are left out, and their target is not range-checked.
    pub ignore_index: Option<u32>,
    /// `[N]` row weights, each finite and `>= 0`; a row of weight 0 is left out (and its
    /// target not range-checked). `None`: every row has weight 1.
    pub weights: Option<&'a [f32]>,
    /// Normalisation of the gradient (the returned `loss` is always the mean).
    pub reduction: Reduction,
}

/// What a cross-entropy call measured.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct XentStats {
    /// `loss_sum / weight_sum`, the weighted mean loss over counted rows (0 if none).
    pub loss: f64,
    /// `sum_i w_i loss_i` over counted rows.
    pub loss_sum: f64,
    /// `sum_i w_i` over counted rows (their number, without weights).
    pub weight_sum: f64,
    /// Number of counted rows.
    pub rows: usize,
    /// Counted rows whose arg-max logit (the first, on ties) is the target.
    pub correct: usize,
}

/// The validated row selection of one call.
#[derive(Clone, Copy)]
struct Plan<'a> {
    targets: &'a [u32],
    opts: XentOptions<'a>,
    rows: usize,
    weight_sum: f64,
}

impl Plan<'_> {
    /// The weight of row `i`, or `None` if it is left out.
    #[inline]
    fn weight(&self, i: usize) -> Option<f32> {
        if self.opts.ignore_index == Some(self.targets[i]) {
            return None;
        }
        match self.opts.weights {
            Some(w) if w[i] > 0.0 => Some(w[i]),
            Some(_) => None,
            None => Some(1.0),
        }
    }

    /// The factor of row `i`'s gradient for weight `w`.
    #[inline]
    fn grad_coef(&self, w: f32) -> f64 {
        match self.opts.reduction {
            Reduction::Mean => f64::from(w) / self.weight_sum,
            Reduction::Sum => f64::from(w),
        }
    }

    fn stats(&self, loss_sum: f64, correct: usize) -> XentStats {
        let loss = if self.rows == 0 {
            0.0
        } else {
            loss_sum / self.weight_sum
        };
        XentStats {
            loss,
            loss_sum,
            weight_sum: self.weight_sum,
            rows: self.rows,
            correct,
        }
    }
}

/// Checks `targets`, `weights` and `classes` and counts the rows and their weight.
fn plan<'a>(
    op: &'static str,
    n: usize,
    classes: usize,
    targets: &'a [u32],
    opts: &XentOptions<'a>,
) -> CoreResult<Plan<'a>> {
    check::positive(op, "classes", classes)?;
    check::exact(op, "targets", targets.len(), n)?;
    if let Some(w) = opts.weights {
        check::exact(op, "weights", w.len(), n)?;
        if let Some((i, &v)) = w
            .iter()
            .enumerate()
            .find(|(_, &v)| !(v.is_finite() && v >= 0.0))
        {
            return Err(CoreError::new(
                op,
                "weights",
                "finite weights >= 0",
                format_args!("{v} at row {i}"),
            ));
        }
    }
    let mut p = Plan {
        targets,
        opts: *opts,
        rows: 0,
        weight_sum: 0.0,
    };
    for (i, &t) in targets.iter().enumerate() {
        let Some(w) = p.weight(i) else { continue };
        if t as usize >= classes {
            return Err(CoreError::new(
                op,
                "targets",
                format_args!("every counted target below {classes} (the number of classes)"),
                format_args!("{t} at row {i}"),
            ));
        }
        p.rows += 1;
        p.weight_sum += f64::from(w);
    }
    Ok(p)
}

/// Rows per tile and number of tiles for `n` rows of `classes` logits: depends only on the
/// shape, never on the thread count.
fn tiling(n: usize, classes: usize) -> (usize, usize) {
    let per = TILE_ELEMS
        .div_ceil(classes)
        .max(n.div_ceil(MAX_TILES))
        .max(1);
    (per, n.div_ceil(per))
}

/// Runs `row_tile(first_row, end_row) -> (loss_sum, correct)` over the tiles of `n` rows and
/// adds the tiles' results in tile order.
fn run_tiles(
    pool: &dyn Parallel,
    n: usize,
    classes: usize,
    row_tile: &(dyn Fn(usize, usize) -> (f64, usize) + Sync),
) -> (f64, usize) {
    let (per, tiles) = tiling(n, classes);
    let sums: [AtomicU64; MAX_TILES] = std::array::from_fn(|_| AtomicU64::new(0));
    let correct = AtomicUsize::new(0);
    pool.run(tiles, &|t| {
        let (s, c) = row_tile(t * per, ((t + 1) * per).min(n));
        sums[t].store(s.to_bits(), Ordering::Relaxed);
        correct.fetch_add(c, Ordering::Relaxed);
    });
    // `pool.run` returned: every tile is done and its stores are visible.
    let loss_sum = sums[..tiles].iter().fold(0.0, |acc, s| {
        acc + f64::from_bits(s.load(Ordering::Relaxed))
    });
    (loss_sum, correct.into_inner())
}

/// The maximum of a non-empty row and the index of its first occurrence. NaNs are passed
/// over here but reach the sum of exponentials, so a NaN row gives a NaN loss.
#[inline]
fn max_argmax(row: &[f32]) -> (f32, usize) {
    let mut best = (row[0], 0);
    for (j, &v) in row.iter().enumerate().skip(1) {
        if v > best.0 {
            best = (v, j);
        }
    }
    best
}

/// `sum_j e_j - 1` for the exponentials `e_j = exp(z_j - max)` of a row, summed in `f64` in
/// index order. The arg-max term is `exp(0) = 1`; keeping the sum as `1 + rest` lets
/// `ln_1p(rest)` and `sum - e_t` stay exact when the other terms are tiny (a confident row),
/// where `ln(1 + rest)` would lose them to rounding near 1.
#[inline]
fn sum_rest(es: impl Iterator<Item = f32>, arg: usize) -> f64 {
    es.enumerate().fold(0.0f64, |acc, (j, e)| {
        if j == arg {
            acc + (f64::from(e) - 1.0)
        } else {
            acc + f64::from(e)
        }
    })
}

/// `(max, ln(sum_j exp(z_j - max)), arg-max)` of a read-only row, with the bits
/// [`row_grad`] computes.
#[inline]
fn row_lse(row: &[f32]) -> (f32, f64, usize) {
    let (max, arg) = max_argmax(row);
    let rest = sum_rest(row.iter().map(|&z| math::exp(z - max)), arg);
    (max, rest.ln_1p(), arg)
}

/// Loss of one row, and whether its arg-max is the target.
#[inline]
fn row_loss(row: &[f32], target: usize) -> (f64, bool) {
    let (max, ln_sum, arg) = row_lse(row);
    // logsumexp - z_t = (max - z_t) + ln(sum): exactly ln(sum) when the target is the max.
    (
        (f64::from(max) - f64::from(row[target])) + ln_sum,
        arg == target,
    )
}

/// Overwrites one row of logits with `coef * (softmax - one_hot(target))`; returns the row's
/// loss and whether its arg-max is the target.
#[inline]
fn row_grad(row: &mut [f32], target: usize, coef: f64) -> (f64, bool) {
    let (max, arg) = max_argmax(row);
    let z_t = row[target];
    for z in row.iter_mut() {
        *z -= max;
    }
    math::exp_inplace(row);
    // Same terms in the same order as `row_lse` (exp_inplace gives exp's bits).
    let rest = sum_rest(row.iter().copied(), arg);
    let loss = (f64::from(max) - f64::from(z_t)) + rest.ln_1p();
    let e_t = f64::from(row[target]);
    let c = coef / (1.0 + rest);
    for e in row.iter_mut() {
        *e = (f64::from(*e) * c) as f32;
    }
    // softmax_t - 1 = (e_t - sum) / sum = ((e_t - 1) - rest) / sum: no cancellation of
    // p_t - 1 when p_t is close to 1.
    row[target] = (((e_t - 1.0) - rest) * c) as f32;
    (loss, arg == target)
}

/// Loss over rows `[r0, r1)` of read-only logits.
fn loss_rows(
    logits: &[f32],
    classes: usize,
    plan: &Plan<'_>,
    r0: usize,
    r1: usize,
) -> (f64, usize) {
    let (mut sum, mut correct) = (0.0f64, 0usize);
    for i in r0..r1 {
        let Some(w) = plan.weight(i) else { continue };
        let (l, ok) = row_loss(
            &logits[i * classes..(i + 1) * classes],
            plan.targets[i] as usize,
        );
        sum += f64::from(w) * l;
        correct += usize::from(ok);
    }
    (sum, correct)
}

/// The gradient pass over all rows of `logits[..n * classes]`, in place.
fn grad_pass(
    pool: &dyn Parallel,
    n: usize,
    classes: usize,
    logits: &mut [f32],
    plan: &Plan<'_>,
) -> XentStats {
    let ptr = SharedMut::new(&mut logits[..n * classes]);
    let (loss_sum, correct) = run_tiles(pool, n, classes, &|r0, r1| {
        // SAFETY: this tile owns rows [r0, r1); tiles are disjoint and inside `n * classes`,
        // and `logits` is borrowed until `run_tiles` returns.
        let rows = unsafe { part_mut(ptr, r0 * classes, (r1 - r0) * classes) };
        let (mut sum, mut correct) = (0.0f64, 0usize);
        for (k, row) in rows.chunks_exact_mut(classes).enumerate() {
            let i = r0 + k;
            let Some(w) = plan.weight(i) else {
                row.fill(0.0);
                continue;
            };
            let (l, ok) = row_grad(row, plan.targets[i] as usize, plan.grad_coef(w));
            sum += f64::from(w) * l;
            correct += usize::from(ok);
        }
        (sum, correct)
    });
    plan.stats(loss_sum, correct)
}

/// Loss and accuracy of given logits `[N, C]` (no gradient), e.g. for evaluation.
///
/// Errors unless `classes >= 1`, `logits` has `N*C` elements, `targets` `N`, weights (if
/// given) `N` finite values `>= 0`, and every counted target is below `C`. The loss has the
/// same bits as [`softmax_xent`] returns for the same logits.
pub fn softmax_xent_loss(
    pool: &dyn Parallel,
    n: usize,
    classes: usize,
    logits: &[f32],
    targets: &[u32],
    opts: &XentOptions<'_>,
) -> CoreResult<XentStats> {
    const OP: &str = "train::softmax_xent_loss";
    let plan = plan(OP, n, classes, targets, opts)?;
    check::exact(
        OP,
        "logits",
        logits.len(),
        check::product(OP, "logits", n, classes)?,
    )?;
    let (loss_sum, correct) = run_tiles(pool, n, classes, &|r0, r1| {
        loss_rows(logits, classes, &plan, r0, r1)
    });
    Ok(plan.stats(loss_sum, correct))
}

/// Loss of given logits `[N, C]` and its gradient: `logits` is overwritten with `dlogits`
/// (see the module docs for the formula and [`XentOptions`]).
///
/// Errors (nothing written) as [`softmax_xent_loss`].
pub fn softmax_xent(
    pool: &dyn Parallel,
    n: usize,
    classes: usize,
    logits: &mut [f32],
    targets: &[u32],
    opts: &XentOptions<'_>,
) -> CoreResult<XentStats> {
    const OP: &str = "train::softmax_xent";
    let plan = plan(OP, n, classes, targets, opts)?;
    check::exact(
        OP,
        "logits",
        logits.len(),
        check::product(OP, "logits", n, classes)?,
    )?;
    Ok(grad_pass(pool, n, classes, logits, &plan))
}

/// The dense output layer and softmax cross-entropy, forward and backward in one call:
///
/// ```text
/// logits [N, C] = x [N, In] . W^T + b      (W [C, In], b [C] or absent)
/// loss, dlogits                            (softmax_xent, with opts)
/// dW += dlogits^T x,  db += colsum(dlogits),  dx = dlogits W  (or +=)
/// ```
///
/// `scratch` (at least `N*C` elements, contents ignored) holds the logits and then, on
/// return, `dlogits` in its first `N*C` elements; it lets one buffer serve every call, so
/// nothing is allocated. `logits_out` (exactly `N*C`), when given, receives a copy of the
/// logits. The parts of `grads` that are `None` are skipped (with all three `None` this is
/// a loss evaluation that also leaves the gradient of the logits in `scratch`).
///
/// Errors (nothing written) unless `classes >= 1`, every tensor has its exact size,
/// weights are finite and `>= 0`, and every counted target is below `C`. Bit-identical
/// for any thread count.
pub fn dense_softmax_xent(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    classes: usize,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    targets: &[u32],
    opts: &XentOptions<'_>,
    scratch: &mut [f32],
    logits_out: Option<&mut [f32]>,
    grads: DenseGrads<'_>,
) -> CoreResult<XentStats> {
    const OP: &str = "train::dense_softmax_xent";
    let plan = plan(OP, n, classes, targets, opts)?;
    dense::check_forward(OP, n, in_dim, classes, x, w, b)?;
    let len = check::product(OP, "scratch", n, classes)?;
    check::at_least(OP, "scratch", scratch.len(), len)?;
    check::optional(OP, "logits_out", logits_out.as_ref().map(|l| l.len()), len)?;
    dense::check_grads(OP, n, in_dim, classes, &grads)?;

    let logits = &mut scratch[..len];
    dense::forward_unchecked(pool, n, in_dim, classes, x, w, b, logits)?;
    if let Some(out) = logits_out {
        out.copy_from_slice(logits);
    }
    let stats = grad_pass(pool, n, classes, logits, &plan);
    dense::backward_unchecked(pool, n, in_dim, classes, x, w, logits, grads)?;
    Ok(stats)
}

/// Inference: `logits [N, C] = x W^T + b`, or with `log_softmax` each row replaced by
/// `(z - max) - ln(sum(exp(z - max)))` (computed in `f64`, rounded once). `out` is overwritten.
///
/// Errors (nothing written) unless `classes >= 1` and every tensor has its exact size.
pub fn dense_logits(
    pool: &dyn Parallel,
    n: usize,
    in_dim: usize,
    classes: usize,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    out: &mut [f32],
    log_softmax: bool,
) -> CoreResult<()> {
    const OP: &str = "train::dense_logits";
    check::positive(OP, "classes", classes)?;
    dense::check_forward(OP, n, in_dim, classes, x, w, b)?;
    check::exact(OP, "out", out.len(), check::product(OP, "out", n, classes)?)?;
    dense::forward_unchecked(pool, n, in_dim, classes, x, w, b, out)?;
    if log_softmax {
        let ptr = SharedMut::new(out);
        run_tiles(pool, n, classes, &|r0, r1| {
            // SAFETY: this tile owns rows [r0, r1) of `out`, borrowed until `run_tiles` returns.
            let rows = unsafe { part_mut(ptr, r0 * classes, (r1 - r0) * classes) };
            for row in rows.chunks_exact_mut(classes) {
                let (max, ln_sum, _) = row_lse(row);
                for z in row.iter_mut() {
                    *z = ((f64::from(*z) - f64::from(max)) - ln_sum) as f32;
                }
            }
            (0.0, 0)
        });
    }
    Ok(())
}
