//! What a backward pass can report besides gradients: per-step gradient norms, the measure of
//! vanishing and exploding gradients through time, taken where BPTT's carried gradient is
//! complete.

use super::seq::{Mask, SeqRef};

/// Optional extra outputs of [`super::backward_with_diagnostics`]. `Default`: none.
///
/// # What `step_norms` measures
///
/// `step_norms[(l * D + d) * T + t]` (shape `[L, D, T]`, `t` in natural time order for both
/// directions) is
///
/// ```text
/// || dL/dh_t ||_2 = sqrt( sum over sequences b with t < len_b, units j of (dL/dh_t[b, j])^2 )
/// ```
///
/// for the state `h_t` of layer `l`, direction `d`, where `dL/dh_t` is the TOTAL gradient
/// reaching that state in the unrolled graph, i.e. the carried gradient of BPTT at the moment
/// it is complete, before it goes back through the cell of step t:
///
/// * the part through the step's output: `dL/dy_t` (the caller's `gy`) for the top layer; for
///   a lower layer, what layer `l + 1` sends back to its input at step t (after its whole BPTT);
/// * plus the part through the next step the direction processes (t+1 forward, t-1 reverse),
///   or, at a sequence's last processed step, the caller's `dL/dh_n`.
///
/// It is the sum `dh + dy` exactly as the cell's backward forms it in f32, squared and summed
/// in f64 (rows in order, then units in order), square-rooted and rounded to f32. The LSTM
/// family's cell-state gradient `dL/dc_t` is not included (only `h`). Padded steps
/// (`t >= len_b`) of a variable-length batch contribute nothing; a step that is padded in every
/// sequence gives 0. The loss `L` is whatever `gy`, `ghn` and `gcn` define.
///
/// Cost: `B * H` additions per step on the caller's thread (against the step's `B * G*H * H`
/// GEMM), nothing when not asked for; the result does not depend on the thread count.
#[derive(Debug, Default)]
pub struct SeqGradDiagnostics<'a> {
    /// `[L, D, T]`: the L2 norm over the batch and hidden units of `dL/dh_t` per layer,
    /// direction and step (exactly what: see the type): overwritten. `None`: not computed.
    pub step_norms: Option<&'a mut [f32]>,
}

/// `|| dh + dy_t ||_2` over the valid rows of step `t`: `dh` `[B, H]` is the gradient carried
/// into step t, `dy` supplies columns `col..col + h` of the step's output gradient.
pub(crate) fn carried_norm(
    mask: &Mask<'_>,
    t: usize,
    h: usize,
    dy: &SeqRef<'_>,
    col: usize,
    dh: &[f32],
) -> f32 {
    let mut sum = 0.0f64;
    for (b, carried) in dh.chunks_exact(h).enumerate() {
        if !mask.valid(t, b) {
            continue;
        }
        for (&c, &o) in carried.iter().zip(dy.at(t, b, col, h)) {
            // The same f32 sum the cells' backward forms.
            let g = f64::from(c + o);
            sum += g * g;
        }
    }
    sum.sqrt() as f32
}
