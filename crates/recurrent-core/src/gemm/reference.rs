//! The scalar GEMM reference: always compiled, the definition the fast kernels are tested
//! against. Naive triple loop, sums over k in increasing order in f32.

use super::Transpose;

/// `C <- alpha * op(A) * op(B) + beta * C`; with `beta == 0` C is never read (NaN in C is
/// overwritten). Arguments must already be validated (see [`super::check_args`]).
pub fn sgemm_reference(
    ta: Transpose,
    tb: Transpose,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                let av = match ta {
                    Transpose::No => a[i * lda + p],
                    Transpose::Yes => a[p * lda + i],
                };
                let bv = match tb {
                    Transpose::No => b[p * ldb + j],
                    Transpose::Yes => b[j * ldb + p],
                };
                acc += av * bv;
            }
            let out = &mut c[i * ldc + j];
            *out = if beta == 0.0 {
                alpha * acc
            } else {
                alpha * acc + beta * *out
            };
        }
    }
}
