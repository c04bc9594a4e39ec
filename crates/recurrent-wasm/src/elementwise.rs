//! Exports for the element-wise layers and losses of the model API (see
//! `recurrent_core::train::{activation, layer_norm, value_loss}`) and for dropout as a layer:
//! one call per layer and batch, each over whole buffers. Buffers are handles; each kernel gets
//! exactly the prefix its shape needs (see `views`).

use recurrent_core::train::{self, Activation, ValueLoss};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::with_buffers;
use crate::registry::Handle;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_mut_opt, prefix_opt, size};

/// Activation codes: 0 relu, 1 gelu, 2 tanh, 3 sigmoid (element-wise), 4 softmax (per row).
const SOFTMAX: u32 = 4;

fn activation_of(op: &str, kind: u32) -> Result<Activation, JsError> {
    Ok(match kind {
        0 => Activation::Relu,
        1 => Activation::Gelu,
        2 => Activation::Tanh,
        3 => Activation::Sigmoid,
        _ => {
            return Err(abi_error(
                Kind::InvalidArgument,
                format_args!("{op}: argument `kind` expected 0 (relu), 1 (gelu), 2 (tanh), 3 (sigmoid) or 4 (softmax), got {kind}"),
            ))
        }
    })
}

/// `y = f(x)` over `rows` rows of `width` (softmax: over each row).
#[wasm_bindgen]
pub fn activation_forward(
    kind: u32,
    rows: u32,
    width: u32,
    x: Handle,
    y: Handle,
) -> Result<(), JsError> {
    const OP: &str = "activation_forward";
    ensure_distinct(OP, &[("y", y)], &[("x", x)])?;
    let len = size(OP, "x", rows, width)?;
    let mut y = Taken::take(y)?;
    with_buffers(|reg| {
        let (xs, ys) = (
            prefix(reg, x, len, OP, "x")?,
            prefix_mut(&mut y, len, OP, "y")?,
        );
        if kind == SOFTMAX {
            train::softmax_rows_forward(xs, ys, width as usize)
        } else {
            train::activation_forward(activation_of(OP, kind)?, xs, ys)
        }
        .map_err(from_core)
    })
}

/// The upstream gradient `g` (dL/dy) becomes dL/dx in place; `x` is the layer's input.
#[wasm_bindgen]
pub fn activation_backward(
    kind: u32,
    rows: u32,
    width: u32,
    x: Handle,
    g: Handle,
) -> Result<(), JsError> {
    const OP: &str = "activation_backward";
    ensure_distinct(OP, &[("g", g)], &[("x", x)])?;
    let len = size(OP, "x", rows, width)?;
    let mut g = Taken::take(g)?;
    with_buffers(|reg| {
        let (xs, gs) = (
            prefix(reg, x, len, OP, "x")?,
            prefix_mut(&mut g, len, OP, "g")?,
        );
        if kind == SOFTMAX {
            train::softmax_rows_backward(xs, gs, width as usize)
        } else {
            train::activation_backward(activation_of(OP, kind)?, xs, gs)
        }
        .map_err(from_core)
    })
}

/// Layer normalisation of `rows` rows of `width` into `y`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)] // the tensors of one op
pub fn layer_norm_forward(
    rows: u32,
    width: u32,
    x: Handle,
    weight: Handle,
    bias: Handle,
    y: Handle,
    eps: f64,
) -> Result<(), JsError> {
    const OP: &str = "layer_norm_forward";
    ensure_distinct(
        OP,
        &[("y", y)],
        &[("x", x), ("weight", weight), ("bias", bias)],
    )?;
    let len = size(OP, "x", rows, width)?;
    let w = width as usize;
    let mut y = Taken::take(y)?;
    with_buffers(|reg| {
        train::layer_norm_forward(
            prefix(reg, x, len, OP, "x")?,
            w,
            prefix(reg, weight, w, OP, "weight")?,
            prefix(reg, bias, w, OP, "bias")?,
            prefix_mut(&mut y, len, OP, "y")?,
            eps,
        )
        .map_err(from_core)
    })
}

/// Its backward: accumulates `dweight`, `dbias`; with `need_input`, `g` becomes dL/dx.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)] // the tensors of one op
pub fn layer_norm_backward(
    rows: u32,
    width: u32,
    x: Handle,
    weight: Handle,
    g: Handle,
    dweight: Handle,
    dbias: Handle,
    eps: f64,
    need_input: bool,
) -> Result<(), JsError> {
    const OP: &str = "layer_norm_backward";
    ensure_distinct(
        OP,
        &[("g", g), ("dweight", dweight), ("dbias", dbias)],
        &[("x", x), ("weight", weight)],
    )?;
    let len = size(OP, "x", rows, width)?;
    let w = width as usize;
    let (mut g, mut dweight, mut dbias) =
        (Taken::take(g)?, Taken::take(dweight)?, Taken::take(dbias)?);
    with_buffers(|reg| {
        train::layer_norm_backward(
            prefix(reg, x, len, OP, "x")?,
            w,
            prefix(reg, weight, w, OP, "weight")?,
            prefix_mut(&mut g, len, OP, "g")?,
            prefix_mut(&mut dweight, w, OP, "dweight")?,
            prefix_mut(&mut dbias, w, OP, "dbias")?,
            eps,
            need_input,
        )
        .map_err(from_core)
    })
}

/// An element-wise loss over `rows` rows of `width`: `kind` 0 binary cross-entropy on logits,
/// 1 MAE, 2 Huber (with `delta`), 3 MSE. `row_weight` (0: every row 1) has one weight per row
/// (0 for a padded row); `grad` (0: none) receives dL/dpred. Returns `[loss, sum of weights]`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)] // the tensors of one op
pub fn value_loss(
    kind: u32,
    rows: u32,
    width: u32,
    pred: Handle,
    target: Handle,
    row_weight: Handle,
    grad: Handle,
    delta: f64,
) -> Result<Vec<f64>, JsError> {
    const OP: &str = "value_loss";
    let loss = match kind {
        0 => ValueLoss::BinaryCrossEntropy,
        1 => ValueLoss::Mae,
        2 => ValueLoss::Huber { delta },
        3 => ValueLoss::Mse,
        _ => {
            return Err(abi_error(
                Kind::InvalidArgument,
                format_args!("{OP}: argument `kind` expected 0 (binary cross-entropy), 1 (mae), 2 (huber) or 3 (mse), got {kind}"),
            ))
        }
    };
    ensure_distinct(
        OP,
        &[("grad", grad)],
        &[
            ("pred", pred),
            ("target", target),
            ("row_weight", row_weight),
        ],
    )?;
    let len = size(OP, "pred", rows, width)?;
    let mut grad = Taken::take_opt(grad)?;
    with_buffers(|reg| {
        let stats = train::value_loss(
            loss,
            prefix(reg, pred, len, OP, "pred")?,
            prefix(reg, target, len, OP, "target")?,
            width as usize,
            prefix_opt(reg, row_weight, rows as usize, OP, "row_weight")?,
            prefix_mut_opt(&mut grad, len, OP, "grad")?,
        )
        .map_err(from_core)?;
        let mut out =
            recurrent_core::mem::with_capacity(OP, "the loss statistics", 2).map_err(from_core)?;
        out.extend_from_slice(&[stats.loss, stats.weight]);
        Ok(out)
    })
}

/// Inverted dropout of the first `len` elements: `out = x * keep / (1 - p)` with a mask drawn
/// from `(seed, index)` alone (`x` may be `out`). Its backward is the same call on the upstream
/// gradient with the same `p` and seed. A release export: the `dropout` layer calls it.
#[wasm_bindgen]
pub fn dropout(
    len: u32,
    x: Handle,
    out: Handle,
    p: f64,
    seed_hi: u32,
    seed_lo: u32,
) -> Result<(), JsError> {
    const OP: &str = "dropout";
    let mut out_t = Taken::take(out)?;
    let len = len as usize;
    let seed = (u64::from(seed_hi) << 32) | u64::from(seed_lo);
    if x != out {
        // Copy first, then drop in place: the same mask and bits as a separate output.
        with_buffers(|reg| {
            let src = prefix(reg, x, len, OP, "x")?;
            let dst = prefix_mut(&mut out_t, len, OP, "out")?;
            // Checked before the copy, so a bad `p` leaves `out` as it was.
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                return Err(abi_error(
                    Kind::InvalidArgument,
                    format_args!("{OP}: argument `p` expected a number in [0, 1], got {p}"),
                ));
            }
            dst.copy_from_slice(src);
            Ok(())
        })?;
    }
    train::dropout_in_place(prefix_mut(&mut out_t, len, OP, "out")?, p, seed).map_err(from_core)
}
