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

/// What a forward and a backward call check their buffers against: the spec, and the element
/// counts of the tape, the attention parameters, the states `[L, B, H]`, `enc` `[S, B, H]`,
/// the top layer's states `[T, B, H]` and the embeddings `[T, B, E]`; the last argument: the call's
/// own arguments for the last three (named when their size overflows).
struct Sizes {
    spec: AttnSpec,
    tape: usize,
    attn: usize,
    states: usize,
    enc: usize,
    y: usize,
    emb: usize,
}

impl Sizes {
    fn new(
        op: &str,
        stack: &recurrent_core::rnn::StackSpec,
        (score, attn_size, embed): (u32, u32, u32),
        sh: AttnShape,
        [states, y, emb]: [&str; 3],
    ) -> Result<Self, JsError> {
        let spec = spec_of(stack, score, attn_size, embed)?;
        let hid = spec.stack.hidden_size;
        let (sl, tl, b) = (sh.src_len, sh.tgt_len, sh.batch);
        Ok(Self {
            tape: spec.tape_len(sh).map_err(from_core)?,
            states: dims(op, states, &[spec.stack.num_layers, b, hid])?,
            enc: dims(op, "enc", &[sl, b, hid])?,
            y: dims(op, y, &[tl, b, hid])?,
            emb: dims(op, emb, &[tl, b, spec.embed])?,
            attn: spec.attn_param_len().map_err(from_core)?,
            spec,
        })
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
        let n = Sizes::new(
            OP,
            &s.spec,
            (score, attn_size, embed),
            sh,
            ["h", "y", "emb"],
        )?;
        let spec = &n.spec;
        let n_alpha = dims(OP, "alpha", &[sh.tgt_len, sh.batch, sh.src_len])?;
        with_buffers(|reg| {
            let out = AttnOutput {
                h: prefix_mut(&mut h, n.states, OP, "h")?,
                c: if spec.stack.kind.has_cell_state() {
                    prefix_mut_opt(&mut c, n.states, OP, "c")?
                } else {
                    None
                },
                y: prefix_mut(&mut y, n.y, OP, "y")?,
                alpha: prefix_mut_opt(&mut alpha, n_alpha, OP, "alpha")?,
            };
            attention::attn_forward(
                recurrent_core::default_pool(),
                spec,
                sh,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(reg, attn_params, n.attn, OP, "attn_params")?,
                prefix(reg, enc, n.enc, OP, "enc")?,
                &lengths,
                prefix(reg, emb, n.emb, OP, "emb")?,
                out,
                prefix_mut(&mut tape, n.tape, OP, "tape")?,
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
        let n = Sizes::new(
            OP,
            &s.spec,
            (score, attn_size, embed),
            sh,
            ["gh0", "gy", "g_emb"],
        )?;
        let spec = &n.spec;
        let mut grads = Taken::take(s.grads)?;
        with_buffers(|reg| {
            let out = AttnGrads {
                params: prefix_mut(&mut grads, s.len, OP, "grads")?,
                attn: prefix_mut(&mut ag, n.attn, OP, "attn_grads")?,
                enc: prefix_mut(&mut ge, n.enc, OP, "g_enc")?,
                emb: prefix_mut_opt(&mut gm, n.emb, OP, "g_emb")?,
                h0: prefix_mut(&mut gh, n.states, OP, "gh0")?,
                c0: if spec.stack.kind.has_cell_state() {
                    prefix_mut_opt(&mut gc, n.states, OP, "gc0")?
                } else {
                    None
                },
            };
            attention::attn_backward(
                recurrent_core::default_pool(),
                spec,
                sh,
                prefix(reg, s.params, s.len, OP, "params")?,
                prefix(reg, attn_params, n.attn, OP, "attn_params")?,
                prefix(reg, enc, n.enc, OP, "enc")?,
                &lengths,
                prefix(reg, gy, n.y, OP, "gy")?,
                out,
                prefix_mut(&mut tape, n.tape, OP, "tape")?,
            )
            .map_err(from_core)
        })
    })
}
