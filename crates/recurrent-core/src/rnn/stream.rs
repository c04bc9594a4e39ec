//! Streaming: advance a unidirectional stack by one step with carried state, for token-by-token
//! generation.
//!
//! Same bits as the sequence forward? The recurrent GEMM and the element-wise pass are the same
//! calls (`advance`). The input projection is one GEMM over `B` rows here and over chunks of
//! steps (more rows) there; `crate::gemm` gives a row the same bits whatever the row count as
//! long as the same kernel path runs, and it takes the packed path above
//! `crate::gemm::DIRECT_MAX_M` (4) rows. So with `B > 4` T steps reproduce the forward bit for
//! bit; with `B <= 4` the projection here takes the direct path (4-lane partial sums over k),
//! which differs from the forward's packed projection by rounding, about an ulp per step. Not
//! forced to the packed path on purpose: batch-1 streaming would then pack `W_ih` every step,
//! which costs about as much as the product.

use super::advance::{advance, project, StepBufs};
use super::cells;
use super::check;
use super::params::DirOffsets;
use super::spec::{product, StackSpec};
use crate::error::{CoreError, CoreResult};
use crate::mem;
use crate::parallel::Parallel;

/// Preallocated scratch of [`step`] for one stack and one batch size.
#[derive(Debug)]
pub struct StepScratch {
    spec: StackSpec,
    batch: usize,
    /// `[B, G*H]` input projections, then activations.
    gates: Vec<f32>,
    /// `[B, G*H]` recurrent products.
    rec: Vec<f32>,
    /// `[B, extra*H]` the cell's kept vectors (unused after the step).
    extra: Vec<f32>,
    /// `[B, H]` `o * tanh(c)` with a projection; empty without.
    hcell: Vec<f32>,
    /// `[B, H]` the skip source of the step (empty without a skip connection).
    skip: Vec<f32>,
}

impl StepScratch {
    /// Scratch for steps of `batch` sequences. A bidirectional stack cannot stream (its
    /// reverse direction needs the whole sequence) and is refused.
    pub fn new(spec: &StackSpec, batch: usize) -> CoreResult<Self> {
        const OP: &str = "StepScratch::new";
        spec.validate()?;
        if spec.bidirectional {
            return Err(CoreError::new(
                OP,
                "spec.bidirectional",
                "false (a reverse direction cannot run step by step)",
                "true",
            ));
        }
        check::in_range(OP, "batch", batch, usize::MAX)?;
        let info = cells::info(spec.kind);
        let gates = product(OP, "batch", &[batch, info.gates, spec.hidden_size])?;
        let extra = product(OP, "batch", &[batch, info.extra, spec.hidden_size])?;
        let has_p = usize::from(spec.proj_size > 0);
        let hcell = product(OP, "batch", &[batch, has_p, spec.hidden_size])?;
        let skip = product(
            OP,
            "batch",
            &[batch, usize::from(spec.skip > 0), spec.hidden_size],
        )?;
        Ok(Self {
            spec: *spec,
            batch,
            gates: mem::zeros(OP, "step scratch", gates)?,
            rec: mem::zeros(OP, "step scratch", gates)?,
            extra: mem::zeros(OP, "step scratch", extra)?,
            hcell: mem::zeros(OP, "step scratch", hcell)?,
            skip: mem::zeros(OP, "step scratch", skip)?,
        })
    }

    /// The batch size it serves.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The stack it serves.
    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }
}

/// One step of every layer for `B = scratch.batch()` sequences: reads `x [B, I]`, updates the
/// carried states `h [L, B, P]` and (LSTM family, required) `c [L, B, H]` in place, and writes
/// the last layer's new state to `y [B, P]` (P = H without a projection). A stack with a skip
/// connection needs
/// [`step_with_history`].
pub fn step(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    x: &[f32],
    h: &mut [f32],
    c: Option<&mut [f32]>,
    y: &mut [f32],
    scratch: &mut StepScratch,
) -> CoreResult<()> {
    step_with_history(pool, spec, params, x, h, c, None, y, scratch)
}

/// [`step`] for any stack. With a skip connection of delay d, `hist [L, d-1, B, H]` (required)
/// carries each layer's earlier states, oldest first: before a step that starts from
/// `h = h_{s-1}` it holds `h_{s-d}, ..., h_{s-2}`, and the step moves them on by one. Filled
/// with copies of the initial state it gives the sequence forward's rule (h0 for every state
/// before the first step), so T steps from there give the forward's states.
pub fn step_with_history(
    pool: &dyn Parallel,
    spec: &StackSpec,
    params: &[f32],
    x: &[f32],
    h: &mut [f32],
    mut c: Option<&mut [f32]>,
    mut hist: Option<&mut [f32]>,
    y: &mut [f32],
    scratch: &mut StepScratch,
) -> CoreResult<()> {
    const OP: &str = "rnn::step";
    if *spec != scratch.spec {
        return Err(CoreError::new(
            OP,
            "scratch",
            format_args!("scratch made for {spec:?}"),
            format_args!("scratch made for {:?}", scratch.spec),
        ));
    }
    let batch = scratch.batch;
    let (hidden, sw) = (spec.hidden_size, spec.state_size());
    let states = product(OP, "h", &[spec.num_layers, batch, sw])?;
    let c_states = product(OP, "c", &[spec.num_layers, batch, hidden])?;
    check::exact(OP, "params", params.len(), spec.param_len()?)?;
    check::exact(
        OP,
        "x",
        x.len(),
        product(OP, "x", &[batch, spec.input_size])?,
    )?;
    check::exact(OP, "h", h.len(), states)?;
    let has_c = spec.kind.has_cell_state();
    check::required_iff(OP, "c", c.as_ref().map(|c| c.len()), c_states, has_c)?;
    check::exact(OP, "y", y.len(), batch * sw)?;
    let hist_len = product(
        OP,
        "hist",
        &[spec.num_layers, spec.skip.saturating_sub(1), batch, hidden],
    )?;
    match (hist.as_ref().map(|v| v.len()), spec.skip > 0) {
        (None, true) => {
            return Err(CoreError::new(
                OP,
                "hist",
                format_args!("{hist_len} elements (the stack has a skip connection)"),
                "none",
            ))
        }
        (Some(len), false) => {
            return Err(CoreError::new(
                OP,
                "hist",
                "absent (the stack has no skip connection)",
                format_args!("{len} elements"),
            ))
        }
        (Some(len), true) => check::exact(OP, "hist", len, hist_len)?,
        (None, false) => {}
    }
    let cell = cells::info(spec.kind);
    let (bh, bs) = (batch * hidden, batch * sw);
    for l in 0..spec.num_layers {
        let p = DirOffsets::new(spec, l, 0).view(params);
        // Layer l reads layer l-1's new state (already updated this step) and updates its own.
        let (below, rest) = h.split_at_mut(l * bs);
        let hs = &mut rest[..bs];
        // [B, I_l] . W_ih^T -> [B, GH]
        let src = if l == 0 { x } else { &below[(l - 1) * bs..] };
        project(pool, src, batch, &p, &mut scratch.gates)?;
        let cs: &mut [f32] = match c.as_deref_mut() {
            Some(c) => &mut c[l * bh..(l + 1) * bh],
            None => &mut [],
        };
        if let Some(hist) = hist.as_deref_mut() {
            // Layer l's d-1 earlier states: the oldest is this step's skip source; the rest
            // move down one and the state this step starts from joins at the end.
            let n = (spec.skip - 1) * bh;
            let hist = &mut hist[l * n..(l + 1) * n];
            scratch.skip.copy_from_slice(&hist[..bh]);
            hist.copy_within(bh.., 0);
            hist[n - bh..].copy_from_slice(hs);
        }
        let io = StepBufs {
            gates: &mut scratch.gates,
            rec: &mut scratch.rec,
            extra: &mut scratch.extra,
            h: hs,
            hcell: &mut scratch.hcell,
            c: cs,
            skip: &scratch.skip,
            hmask: None,
        };
        advance(pool, &cell, hidden, batch, &p, io, &|_| true, None, None)?;
    }
    y.copy_from_slice(&h[(spec.num_layers - 1) * bs..]);
    Ok(())
}
