//! Gradient norms and clipping: squared sums in `f64`, scaling, finiteness.
//!
//! Global-norm clipping over many buffers (d2l's `grad_clipping`, one joint norm over every
//! parameter's gradient): `norm = sqrt(sum over buffers of sum_squares(g))` ([`global_norm`]),
//! `c = clip_coefficient(norm, max_norm)`, then either [`scale`] each gradient by `c` or pass
//! `c` as the optimisers' `grad_scale` (no extra pass over the gradients).

/// `sum_i xs[i]^2` accumulated in `f64` (four interleaved partial sums added in a fixed
/// order, so the result depends only on the data). NaN or infinite input gives NaN or
/// infinity.
pub fn sum_squares(xs: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = xs.chunks_exact(4);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            let v = f64::from(v);
            *a += v * v;
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        let v = f64::from(v);
        *a += v * v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `sqrt(sum over buffers of sum_squares(buffer))`: the joint L2 norm of several buffers.
pub fn global_norm(buffers: &[&[f32]]) -> f64 {
    buffers.iter().map(|b| sum_squares(b)).sum::<f64>().sqrt()
}

/// The clipping factor for a gradient of norm `norm`: `max_norm / norm` if `norm > max_norm`,
/// else 1 (d2l's `grad_clipping`; PyTorch's `clip_grad_norm_` uses `max_norm / (norm + 1e-6)`
/// clamped to 1, which differs by about `1e-6 / norm`). A NaN `norm` gives NaN: check
/// [`all_finite`] or the norm before stepping.
pub fn clip_coefficient(norm: f64, max_norm: f64) -> f64 {
    if norm.is_nan() {
        f64::NAN
    } else if norm > max_norm {
        max_norm / norm
    } else {
        1.0
    }
}

/// `xs[i] *= s` for every element.
pub fn scale(xs: &mut [f32], s: f32) {
    for x in xs {
        *x *= s;
    }
}

/// Whether no element is NaN or infinite (e.g. to skip a step whose gradients overflowed).
pub fn all_finite(xs: &[f32]) -> bool {
    // Within a chunk an AND-reduction without early exit (it vectorises); across chunks,
    // stop at the first bad one.
    xs.chunks(1024)
        .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()))
}
