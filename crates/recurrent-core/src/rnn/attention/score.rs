//! One target step of the attention, for every batch row: scores, the softmax masked to the
//! row's valid source length, the context; and backward through them. Rows are independent
//! and run in order, each sum in a fixed order: the same bits for any thread count.

use super::{AttnParams, AttnParamsMut, Score};
use crate::math;

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
                let k = &self.keys[(s * self.batch + b) * a..][..a];
                let mut acc = 0.0f32;
                for j in 0..a {
                    acc += p.w_v[j] * math::tanh(q[j] + k[j]);
                }
                acc
            }
            Score::Dot => {
                let e = self.enc_row(s, b);
                let mut acc = 0.0f32;
                for j in 0..self.hidden {
                    acc += q[j] * e[j];
                }
                acc * dot_scale(self.hidden)
            }
        }
    }
}

/// `1 / sqrt(H)`.
fn dot_scale(h: usize) -> f32 {
    1.0 / (h as f32).sqrt()
}

/// Weights `alpha` `[B, S]` (exactly 0 past each row's length) and contexts: row b's context
/// goes to `ctx[b * ld ..][..H]`.
pub(super) fn attend(
    x: &StepIn<'_>,
    p: &AttnParams<'_>,
    alpha: &mut [f32],
    ctx: &mut [f32],
    ld: usize,
) {
    let (s_len, h) = (x.src_len, x.hidden);
    for b in 0..x.batch {
        let n = x.lengths[b] as usize;
        let w = &mut alpha[b * s_len..(b + 1) * s_len];
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
        let c = &mut ctx[b * ld..b * ld + h];
        c.fill(0.0);
        for (s, &a) in w[..n].iter().enumerate() {
            for (c, e) in c.iter_mut().zip(x.enc_row(s, b)) {
                *c += a * e;
            }
        }
    }
}

/// Backward of [`attend`] for one step: `dctx` row b at `dctx[b * ld ..][..H]`. Accumulates
/// into `g_enc` `[S, B, H]`, `dk` `[S, B, A]` (additive) and the gradient of `w_v`; writes
/// `dqp` `[B, Q]`. `ds` is scratch of S floats.
pub(super) fn attend_back(
    x: &StepIn<'_>,
    p: &AttnParams<'_>,
    g: &mut AttnParamsMut<'_>,
    alpha: &[f32],
    dctx: &[f32],
    ld: usize,
    g_enc: &mut [f32],
    dk: &mut [f32],
    dqp: &mut [f32],
    ds: &mut [f32],
) {
    let (s_len, h, bsz, qw) = (x.src_len, x.hidden, x.batch, x.q_width);
    for b in 0..bsz {
        let n = x.lengths[b] as usize;
        let w = &alpha[b * s_len..b * s_len + n];
        let dc = &dctx[b * ld..b * ld + h];
        // d alpha_s = dctx . enc_s; the context's gradient into each value.
        let mut dot = 0.0f32;
        for s in 0..n {
            let e = x.enc_row(s, b);
            let mut d = 0.0f32;
            for j in 0..h {
                d += dc[j] * e[j];
            }
            ds[s] = d;
            dot += w[s] * d;
            let ge = &mut g_enc[(s * bsz + b) * h..][..h];
            for j in 0..h {
                ge[j] += w[s] * dc[j];
            }
        }
        // Softmax backward: d score_s = alpha_s (d alpha_s - sum alpha d alpha).
        for s in 0..n {
            ds[s] = w[s] * (ds[s] - dot);
        }
        let q = &x.qp[b * qw..][..qw];
        let dq = &mut dqp[b * qw..][..qw];
        dq.fill(0.0);
        match x.score {
            Score::Additive => {
                for s in 0..n {
                    let k = &x.keys[(s * bsz + b) * qw..][..qw];
                    let dkr = &mut dk[(s * bsz + b) * qw..][..qw];
                    for j in 0..qw {
                        let f = math::tanh(q[j] + k[j]);
                        g.w_v[j] += ds[s] * f;
                        let d = ds[s] * p.w_v[j] * (1.0 - f * f);
                        dq[j] += d;
                        dkr[j] += d;
                    }
                }
            }
            Score::Dot => {
                let scale = dot_scale(h);
                for s in 0..n {
                    let d = ds[s] * scale;
                    let e = x.enc_row(s, b);
                    let ge = &mut g_enc[(s * bsz + b) * h..][..h];
                    for j in 0..h {
                        dq[j] += d * e[j];
                        ge[j] += d * q[j];
                    }
                }
            }
        }
    }
}
