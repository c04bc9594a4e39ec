//! The product with a weight matrix that the drivers may have packed once per sequence or
//! segment (`W_hh`, `W_skip`): one function for the packed and the in-place route, so that
//! every caller picks the route the same way.

use crate::error::CoreResult;
use crate::gemm::{sgemm, sgemm_packed_b, PackedB, Transpose};
use crate::parallel::Parallel;

/// `c [m, n] = a [m, k] . op(w) + beta * c` (A as stored, alpha 1), with op(w) `[k, n]` read
/// from `packed` when given (it must have been packed from `w` with this `tb` and `ldb`: both
/// routes then compute the same bits), else from `w` in place.
#[allow(clippy::too_many_arguments)]
pub(super) fn weight_gemm(
    pool: &dyn Parallel,
    packed: Option<&PackedB<'_>>,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    w: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> CoreResult<()> {
    match packed {
        Some(wp) => sgemm_packed_b(
            pool,
            Transpose::No,
            m,
            n,
            k,
            1.0,
            a,
            lda,
            w,
            wp,
            beta,
            c,
            ldc,
        ),
        None => sgemm(
            pool,
            Transpose::No,
            tb,
            m,
            n,
            k,
            1.0,
            a,
            lda,
            w,
            ldb,
            beta,
            c,
            ldc,
        ),
    }
}
