//! The attention decoder of an encoder-decoder (Bahdanau et al. 2015, as Dive into Deep
//! Learning's `Seq2SeqAttentionDecoder`): at every target step the query is the decoder's
//! previous top-layer state, keys and values are the encoder's outputs, a softmax masked to
//! each source's valid length gives the weights, and the context (their weighted sum) is
//! concatenated before the embedded input token into the stack's layer 0. Scores are additive
//! (`w_v . tanh(W_q q + W_k k)`) or a scaled dot product on a projected query
//! (`(W_q q) . k / sqrt(H)`).
//!
//! One call runs every target step (forward) or backpropagates through all of them and into
//! the encoder's outputs (backward), reusing the stacks' pieces: the input projection and
//! `advance` (recurrent GEMM + fused cell) forward, the cell bodies and the recurrent GEMMs
//! backward, the deferred weight-gradient GEMMs (`grads`). The input of layer 0 depends on the
//! previous state through the attention, so its projection is per step (a GEMM over B rows),
//! not one GEMM over all steps as in `forward`.
//!
//! Memory: one flat tape (a caller's buffer of [`AttnSpec::tape_len`] floats) holds the
//! record and all scratch: a call allocates nothing.

mod backward;
mod forward;
mod score;
mod tape;

pub use backward::{attn_backward, AttnGrads};
pub use forward::{attn_forward, AttnOutput};

use super::kind::CellKind;
use super::spec::{product, StackSpec};
use crate::error::{CoreError, CoreResult};

/// How a query scores an encoder output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    /// `w_v . tanh(W_q q + W_k k)`, `W_q`, `W_k` `[A, H]`, `w_v` `[1, A]`.
    Additive,
    /// `(W_q q) . k / sqrt(H)`, `W_q` `[H, H]`.
    Dot,
}

impl Score {
    /// From its ABI code: 0 additive, 1 dot.
    pub fn from_code(code: u32) -> CoreResult<Self> {
        match code {
            0 => Ok(Self::Additive),
            1 => Ok(Self::Dot),
            _ => Err(CoreError::new(
                "Score::from_code",
                "score",
                "0 (additive) or 1 (dot)",
                format_args!("{code}"),
            )),
        }
    }
}

/// An attention decoder: its stack (unidirectional, layer 0 reading `H + E` features: the
/// context, then the embedding), the score and the attention size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttnSpec {
    pub stack: StackSpec,
    /// Embedding size E of the target tokens.
    pub embed: usize,
    pub score: Score,
    /// A, the additive attention's hidden size (ignored, taken as H, for `Dot`).
    pub attn_size: usize,
}

/// Sizes of one call: source length S, target length T, batch B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttnShape {
    pub src_len: usize,
    pub tgt_len: usize,
    pub batch: usize,
}

const OP: &str = "AttnSpec::validate";

impl AttnSpec {
    /// Checks the stack (valid, unidirectional, `input_size == hidden_size + embed`) and the
    /// attention size; the error names the argument at fault.
    pub fn validate(&self) -> CoreResult<()> {
        self.stack.validate()?;
        let h = self.stack.hidden_size;
        if self.stack.bidirectional {
            return Err(CoreError::new(OP, "stack.bidirectional", "false", "true"));
        }
        // The decoder's query and carried state are the top layer's H-wide h; a projected
        // (P-wide) state would need its own query width and the projection in the step loop.
        if self.stack.proj_size != 0 {
            return Err(CoreError::new(
                OP,
                "stack.proj_size",
                "0 (no projection with attention)",
                format_args!("{}", self.stack.proj_size),
            ));
        }
        // A skip connection would need each layer's ring of earlier states carried through
        // the decoder's step loop (and its pending gradients through backward): not done here.
        if self.stack.skip != 0 {
            return Err(CoreError::new(
                OP,
                "stack.skip",
                "0 (no skip connection with attention)",
                format_args!("{}", self.stack.skip),
            ));
        }
        if self.embed == 0 {
            return Err(CoreError::new(OP, "embed", "at least 1", "0"));
        }
        if h.checked_add(self.embed) != Some(self.stack.input_size) {
            return Err(CoreError::new(
                OP,
                "stack.input_size",
                format_args!("hidden + embed = {} + {}", h, self.embed),
                format_args!("{}", self.stack.input_size),
            ));
        }
        if self.score == Score::Additive && self.attn_size == 0 {
            return Err(CoreError::new(OP, "attn_size", "at least 1", "0"));
        }
        self.attn_param_len()?;
        Ok(())
    }

    /// Width of the projected query: A (additive) or H (dot).
    pub fn query_width(&self) -> usize {
        match self.score {
            Score::Additive => self.attn_size,
            Score::Dot => self.stack.hidden_size,
        }
    }

    /// Floats of the attention parameters: `W_k, W_q, w_v` (additive, d2l's order) or `W_q`.
    pub fn attn_param_len(&self) -> CoreResult<usize> {
        let (a, h) = (self.attn_size, self.stack.hidden_size);
        match self.score {
            Score::Additive => {
                let w = product(OP, "attn_size", &[a, h, 2])?;
                w.checked_add(a)
                    .ok_or_else(|| CoreError::new(OP, "attn_size", "a smaller size", "too large"))
            }
            Score::Dot => product(OP, "hidden_size", &[h, h]),
        }
    }

    /// Floats of the tape of a call of `shape` (see `tape.rs` for what it holds).
    pub fn tape_len(&self, shape: AttnShape) -> CoreResult<usize> {
        self.validate()?;
        tape::Sizes::of(self, shape).map(|s| s.total)
    }

    /// The cell kind of the stack.
    pub fn kind(&self) -> CellKind {
        self.stack.kind
    }
}

/// The attention parameters split by name.
pub(crate) struct AttnParams<'a> {
    /// `[A, H]` (additive only; empty for dot).
    pub w_k: &'a [f32],
    /// `[A, H]` or `[H, H]`.
    pub w_q: &'a [f32],
    /// `[A]` (additive only).
    pub w_v: &'a [f32],
}

impl<'a> AttnParams<'a> {
    pub fn split(spec: &AttnSpec, p: &'a [f32]) -> Self {
        let (a, h) = (spec.attn_size, spec.stack.hidden_size);
        match spec.score {
            Score::Additive => {
                let (w_k, rest) = p.split_at(a * h);
                let (w_q, w_v) = rest.split_at(a * h);
                Self { w_k, w_q, w_v }
            }
            Score::Dot => Self {
                w_k: &[],
                w_q: &p[..h * h],
                w_v: &[],
            },
        }
    }
}

/// The gradients of the attention parameters, same split.
pub(crate) struct AttnParamsMut<'a> {
    pub w_k: &'a mut [f32],
    pub w_q: &'a mut [f32],
    pub w_v: &'a mut [f32],
}

impl<'a> AttnParamsMut<'a> {
    pub fn split(spec: &AttnSpec, p: &'a mut [f32]) -> Self {
        let (a, h) = (spec.attn_size, spec.stack.hidden_size);
        match spec.score {
            Score::Additive => {
                let (w_k, rest) = p.split_at_mut(a * h);
                let (w_q, w_v) = rest.split_at_mut(a * h);
                Self { w_k, w_q, w_v }
            }
            Score::Dot => Self {
                w_k: &mut [],
                w_q: &mut p[..h * h],
                w_v: &mut [],
            },
        }
    }
}

/// Checks the inputs every call shares: sizes at least 1, `lengths` (B values in 1..=S),
/// `enc` `[S, B, H]`, the parameters.
pub(crate) fn check_common(
    op: &'static str,
    spec: &AttnSpec,
    shape: AttnShape,
    params: &[f32],
    attn: &[f32],
    enc: &[f32],
    lengths: &[u32],
    tape: &[f32],
) -> CoreResult<tape::Sizes> {
    spec.validate()?;
    for (arg, v) in [
        ("src_len", shape.src_len),
        ("tgt_len", shape.tgt_len),
        ("batch", shape.batch),
    ] {
        if v == 0 {
            return Err(CoreError::new(op, arg, "at least 1", "0"));
        }
    }
    let sizes = tape::Sizes::of(spec, shape)?;
    let h = spec.stack.hidden_size;
    exact(op, "params", params.len(), spec.stack.param_len()?)?;
    exact(op, "attn_params", attn.len(), spec.attn_param_len()?)?;
    exact(
        op,
        "enc",
        enc.len(),
        product(op, "enc", &[shape.src_len, shape.batch, h])?,
    )?;
    exact(op, "lengths", lengths.len(), shape.batch)?;
    if let Some((b, &n)) = lengths
        .iter()
        .enumerate()
        .find(|(_, &n)| n == 0 || n as usize > shape.src_len)
    {
        return Err(CoreError::new(
            op,
            "lengths",
            format_args!("values in 1..={} (the source length)", shape.src_len),
            format_args!("{n} at sequence {b}"),
        ));
    }
    if tape.len() < sizes.total {
        return Err(CoreError::new(
            op,
            "tape",
            format_args!("at least {} floats", sizes.total),
            format_args!("{}", tape.len()),
        ));
    }
    Ok(sizes)
}

pub(crate) fn exact(
    op: &'static str,
    arg: &'static str,
    got: usize,
    want: usize,
) -> CoreResult<()> {
    if got != want {
        return Err(CoreError::new(
            op,
            arg,
            format_args!("{want} floats"),
            format_args!("{got}"),
        ));
    }
    Ok(())
}
