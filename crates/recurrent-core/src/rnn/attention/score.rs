//! One target step of the attention, for every batch row: scores, the softmax masked to the
//! row's valid source length, the context; and backward through them. Rows are independent
//! and run in order, each sum in a fixed order: the same bits for any thread count.

use super::{AttnParams, AttnParamsMut, Score};
use crate::math;
use crate::parallel::Parallel;
use crate::rnn::rows::{for_row_tiles, RowsMut};
use crate::simd::F32x4;

/// `sum_j a[j] * b[j]`: four lanes over the first multiple of 4, then the tail in order.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n4 = a.len() / 4 * 4;
    let mut acc = F32x4::zero();
    for j in (0..n4).step_by(4) {
        acc = F32x4::load(&a[j..]).mul_add(F32x4::load(&b[j..]), acc);
    }
    let mut sum = acc.hsum();
    for j in n4..a.len() {
        sum += a[j] * b[j];
    }
    sum
}

/// `y += alpha * x`.
#[inline]
fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    let n4 = x.len() / 4 * 4;
    let a = F32x4::splat(alpha);
    for j in (0..n4).step_by(4) {
        a.mul_add(F32x4::load(&x[j..]), F32x4::load(&y[j..]))
            .store(&mut y[j..]);
    }
    for j in n4..x.len() {
        y[j] += alpha * x[j];
    }
}

/// `sum_j w[j] * tanh(q[j] + k[j])` (the additive score).
#[inline]
fn additive(w: &[f32], q: &[f32], k: &[f32]) -> f32 {
    let n4 = w.len() / 4 * 4;
    let mut acc = F32x4::zero();
    for j in (0..n4).step_by(4) {
        let f = math::tanh4(F32x4::load(&q[j..]) + F32x4::load(&k[j..]));
        acc = F32x4::load(&w[j..]).mul_add(f, acc);
    }
    let mut sum = acc.hsum();
    for j in n4..w.len() {
        sum += w[j] * math::tanh(q[j] + k[j]);
    }
    sum
}

/// Backward of one additive score with gradient `ds`: `gw += ds * f`, `dq += d`, `dk += d`
/// with `f = tanh(q + k)`, `d = ds * w * (1 - f^2)`.
#[inline]
fn additive_back(
    ds: f32,
    w: &[f32],
    q: &[f32],
    k: &[f32],
    gw: &mut [f32],
    dq: &mut [f32],
    dk: &mut [f32],
) {
    let n4 = w.len() / 4 * 4;
    let (ds4, one) = (F32x4::splat(ds), F32x4::splat(1.0));
    for j in (0..n4).step_by(4) {
        let f = math::tanh4(F32x4::load(&q[j..]) + F32x4::load(&k[j..]));
        ds4.mul_add(f, F32x4::load(&gw[j..])).store(&mut gw[j..]);
        let d = ds4 * F32x4::load(&w[j..]) * (one - f * f);
        (F32x4::load(&dq[j..]) + d).store(&mut dq[j..]);
        (F32x4::load(&dk[j..]) + d).store(&mut dk[j..]);
    }
    for j in n4..w.len() {
        let f = math::tanh(q[j] + k[j]);
        gw[j] += ds * f;
        let d = ds * w[j] * (1.0 - f * f);
        dq[j] += d;
        dk[j] += d;
    }
}

/// What one step of the attention reads, row-major: `enc` `[S, B, H]` (time-major encoder
/// outputs), `keys` `[S, B, A]` (additive: `enc W_k^T`), `qp` `[B, Q]` the projected queries.
pub(super) struct StepIn<'a> {
    pub score: Score,
    pub src_len: usize,
    pub batch: usize,
    pub hidden: usize,
    pub q_width: usize,
    pub enc: &'a [f32],
    pub keys: &'a [f32],
    pub lengths: &'a [u32],
    pub qp: &'a [f32],
}

impl StepIn<'_> {
    fn enc_row(&self, s: usize, b: usize) -> &[f32] {
        let h = self.hidden;
        &self.enc[(s * self.batch + b) * h..][..h]
    }

    /// The score of source position `s` for row `b`.
    fn score(&self, p: &AttnParams<'_>, s: usize, b: usize) -> f32 {
        let q = &self.qp[b * self.q_width..][..self.q_width];
        match self.score {
            Score::Additive => {
                let a = self.q_width;
                additive(p.w_v, q, &self.keys[(s * self.batch + b) * a..][..a])
            }
            Score::Dot => dot(q, self.enc_row(s, b)) * dot_scale(self.hidden),
        }
    }
}

/// `1 / sqrt(H)`.
fn dot_scale(h: usize) -> f32 {
    1.0 / (h as f32).sqrt()
}

/// Weights `alpha` `[B, S]` (exactly 0 past each row's length) and contexts: row b's context
/// goes to `ctx[b * ld ..][..H]`. Rows are cut in tiles over `pool` (any cut, the same bits).
pub(super) fn attend(
    pool: &dyn Parallel,
    x: &StepIn<'_>,
    p: &AttnParams<'_>,
    alpha: &mut [f32],
    ctx: &mut [f32],
    ld: usize,
) {
    let (s_len, h) = (x.src_len, x.hidden);
    let (a_rows, c_rows) = (RowsMut::new(alpha, s_len), RowsMut::new(ctx, ld));
    for_row_tiles(pool, x.batch, s_len * x.q_width.max(h), &|rows| {
        // SAFETY: tiles own disjoint row ranges of `alpha` and `ctx`, which outlive the pass.
        let (al, cx) = unsafe { (a_rows.rows(rows.clone()), c_rows.rows(rows.clone())) };
        for (k, b) in rows.enumerate() {
            let w = &mut al[k * s_len..(k + 1) * s_len];
            attend_row(x, p, b, w, &mut cx[k * ld..k * ld + h]);
        }
    });
}

/// [`attend`] for row `b`: its weights `w` `[S]` and context `c` `[H]`.
fn attend_row(x: &StepIn<'_>, p: &AttnParams<'_>, b: usize, w: &mut [f32], c: &mut [f32]) {
    let n = x.lengths[b] as usize;
    let mut max = f32::NEG_INFINITY;
    for s in 0..n {
        w[s] = x.score(p, s, b);
        max = max.max(w[s]);
    }
    let mut sum = 0.0f32;
    for v in &mut w[..n] {
        *v = math::exp(*v - max);
        sum += *v;
    }
    for v in &mut w[..n] {
        *v /= sum;
    }
    w[n..].fill(0.0);
    c.fill(0.0);
    for (s, &a) in w[..n].iter().enumerate() {
        axpy(a, x.enc_row(s, b), c);
    }
}

/// Where [`attend_back`] writes: `g_enc` `[S, B, H]` and `dk` `[S, B, A]` (additive)
/// accumulate; `dqp` `[B, Q]` is overwritten; `ds` `[B, S]` and `wv` `[B, A]` (additive: each
/// row's part of the gradient of `w_v`) are scratch.
pub(super) struct BackOut<'a> {
    pub g_enc: &'a mut [f32],
    pub dk: &'a mut [f32],
    pub dqp: &'a mut [f32],
    pub ds: &'a mut [f32],
    pub wv: &'a mut [f32],
}

/// Backward of [`attend`] for one step: `dctx` row b at `dctx[b * ld ..][..H]`. Rows run in
/// tiles over `pool`; the gradient of `w_v` is summed per row, then over rows in order, so the
/// bits do not depend on the cut.
pub(super) fn attend_back(
    pool: &dyn Parallel,
    x: &StepIn<'_>,
    p: &AttnParams<'_>,
    g: &mut AttnParamsMut<'_>,
    alpha: &[f32],
    dctx: &[f32],
    ld: usize,
    out: BackOut<'_>,
) {
    let (s_len, h, bsz, qw) = (x.src_len, x.hidden, x.batch, x.q_width);
    let additive = x.score == Score::Additive;
    let ge = RowsMut::new(out.g_enc, h);
    let dk = RowsMut::new(out.dk, if additive { qw } else { 0 });
    let dq = RowsMut::new(out.dqp, qw);
    let ds = RowsMut::new(out.ds, s_len);
    let wv = RowsMut::new(out.wv, if additive { qw } else { 0 });
    for_row_tiles(pool, bsz, s_len * qw.max(h), &|rows| {
        for b in rows {
            // SAFETY: row b of `dqp`, `ds`, `wv` and rows s*B + b (s < S) of `g_enc` and `dk`
            // belong to the tile of b alone; the buffers outlive the pass. Each slice is
            // dropped before the next one of the same buffer is taken.
            let (dqr, dsr, wvr) =
                unsafe { (dq.rows(b..b + 1), ds.rows(b..b + 1), wv.rows(b..b + 1)) };
            let n = x.lengths[b] as usize;
            let w = &alpha[b * s_len..b * s_len + n];
            let dc = &dctx[b * ld..b * ld + h];
            // d alpha_s = dctx . enc_s; the context's gradient into each value.
            let mut sum = 0.0f32;
            for s in 0..n {
                let d = dot(dc, x.enc_row(s, b));
                dsr[s] = d;
                sum += w[s] * d;
                // SAFETY: as above.
                axpy(w[s], dc, unsafe { ge.rows(s * bsz + b..s * bsz + b + 1) });
            }
            // Softmax backward: d score_s = alpha_s (d alpha_s - sum alpha d alpha).
            for s in 0..n {
                dsr[s] = w[s] * (dsr[s] - sum);
            }
            let q = &x.qp[b * qw..][..qw];
            dqr.fill(0.0);
            if additive {
                wvr.fill(0.0);
                for s in 0..n {
                    let k = &x.keys[(s * bsz + b) * qw..][..qw];
                    // SAFETY: as above.
                    let dkr = unsafe { dk.rows(s * bsz + b..s * bsz + b + 1) };
                    additive_back(dsr[s], p.w_v, q, k, wvr, dqr, dkr);
                }
            } else {
                let scale = dot_scale(h);
                for s in 0..n {
                    let d = dsr[s] * scale;
                    axpy(d, x.enc_row(s, b), dqr);
                    // SAFETY: as above.
                    axpy(d, q, unsafe { ge.rows(s * bsz + b..s * bsz + b + 1) });
                }
            }
        }
    });
    if additive {
        let wv = &*out.wv;
        for b in 0..bsz {
            for (g, v) in g.w_v.iter_mut().zip(&wv[b * qw..(b + 1) * qw]) {
                *g += v;
            }
        }
    }
}
