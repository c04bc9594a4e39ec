//! Backward of the attention decoder through every target step, in one call: per step (last
//! first) the layers top-down (cell backward, the recurrent GEMMs into the carried `dh`, the
//! input's gradient), then the attention, whose query gradient joins the top layer's carried
//! `dh`; the weight gradients are GEMMs over all steps afterwards.

use super::score::{attend_back, BackOut, StepIn};
use super::tape::{layer, Parts};
use super::{check_common, exact, AttnParams, AttnParamsMut, AttnShape, AttnSpec, Score};
use crate::error::CoreResult;
use crate::gemm::{sgemm, Transpose};
use crate::parallel::Parallel;
use crate::rnn::cells::{self, BwdRow, CellInfo, Recurrence};
use crate::rnn::check;
use crate::rnn::grads::{accumulate_rows, at_b, back_through, RecordRows};
use crate::rnn::params::{DirOffsets, DirParams};
use crate::rnn::spec::product;

/// Where a backward writes. `params` and `attn` ACCUMULATE (`+=`) the parameter gradients
/// (stack layout; attention layout); `enc` `[S, B, H]`, `emb` `[T, B, E]` (optional), `h0`,
/// `c0` `[L, B, H]` (c0 for cell-state kinds, optional) are overwritten.
#[derive(Debug)]
pub struct AttnGrads<'a> {
    pub params: &'a mut [f32],
    pub attn: &'a mut [f32],
    pub enc: &'a mut [f32],
    pub emb: Option<&'a mut [f32]>,
    pub h0: &'a mut [f32],
    pub c0: Option<&'a mut [f32]>,
}

/// BPTT after [`super::attn_forward`] with the same shape, parameters, `enc`, `lengths` and
/// tape: `gy` `[T, B, H]` is dL/d(the top layer's states).
pub fn attn_backward(
    pool: &dyn Parallel,
    spec: &AttnSpec,
    shape: AttnShape,
    params: &[f32],
    attn: &[f32],
    enc: &[f32],
    lengths: &[u32],
    gy: &[f32],
    out: AttnGrads<'_>,
    tape: &mut [f32],
) -> CoreResult<()> {
    const OP: &str = "attn_backward";
    let z = check_common(OP, spec, shape, params, attn, enc, lengths, tape)?;
    let st = &spec.stack;
    let (h, l_n, e) = (st.hidden_size, st.num_layers, spec.embed);
    let (s_len, t_len, b) = (shape.src_len, shape.tgt_len, shape.batch);
    let cell = cells::info(st.kind);
    exact(OP, "gy", gy.len(), product(OP, "gy", &[t_len, b, h])?)?;
    exact(OP, "grads", out.params.len(), params.len())?;
    exact(OP, "attn_grads", out.attn.len(), attn.len())?;
    exact(OP, "g_enc", out.enc.len(), enc.len())?;
    if let Some(g) = &out.emb {
        exact(OP, "g_emb", g.len(), product(OP, "g_emb", &[t_len, b, e])?)?;
    }
    let states = product(OP, "gh0", &[l_n, b, h])?;
    exact(OP, "gh0", out.h0.len(), states)?;
    if cell.has_c {
        if let Some(c) = &out.c0 {
            exact(OP, "gc0", c.len(), states)?;
        }
    } else {
        check::required_iff(OP, "gc0", out.c0.as_ref().map(|c| c.len()), states, false)?;
    }
    let AttnGrads {
        params: gp,
        attn: ga,
        enc: g_enc,
        mut emb,
        h0,
        c0,
    } = out;
    let Parts {
        layers,
        x0,
        outs,
        qp,
        alpha,
        keys,
        dh,
        dc,
        drh,
        dx,
        dbelow,
        dk,
        dqp,
        row,
        wv,
        ..
    } = Parts::carve(&z, tape);
    let ap = AttnParams::split(spec, attn);
    let mut ag = AttnParamsMut::split(spec, ga);
    let (q_w, i0, gh, bh) = (spec.query_width(), st.input_size, cell.gates * h, b * h);
    let ch = if cell.has_c { h } else { 0 };
    dh.fill(0.0);
    dc.fill(0.0);
    dk.fill(0.0);
    g_enc.fill(0.0);
    for t in (0..t_len).rev() {
        let rows = t * b..(t + 1) * b;
        for l in (0..l_n).rev() {
            let p = DirOffsets::new(st, l, 0).view(params);
            let r = layer(&z, layers, l);
            let act = &mut r.act[rows.start * gh..rows.end * gh];
            let ex = cell.extra * h;
            let extra = &mut r.extra[rows.start * ex..rows.end * ex];
            let hprev = &r.hprev[rows.start * h..rows.end * h];
            let cprev = &r.cprev[rows.start * ch..rows.end * ch];
            let dh_l = &mut dh[l * bh..(l + 1) * bh];
            let dc_l = &mut dc[l * b * ch..(l + 1) * b * ch];
            let dy: &[f32] = if l == l_n - 1 {
                &gy[rows.start * h..rows.end * h]
            } else {
                dbelow
            };
            for k in 0..b {
                let row = BwdRow {
                    gates: &mut act[k * gh..(k + 1) * gh],
                    extra: &mut extra[k * ex..(k + 1) * ex],
                    peep: p.peep,
                    h_prev: &hprev[k * h..(k + 1) * h],
                    c_prev: &cprev[k * ch..(k + 1) * ch],
                    dy: &dy[k * h..(k + 1) * h],
                    dh: &mut dh_l[k * h..(k + 1) * h],
                    dc: &mut dc_l[k * ch..(k + 1) * ch],
                };
                cells::backward_row(&cell, h, row);
            }
            recurrent_back(pool, &cell, h, b, &p, act, extra, hprev, dh_l, drh)?;
            // The input's gradient: dG [B, GH] . W_ih [GH, I_l].
            let (dst, width) = if l == 0 {
                (&mut dx[..], i0)
            } else {
                (&mut dbelow[..], h)
            };
            back_through(pool, b, width, gh, act, p.w_ih, 0.0, dst)?;
        }
        if let Some(g) = emb.as_deref_mut() {
            for k in 0..b {
                g[(t * b + k) * e..(t * b + k + 1) * e]
                    .copy_from_slice(&dx[k * i0 + h..(k + 1) * i0]);
            }
        }
        let qp_t = &qp[t * b * q_w..(t + 1) * b * q_w];
        let dqp_t = &mut dqp[t * b * q_w..(t + 1) * b * q_w];
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
        let alpha_t = &alpha[t * b * s_len..(t + 1) * b * s_len];
        let out = BackOut {
            g_enc,
            dk,
            dqp: dqp_t,
            ds: row,
            wv,
        };
        attend_back(pool, &step, &ap, &mut ag, alpha_t, dx, i0, out);
        // The query was the top layer's state before this step: dq = dqp [B, Q] . W_q [Q, H].
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            b,
            h,
            q_w,
            1.0,
            dqp_t,
            q_w,
            ap.w_q,
            h,
            1.0,
            &mut dh[(l_n - 1) * bh..l_n * bh],
            h,
        )?;
    }
    h0.copy_from_slice(dh);
    if let Some(c0) = c0 {
        if cell.has_c {
            c0.copy_from_slice(dc);
        }
    }
    let rows = t_len * b;
    for l in 0..l_n {
        let o = DirOffsets::new(st, l, 0);
        let r = layer(&z, layers, l);
        let rec = RecordRows {
            act: r.act,
            extra: r.extra,
            hprev: r.hprev,
            cprev: r.cprev,
            dproj: &[],
            hcell: &[],
            hskip: &[],
        };
        let x: &[f32] = if l == 0 {
            x0
        } else {
            &outs[(l - 1) * rows * h..l * rows * h]
        };
        accumulate_rows(pool, &cell, h, rows, rec, x, o.input, o.view_mut(gp))?;
    }
    // dW_q [Q, H] += dQP^T [Q, R] . Q [R, H], the queries being the top layer's h_{t-1}.
    let top = layer(&z, layers, l_n - 1);
    at_b(pool, rows, q_w, h, dqp, q_w, top.hprev, ag.w_q)?;
    if spec.score == Score::Additive {
        let (a, sb) = (spec.attn_size, s_len * b);
        // dW_k [A, H] += dK^T [A, S*B] . enc [S*B, H];  g_enc += dK [S*B, A] . W_k [A, H].
        at_b(pool, sb, a, h, dk, a, enc, ag.w_k)?;
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            sb,
            h,
            a,
            1.0,
            dk,
            a,
            ap.w_k,
            h,
            1.0,
            g_enc,
            h,
        )?;
    }
    Ok(())
}

/// The recurrent GEMMs of one backward step into `dh` (`h_{t-1}`'s gradient), finishing the
/// reset-before GRU's `dr` first (as `step_back` does for the stacks).
fn recurrent_back(
    pool: &dyn Parallel,
    cell: &CellInfo,
    h: usize,
    b: usize,
    p: &DirParams<'_>,
    act: &mut [f32],
    extra: &[f32],
    hprev: &[f32],
    dh: &mut [f32],
    drh: &mut [f32],
) -> CoreResult<()> {
    let gh = cell.gates * h;
    // a [B, k] (ld lda) . w [k, H] -> dh (beta)
    let gemm = |a: &[f32], lda: usize, k: usize, w: &[f32], beta: f32, c: &mut [f32]| {
        sgemm(
            pool,
            Transpose::No,
            Transpose::No,
            b,
            h,
            k,
            1.0,
            a,
            lda,
            w,
            h,
            beta,
            c,
            h,
        )
    };
    match cell.recurrence {
        Recurrence::Full => gemm(act, gh, gh, p.w_hh, 1.0, dh),
        Recurrence::ResetAfter => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            gemm(act, gh, 2 * h, w_rz, 1.0, dh)?;
            gemm(extra, h, h, w_n, 1.0, dh)
        }
        Recurrence::ResetBefore => {
            let (w_rz, w_n) = p.w_hh.split_at(2 * h * h);
            gemm(&act[2 * h..], gh, h, w_n, 0.0, drh)?;
            for k in 0..b {
                cells::reset_before_backward_row(
                    h,
                    &mut act[k * gh..(k + 1) * gh],
                    &hprev[k * h..(k + 1) * h],
                    &drh[k * h..(k + 1) * h],
                    &mut dh[k * h..(k + 1) * h],
                );
            }
            gemm(act, gh, 2 * h, w_rz, 1.0, dh)
        }
    }
}
