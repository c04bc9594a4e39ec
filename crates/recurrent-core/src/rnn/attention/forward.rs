//! Forward of the attention decoder over every target step, in one call.

use super::score::{attend, StepIn};
use super::tape::{layer, Parts};
use super::{check_common, exact, AttnParams, AttnShape, AttnSpec, Score};
use crate::error::CoreResult;
use crate::gemm::{sgemm, Transpose};
use crate::parallel::Parallel;
use crate::rnn::advance::{advance, project, StepBufs};
use crate::rnn::cells;
use crate::rnn::check;
use crate::rnn::params::DirOffsets;
use crate::rnn::spec::product;

/// Where a forward writes: `h` `[L, B, H]` (in: the initial state, out: the state after the
/// last step), `c` likewise (cell-state kinds only), `y` `[T, B, H]` the top layer's states,
/// `alpha` `[T, B, S]` the attention weights (optional).
#[derive(Debug)]
pub struct AttnOutput<'a> {
    pub h: &'a mut [f32],
    pub c: Option<&'a mut [f32]>,
    pub y: &'a mut [f32],
    pub alpha: Option<&'a mut [f32]>,
}

/// Runs the decoder over `T` steps: `enc` `[S, B, H]` the encoder's outputs (time-major),
/// `lengths` the valid source length of each row, `emb` `[T, B, E]` the embedded input
/// tokens (teacher forcing: `bos`, then the target shifted). Records into `tape` what
/// [`super::attn_backward`] needs. `keys_ready`: the tape already holds the additive keys
/// `enc W_k^T` of this `enc` and these parameters (a previous call of the same shape, as when
/// decoding one step per call), so they are not computed again.
pub fn attn_forward(
    pool: &dyn Parallel,
    spec: &AttnSpec,
    shape: AttnShape,
    params: &[f32],
    attn: &[f32],
    enc: &[f32],
    lengths: &[u32],
    emb: &[f32],
    out: AttnOutput<'_>,
    tape: &mut [f32],
    keys_ready: bool,
) -> CoreResult<()> {
    const OP: &str = "attn_forward";
    let z = check_common(OP, spec, shape, params, attn, enc, lengths, tape)?;
    let st = &spec.stack;
    let (h, l_n, e) = (st.hidden_size, st.num_layers, spec.embed);
    let (s_len, t_len, b) = (shape.src_len, shape.tgt_len, shape.batch);
    let cell = cells::info(st.kind);
    exact(OP, "emb", emb.len(), product(OP, "emb", &[t_len, b, e])?)?;
    let states = product(OP, "h", &[l_n, b, h])?;
    exact(OP, "h", out.h.len(), states)?;
    check::required_iff(OP, "c", out.c.as_ref().map(|c| c.len()), states, cell.has_c)?;
    exact(OP, "y", out.y.len(), product(OP, "y", &[t_len, b, h])?)?;
    if let Some(a) = &out.alpha {
        exact(OP, "alpha", a.len(), z.alpha)?;
    }
    let AttnOutput {
        h: hs,
        mut c,
        y,
        mut alpha,
    } = out;
    let parts = Parts::carve(&z, tape);
    let ap = AttnParams::split(spec, attn);
    let (q_w, i0, gh, bh) = (spec.query_width(), st.input_size, cell.gates * h, b * h);
    if spec.score == Score::Additive && !keys_ready {
        // keys [S*B, A] = enc [S*B, H] . W_k^T, once for all steps.
        let a = spec.attn_size;
        sgemm(
            pool,
            Transpose::No,
            Transpose::Yes,
            s_len * b,
            a,
            h,
            1.0,
            enc,
            h,
            ap.w_k,
            h,
            0.0,
            parts.keys,
            a,
        )?;
    }
    let Parts {
        layers,
        x0,
        outs,
        qp,
        alpha: alpha_rec,
        keys,
        rec,
        ..
    } = parts;
    for t in 0..t_len {
        // The query: the top layer's state before this step.
        let top = &hs[(l_n - 1) * bh..l_n * bh];
        let qp_t = &mut qp[t * b * q_w..(t + 1) * b * q_w];
        // qp [B, Q] = q [B, H] . W_q^T
        sgemm(
            pool,
            Transpose::No,
            Transpose::Yes,
            b,
            q_w,
            h,
            1.0,
            top,
            h,
            ap.w_q,
            h,
            0.0,
            qp_t,
            q_w,
        )?;
        let x0_t = &mut x0[t * b * i0..(t + 1) * b * i0];
        let alpha_t = &mut alpha_rec[t * b * s_len..(t + 1) * b * s_len];
        let step = StepIn {
            score: spec.score,
            src_len: s_len,
            batch: b,
            hidden: h,
            q_width: q_w,
            enc,
            keys,
            lengths,
            qp: qp_t,
        };
        attend(pool, &step, &ap, alpha_t, x0_t, i0);
        // Layer 0 reads [context; embedding].
        for r in 0..b {
            x0_t[r * i0 + h..(r + 1) * i0]
                .copy_from_slice(&emb[(t * b + r) * e..(t * b + r + 1) * e]);
        }
        if let Some(a) = alpha.as_deref_mut() {
            a[t * b * s_len..(t + 1) * b * s_len].copy_from_slice(alpha_t);
        }
        for l in 0..l_n {
            let p = DirOffsets::new(st, l, 0).view(params);
            let r = layer(&z, layers, l);
            let rows = t * b..(t + 1) * b;
            let (below, rest) = hs.split_at_mut(l * bh);
            let h_l = &mut rest[..bh];
            r.hprev[rows.start * h..rows.end * h].copy_from_slice(h_l);
            let c_l: &mut [f32] = match c.as_deref_mut() {
                Some(c) => {
                    let c_l = &mut c[l * bh..(l + 1) * bh];
                    r.cprev[rows.start * h..rows.end * h].copy_from_slice(c_l);
                    c_l
                }
                None => &mut [],
            };
            let input: &[f32] = if l == 0 {
                x0_t
            } else {
                // Layer l-1's new state: layer l's input, kept for the weight gradients.
                let o = &mut outs[(l - 1) * t_len * bh + t * bh..][..bh];
                o.copy_from_slice(&below[(l - 1) * bh..]);
                o
            };
            let act = &mut r.act[rows.start * gh..rows.end * gh];
            project(pool, input, b, &p, act)?;
            let ex = cell.extra * h;
            let io = StepBufs {
                gates: act,
                rec,
                extra: &mut r.extra[rows.start * ex..rows.end * ex],
                h: h_l,
                hcell: &mut [],
                c: c_l,
                hmask: None,
                // AttnSpec::validate refuses a skip connection.
                skip: &[],
            };
            advance(pool, &cell, h, b, &p, io, &|_| true, None, None)?;
        }
        y[t * bh..(t + 1) * bh].copy_from_slice(&hs[(l_n - 1) * bh..]);
    }
    Ok(())
}
