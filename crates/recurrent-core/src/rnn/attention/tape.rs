//! The attention decoder's flat tape: the record of a forward (per layer, per step: the
//! gate activations, the cell's kept vector, `h_{t-1}`, `c_{t-1}`; layer 0's inputs
//! `[context; embedding]`; the lower layers' outputs; the projected queries and the weights;
//! the additive keys) and the scratch of both directions. With `R = T*B`, `Q` the query width
//! (A or H), `I0 = H + E`, `C` = H with a cell state else 0, `X` = the cell's kept vectors:
//! `L*R*(G*H + X*H + H + C) + R*I0 + (L-1)*R*H + 2*R*Q + R*S + 2*S*B*A (additive) + B*G*H +
//! L*B*(H + C) + B*(2H + I0) + B*S + B*A (additive)`.

use super::{AttnShape, AttnSpec, Score};
use crate::error::CoreResult;
use crate::rnn::cells;
use crate::rnn::spec::product;

const OP: &str = "attention tape";

/// Floats of each part, for one call's shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// One layer's record: `act`, `extra`, `hprev`, `cprev`.
    pub act: usize,
    pub extra: usize,
    pub hprev: usize,
    pub cprev: usize,
    pub layer: usize,
    pub layers: usize,
    pub x0: usize,
    pub outs: usize,
    pub qp: usize,
    pub alpha: usize,
    pub keys: usize,
    pub rec: usize,
    pub dh: usize,
    pub dc: usize,
    pub drh: usize,
    pub dx: usize,
    pub dbelow: usize,
    pub dk: usize,
    pub dqp: usize,
    pub row: usize,
    pub wv: usize,
    pub total: usize,
}

impl Sizes {
    pub fn of(spec: &AttnSpec, s: AttnShape) -> CoreResult<Self> {
        let st = &spec.stack;
        let cell = cells::info(st.kind);
        let (h, l, b) = (st.hidden_size, st.num_layers, s.batch);
        let c = if cell.has_c { h } else { 0 };
        let r = product(OP, "tgt_len", &[s.tgt_len, b])?;
        let q = spec.query_width();
        let keys = match spec.score {
            Score::Additive => product(OP, "src_len", &[s.src_len, b, spec.attn_size])?,
            Score::Dot => 0,
        };
        let act = product(OP, "tgt_len", &[r, cell.gates, h])?;
        let extra = product(OP, "tgt_len", &[r, cell.extra, h])?;
        let hprev = product(OP, "tgt_len", &[r, h])?;
        let cprev = product(OP, "tgt_len", &[r, c])?;
        let sum = |parts: &[usize]| -> CoreResult<usize> {
            parts.iter().try_fold(0usize, |acc, &p| {
                acc.checked_add(p).ok_or_else(|| {
                    crate::error::CoreError::new(
                        OP,
                        "tgt_len",
                        "a size that fits in memory",
                        "too large",
                    )
                })
            })
        };
        let layer = sum(&[act, extra, hprev, cprev])?;
        let mut out = Self {
            act,
            extra,
            hprev,
            cprev,
            layer,
            layers: product(OP, "num_layers", &[layer, l])?,
            x0: product(OP, "tgt_len", &[r, st.input_size])?,
            outs: product(OP, "num_layers", &[l - 1, r, h])?,
            qp: product(OP, "tgt_len", &[r, q])?,
            alpha: product(OP, "src_len", &[r, s.src_len])?,
            keys,
            rec: product(OP, "batch", &[b, cell.gates, h])?,
            dh: product(OP, "batch", &[l, b, h])?,
            dc: product(OP, "batch", &[l, b, c])?,
            drh: product(OP, "batch", &[b, h])?,
            dx: product(OP, "batch", &[b, st.input_size])?,
            dbelow: product(OP, "batch", &[b, h])?,
            dk: keys,
            dqp: product(OP, "tgt_len", &[r, q])?,
            row: product(OP, "src_len", &[b, s.src_len])?,
            wv: if spec.score == Score::Additive {
                product(OP, "batch", &[b, spec.attn_size])?
            } else {
                0
            },
            total: 0,
        };
        out.total = sum(&[
            out.layers, out.x0, out.outs, out.qp, out.alpha, out.keys, out.rec, out.dh, out.dc,
            out.drh, out.dx, out.dbelow, out.dk, out.dqp, out.row, out.wv,
        ])?;
        Ok(out)
    }
}

/// The tape carved into its parts (exactly `Sizes::total` floats).
pub(crate) struct Parts<'a> {
    /// `L` layer records, each `act | extra | hprev | cprev`.
    pub layers: &'a mut [f32],
    pub x0: &'a mut [f32],
    pub outs: &'a mut [f32],
    pub qp: &'a mut [f32],
    pub alpha: &'a mut [f32],
    pub keys: &'a mut [f32],
    pub rec: &'a mut [f32],
    pub dh: &'a mut [f32],
    pub dc: &'a mut [f32],
    pub drh: &'a mut [f32],
    pub dx: &'a mut [f32],
    pub dbelow: &'a mut [f32],
    pub dk: &'a mut [f32],
    pub dqp: &'a mut [f32],
    pub row: &'a mut [f32],
    pub wv: &'a mut [f32],
}

/// Cuts consecutive parts off a slice.
struct Carver<'a>(&'a mut [f32]);

impl<'a> Carver<'a> {
    fn take(&mut self, n: usize) -> &'a mut [f32] {
        let rest = std::mem::take(&mut self.0);
        let (part, rest) = rest.split_at_mut(n);
        self.0 = rest;
        part
    }
}

impl<'a> Parts<'a> {
    /// `tape` must hold at least `z.total` floats (checked by the callers).
    pub fn carve(z: &Sizes, tape: &'a mut [f32]) -> Self {
        let mut c = Carver(&mut tape[..z.total]);
        Self {
            layers: c.take(z.layers),
            x0: c.take(z.x0),
            outs: c.take(z.outs),
            qp: c.take(z.qp),
            alpha: c.take(z.alpha),
            keys: c.take(z.keys),
            rec: c.take(z.rec),
            dh: c.take(z.dh),
            dc: c.take(z.dc),
            drh: c.take(z.drh),
            dx: c.take(z.dx),
            dbelow: c.take(z.dbelow),
            dk: c.take(z.dk),
            dqp: c.take(z.dqp),
            row: c.take(z.row),
            wv: c.take(z.wv),
        }
    }
}

/// One layer's record: `act`, `extra`, `hprev`, `cprev` over all `R` rows.
pub(crate) struct LayerRec<'a> {
    pub act: &'a mut [f32],
    pub extra: &'a mut [f32],
    pub hprev: &'a mut [f32],
    pub cprev: &'a mut [f32],
}

/// Layer `l`'s record within `layers`.
pub(crate) fn layer<'a>(z: &Sizes, layers: &'a mut [f32], l: usize) -> LayerRec<'a> {
    let mut c = Carver(&mut layers[l * z.layer..(l + 1) * z.layer]);
    LayerRec {
        act: c.take(z.act),
        extra: c.take(z.extra),
        hprev: c.take(z.hprev),
        cprev: c.take(z.cprev),
    }
}
