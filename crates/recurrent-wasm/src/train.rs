//! Exports for everything of a training step after the recurrent layers: dense layer,
//! losses, embeddings. (Dropout between stacked layers lives in the recurrent stack; dropout as a
//! layer and the element-wise layers and losses are in `elementwise`; the gradient norm and the
//! optimisers in `params`; the per-buffer forms that only tests call are in
//! `test_exports`.) Buffers are handles; each kernel gets exactly the prefix its shape needs
//! (see `views`).

use recurrent_core::train::{self, DenseGrads, GradWrite, Reduction, XentOptions};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::js_input::u32s;
use crate::registry::Handle;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_mut_opt, prefix_opt, size};

fn write_mode(accumulate: bool) -> GradWrite {
    if accumulate {
        GradWrite::Accumulate
    } else {
        GradWrite::Overwrite
    }
}

/// Dense layer + softmax cross-entropy, forward and backward in one call (see
/// `recurrent_core::train::dense_softmax_xent`). `targets` has `n` class ids; `weights`
/// (0: none) `n` row weights; `ignore_index` < 0: none. `scratch` holds at least `n*classes`
/// floats and receives dlogits; `logits_out`, `dw`, `db`, `dx` are 0 when not wanted.
/// Returns `[loss, loss_sum, weight_sum, rows, correct]`.
#[wasm_bindgen]
pub fn dense_xent(
    n: u32,
    in_dim: u32,
    classes: u32,
    x: Handle,
    w: Handle,
    b: Handle,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] targets: JsValue,
    weights: Handle,
    ignore_index: i32,
    reduction_sum: bool,
    scratch: Handle,
    logits_out: Handle,
    dw: Handle,
    db: Handle,
    dx: Handle,
    dx_accumulate: bool,
) -> Result<Vec<f64>, JsError> {
    const OP: &str = "dense_xent";
    let targets = u32s(OP, "targets", &targets)?;
    ensure_distinct(
        OP,
        &[
            ("scratch", scratch),
            ("logits_out", logits_out),
            ("dw", dw),
            ("db", db),
            ("dx", dx),
        ],
        &[("x", x), ("w", w), ("b", b), ("weights", weights)],
    )?;
    let (nx, nw, nl) = (
        size(OP, "x", n, in_dim)?,
        size(OP, "w", classes, in_dim)?,
        size(OP, "logits", n, classes)?,
    );
    let mut scratch = Taken::take(scratch)?;
    let mut logits_out = Taken::take_opt(logits_out)?;
    let mut dw = Taken::take_opt(dw)?;
    let mut db = Taken::take_opt(db)?;
    let mut dx = Taken::take_opt(dx)?;
    with_buffers(|reg| {
        let opts = XentOptions {
            ignore_index: u32::try_from(ignore_index).ok(),
            weights: prefix_opt(reg, weights, n as usize, OP, "weights")?,
            reduction: if reduction_sum {
                Reduction::Sum
            } else {
                Reduction::Mean
            },
        };
        let grads = DenseGrads {
            dw: prefix_mut_opt(&mut dw, nw, OP, "dw")?,
            db: prefix_mut_opt(&mut db, classes as usize, OP, "db")?,
            dx: prefix_mut_opt(&mut dx, nx, OP, "dx")?,
            dx_write: write_mode(dx_accumulate),
        };
        let stats = train::dense_softmax_xent(
            recurrent_core::default_pool(),
            n as usize,
            in_dim as usize,
            classes as usize,
            prefix(reg, x, nx, OP, "x")?,
            prefix(reg, w, nw, OP, "w")?,
            prefix_opt(reg, b, classes as usize, OP, "b")?,
            &targets,
            &opts,
            prefix_mut(&mut scratch, nl, OP, "scratch")?,
            prefix_mut_opt(&mut logits_out, nl, OP, "logits_out")?,
            grads,
        )
        .map_err(from_core)?;
        let mut out =
            recurrent_core::mem::with_capacity(OP, "the loss statistics", 5).map_err(from_core)?;
        out.extend_from_slice(&[
            stats.loss,
            stats.loss_sum,
            stats.weight_sum,
            stats.rows as f64,
            stats.correct as f64,
        ]);
        Ok(out)
    })
}

/// Inference logits `out [n, classes] = x W^T + b`, or log-softmax rows with `log_softmax`.
#[wasm_bindgen]
pub fn dense_logits(
    n: u32,
    in_dim: u32,
    classes: u32,
    x: Handle,
    w: Handle,
    b: Handle,
    out: Handle,
    log_softmax: bool,
) -> Result<(), JsError> {
    const OP: &str = "dense_logits";
    ensure_distinct(OP, &[("out", out)], &[("x", x), ("w", w), ("b", b)])?;
    let mut out = Taken::take(out)?;
    with_buffers(|reg| {
        train::dense_logits(
            recurrent_core::default_pool(),
            n as usize,
            in_dim as usize,
            classes as usize,
            prefix(reg, x, size(OP, "x", n, in_dim)?, OP, "x")?,
            prefix(reg, w, size(OP, "w", classes, in_dim)?, OP, "w")?,
            prefix_opt(reg, b, classes as usize, OP, "b")?,
            prefix_mut(&mut out, size(OP, "out", n, classes)?, OP, "out")?,
            log_softmax,
        )
        .map_err(from_core)
    })
}

/// Dense forward `y [n, out] = x W^T + b` (b: 0 for none).
#[wasm_bindgen]
pub fn dense_forward(
    n: u32,
    in_dim: u32,
    out_dim: u32,
    x: Handle,
    w: Handle,
    b: Handle,
    y: Handle,
) -> Result<(), JsError> {
    const OP: &str = "dense_forward";
    ensure_distinct(OP, &[("y", y)], &[("x", x), ("w", w), ("b", b)])?;
    let mut y = Taken::take(y)?;
    with_buffers(|reg| {
        train::dense_forward(
            recurrent_core::default_pool(),
            n as usize,
            in_dim as usize,
            out_dim as usize,
            prefix(reg, x, size(OP, "x", n, in_dim)?, OP, "x")?,
            prefix(reg, w, size(OP, "w", out_dim, in_dim)?, OP, "w")?,
            prefix_opt(reg, b, out_dim as usize, OP, "b")?,
            prefix_mut(&mut y, size(OP, "y", n, out_dim)?, OP, "y")?,
        )
        .map_err(from_core)
    })
}

/// Dense backward given `dy`: `dw += dy^T x`, `db += colsum(dy)`, `dx = dy W` (or `+=`).
#[wasm_bindgen]
pub fn dense_backward(
    n: u32,
    in_dim: u32,
    out_dim: u32,
    x: Handle,
    w: Handle,
    dy: Handle,
    dw: Handle,
    db: Handle,
    dx: Handle,
    dx_accumulate: bool,
) -> Result<(), JsError> {
    const OP: &str = "dense_backward";
    ensure_distinct(
        OP,
        &[("dw", dw), ("db", db), ("dx", dx)],
        &[("x", x), ("w", w), ("dy", dy)],
    )?;
    let mut dw = Taken::take_opt(dw)?;
    let mut db = Taken::take_opt(db)?;
    let mut dx = Taken::take_opt(dx)?;
    let (nx, nw) = (size(OP, "x", n, in_dim)?, size(OP, "w", out_dim, in_dim)?);
    with_buffers(|reg| {
        let grads = DenseGrads {
            dw: prefix_mut_opt(&mut dw, nw, OP, "dw")?,
            db: prefix_mut_opt(&mut db, out_dim as usize, OP, "db")?,
            dx: prefix_mut_opt(&mut dx, nx, OP, "dx")?,
            dx_write: write_mode(dx_accumulate),
        };
        train::dense_backward(
            recurrent_core::default_pool(),
            n as usize,
            in_dim as usize,
            out_dim as usize,
            prefix(reg, x, nx, OP, "x")?,
            prefix(reg, w, nw, OP, "w")?,
            prefix(reg, dy, size(OP, "dy", n, out_dim)?, OP, "dy")?,
            grads,
        )
        .map_err(from_core)
    })
}

/// Mean squared error over the first `len` elements; `dpred` (0: none) gets its gradient.
#[wasm_bindgen]
pub fn mse(
    len: u32,
    pred: Handle,
    target: Handle,
    dpred: Handle,
    accumulate: bool,
) -> Result<f64, JsError> {
    const OP: &str = "mse";
    ensure_distinct(
        OP,
        &[("dpred", dpred)],
        &[("pred", pred), ("target", target)],
    )?;
    let mut dpred = Taken::take_opt(dpred)?;
    let len = len as usize;
    with_buffers(|reg| {
        train::mse(
            prefix(reg, pred, len, OP, "pred")?,
            prefix(reg, target, len, OP, "target")?,
            prefix_mut_opt(&mut dpred, len, OP, "dpred")?,
            write_mode(accumulate),
        )
        .map_err(from_core)
    })
}

/// `out [ids.len(), dim] = table[ids]` for a `[vocab, dim]` table.
#[wasm_bindgen]
pub fn embedding_forward(
    vocab: u32,
    dim: u32,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] ids: JsValue,
    table: Handle,
    out: Handle,
) -> Result<(), JsError> {
    const OP: &str = "embedding_forward";
    let ids = u32s(OP, "ids", &ids)?;
    ensure_distinct(OP, &[("out", out)], &[("table", table)])?;
    let mut out = Taken::take(out)?;
    let n = u32::try_from(ids.len()).map_err(|_| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("embedding_forward: too many ids"),
        )
    })?;
    with_buffers(|reg| {
        train::embedding_forward(
            vocab as usize,
            dim as usize,
            &ids,
            prefix(reg, table, size(OP, "table", vocab, dim)?, OP, "table")?,
            prefix_mut(&mut out, size(OP, "out", n, dim)?, OP, "out")?,
        )
        .map_err(from_core)
    })
}

/// `dtable[ids[i]] += dout[i]`, in order.
#[wasm_bindgen]
pub fn embedding_backward(
    vocab: u32,
    dim: u32,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] ids: JsValue,
    dout: Handle,
    dtable: Handle,
) -> Result<(), JsError> {
    const OP: &str = "embedding_backward";
    let ids = u32s(OP, "ids", &ids)?;
    ensure_distinct(OP, &[("dtable", dtable)], &[("dout", dout)])?;
    let mut dtable = Taken::take(dtable)?;
    let n = u32::try_from(ids.len()).map_err(|_| {
        abi_error(
            Kind::InvalidArgument,
            format_args!("embedding_backward: too many ids"),
        )
    })?;
    with_buffers(|reg| {
        train::embedding_backward(
            vocab as usize,
            dim as usize,
            &ids,
            prefix(reg, dout, size(OP, "dout", n, dim)?, OP, "dout")?,
            prefix_mut(&mut dtable, size(OP, "dtable", vocab, dim)?, OP, "dtable")?,
        )
        .map_err(from_core)
    })
}
