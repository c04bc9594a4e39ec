//! Exports for the attention decoder (`recurrent_core::rnn::attention`): every target step
//! forward, or BPTT through all of them into the encoder's outputs, in one call each. The
//! decoder's recurrent stack is a stack handle (its parameters and gradients); the attention
//! parameters, the encoder's outputs and the tape (sized with `attn_tape_len`) are buffers.

use recurrent_core::rnn::attention::{self, AttnGrads, AttnOutput, AttnShape, AttnSpec, Score};
use wasm_bindgen::prelude::*;

use crate::abi_error::from_core;
use crate::buffers::with_buffers;
use crate::js_input::u32s;
use crate::registry::Handle;
use crate::rnn::with_stack;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut, prefix_mut_opt};

fn spec_of(
    stack: &recurrent_core::rnn::StackSpec,
    score: u32,
    attn_size: u32,
    embed: u32,
) -> Result<AttnSpec, JsError> {
    let spec = AttnSpec {
        stack: *stack,
        embed: embed as usize,
        score: Score::from_code(score).map_err(from_core)?,
        attn_size: attn_size as usize,
    };
    spec.validate().map_err(from_core)?;
    Ok(spec)
}

/// `a * b * ...`, or an error naming `arg` when it overflows (sizes are checked before any
/// buffer is sliced).
fn dims(op: &str, arg: &str, d: &[usize]) -> Result<usize, JsError> {
    d.iter()
        .try_fold(1usize, |acc, &x| acc.checked_mul(x))
        .ok_or_else(|| {
            crate::abi_error::abi_error(
                crate::abi_error::Kind::InvalidArgument,
                format_args!("{op}: argument `{arg}` is too large ({d:?})"),
            )
        })
}

fn shape(src_len: u32, tgt_len: u32, batch: u32) -> AttnShape {
    AttnShape {
        src_len: src_len as usize,
        tgt_len: tgt_len as usize,
        batch: batch as usize,
    }
}

/// Floats of the attention parameters (`score` 0 additive: `W_k, W_q, w_v`; 1 dot: `W_q`).
#[wasm_bindgen]
pub fn attn_param_len(
    stack: Handle,
    score: u32,
    attn_size: u32,
    embed: u32,
) -> Result<f64, JsError> {
    with_stack(stack, |s| {
        let spec = spec_of(&s.spec, score, attn_size, embed)?;
        Ok(spec.attn_param_len().map_err(from_core)? as f64)
    })
}

/// Floats of the tape of a call over S source steps, T target steps, B sequences.
#[wasm_bindgen]
pub fn attn_tape_len(
    stack: Handle,
    score: u32,
    attn_size: u32,
    embed: u32,
    src_len: u32,
    tgt_len: u32,
    batch: u32,
) -> Result<f64, JsError> {
    with_stack(stack, |s| {
        let spec = spec_of(&s.spec, score, attn_size, embed)?;
        Ok(spec
            .tape_len(shape(src_len, tgt_len, batch))
            .map_err(from_core)? as f64)
    })
}

/// The decoder over T steps: `enc` `[S, B, H]`, `lengths` (a `Uint32Array` of B valid source
/// lengths), `emb` `[T, B, E]`; `h` (and `c`, cell-state kinds; 0 otherwise) `[L, B, H]` in:
/// the initial state, out: the final one; `y` `[T, B, H]`; `alpha` `[T, B, S]` (0: not
/// wanted); `tape` records what `attn_backward` needs. `keys_ready`: the tape holds the
/// additive keys of this `enc` from the previous call of the same shape (step-by-step
/// decoding), so they are not computed again.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn attn_forward(
    stack: Handle,
    score: u32,
    attn_size: u32,
    embed: u32,
    src_len: u32,
    tgt_len: u32,
    batch: u32,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] lengths: JsValue,
    attn_params: Handle,
    enc: Handle,
    emb: Handle,
    h: Handle,
    c: Handle,
    y: Handle,
    alpha: Handle,
    tape: Handle,
    keys_ready: bool,
) -> Result<(), JsError> {
    const OP: &str = "attn_forward";
    let lengths = u32s(OP, "lengths", &lengths)?;
    ensure_distinct(
        OP,
        &[
            ("h", h),
            ("c", c),
            ("y", y),
            ("alpha", alpha),
            ("tape", tape),
        ],
        &[("attn_params", attn_params), ("enc", enc), ("emb", emb)],
    )?;
    let sh = shape(src_len, tgt_len, batch);
    let mut h = Taken::take(h)?;
    let mut c = Taken::take_opt(c)?;
    let mut y = Taken::take(y)?;
    let mut alpha = Taken::take_opt(alpha)?;
    let mut tape = Taken::take(tape)?;
    with_stack(stack, |s| {
        let spec = spec_of(&s.spec, score, attn_size, embed)?;
        let hid = spec.stack.hidden_size;
        let (sl, tl, b) = (sh.src_len, sh.tgt_len, sh.batch);
        let tape_len = spec.tape_len(sh).map_err(from_core)?;
        let states = dims(OP, "h", &[spec.stack.num_layers, b, hid])?;
        let (n_enc, n_y) = (
            dims(OP, "enc", &[sl, b, hid])?,
            dims(OP, "y", &[tl, b, hid])?,
        );
        let (n_alpha, n_emb) = (
            dims(OP, "alpha", &[tl, b, sl])?,
            dims(OP, "emb", &[tl, b, spec.embed])?,
        );
        with_buffers(|reg| {
            let out = AttnOutput {
                h: prefix_mut(&mut h, states, OP, "h")?,
                c: if spec.stack.kind.has_cell_state() {
                    prefix_mut_opt(&mut c, states, OP, "c")?
                } else {
                    None
                },
                y: prefix_mut(&mut y, n_y, OP, "y")?,
                alpha: prefix_mut_opt(&mut alpha, n_alpha, OP, "alpha")?,
            };
            attention::attn_forward(
                recurrent_core::default_pool(),
                &spec,
                sh,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(
                    reg,
                    attn_params,
                    spec.attn_param_len().map_err(from_core)?,
                    OP,
                    "attn_params",
                )?,
                prefix(reg, enc, n_enc, OP, "enc")?,
                &lengths,
                prefix(reg, emb, n_emb, OP, "emb")?,
                out,
                prefix_mut(&mut tape, tape_len, OP, "tape")?,
                keys_ready,
            )
            .map_err(from_core)
        })
    })
}

/// BPTT after `attn_forward` with the same sizes, `lengths`, parameters, `enc` and tape, for
/// `gy` `[T, B, H]`: ACCUMULATES into the stack's gradients and `attn_grads`; overwrites
/// `g_enc` `[S, B, H]`, `g_emb` `[T, B, E]` (0: not wanted), `gh0` and `gc0` `[L, B, H]`
/// (`gc0` for cell-state kinds; 0: not wanted).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn attn_backward(
    stack: Handle,
    score: u32,
    attn_size: u32,
    embed: u32,
    src_len: u32,
    tgt_len: u32,
    batch: u32,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] lengths: JsValue,
    attn_params: Handle,
    enc: Handle,
    tape: Handle,
    gy: Handle,
    attn_grads: Handle,
    g_enc: Handle,
    g_emb: Handle,
    gh0: Handle,
    gc0: Handle,
) -> Result<(), JsError> {
    const OP: &str = "attn_backward";
    let lengths = u32s(OP, "lengths", &lengths)?;
    ensure_distinct(
        OP,
        &[
            ("tape", tape),
            ("attn_grads", attn_grads),
            ("g_enc", g_enc),
            ("g_emb", g_emb),
            ("gh0", gh0),
            ("gc0", gc0),
        ],
        &[("attn_params", attn_params), ("enc", enc), ("gy", gy)],
    )?;
    let sh = shape(src_len, tgt_len, batch);
    let mut tape = Taken::take(tape)?;
    let mut ag = Taken::take(attn_grads)?;
    let mut ge = Taken::take(g_enc)?;
    let mut gm = Taken::take_opt(g_emb)?;
    let mut gh = Taken::take(gh0)?;
    let mut gc = Taken::take_opt(gc0)?;
    with_stack(stack, |s| {
        let spec = spec_of(&s.spec, score, attn_size, embed)?;
        let hid = spec.stack.hidden_size;
        let (sl, tl, b) = (sh.src_len, sh.tgt_len, sh.batch);
        let tape_len = spec.tape_len(sh).map_err(from_core)?;
        let states = dims(OP, "gh0", &[spec.stack.num_layers, b, hid])?;
        let (n_enc, n_y) = (
            dims(OP, "enc", &[sl, b, hid])?,
            dims(OP, "gy", &[tl, b, hid])?,
        );
        let n_emb = dims(OP, "g_emb", &[tl, b, spec.embed])?;
        let attn_len = spec.attn_param_len().map_err(from_core)?;
        let mut grads = Taken::take(s.grads)?;
        with_buffers(|reg| {
            let out = AttnGrads {
                params: prefix_mut(&mut grads, s.len, OP, "grads")?,
                attn: prefix_mut(&mut ag, attn_len, OP, "attn_grads")?,
                enc: prefix_mut(&mut ge, n_enc, OP, "g_enc")?,
                emb: prefix_mut_opt(&mut gm, n_emb, OP, "g_emb")?,
                h0: prefix_mut(&mut gh, states, OP, "gh0")?,
                c0: if spec.stack.kind.has_cell_state() {
                    prefix_mut_opt(&mut gc, states, OP, "gc0")?
                } else {
                    None
                },
            };
            attention::attn_backward(
                recurrent_core::default_pool(),
                &spec,
                sh,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(reg, attn_params, attn_len, OP, "attn_params")?,
                prefix(reg, enc, n_enc, OP, "enc")?,
                &lengths,
                prefix(reg, gy, n_y, OP, "gy")?,
                out,
                prefix_mut(&mut tape, tape_len, OP, "tape")?,
            )
            .map_err(from_core)
        })
    })
}
