//! The GEMM export: handles and offsets in, validated, one call to the core.

use recurrent_core::gemm::{sgemm, Transpose};
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::{with_buffers, with_taken};
use crate::registry::Handle;

fn slice_from(buf: &[f32], offset: u32, what: &str) -> Result<std::ops::Range<usize>, JsError> {
    let off = offset as usize;
    if off > buf.len() {
        return Err(abi_error(
            Kind::InvalidArgument,
            format_args!(
                "sgemm: argument `{what}` expected at most {} (the buffer length), got {off}",
                buf.len()
            ),
        ));
    }
    Ok(off..buf.len())
}

fn transpose(flag: bool) -> Transpose {
    if flag {
        Transpose::Yes
    } else {
        Transpose::No
    }
}

/// `C <- alpha * op(A) * op(B) + beta * C` on buffers `a`, `b`, `c` starting at the given
/// element offsets; row-major with leading dimensions. `c` must differ from `a` and `b`.
#[wasm_bindgen]
pub fn gemm(
    trans_a: bool,
    trans_b: bool,
    m: u32,
    n: u32,
    k: u32,
    alpha: f32,
    a: Handle,
    a_offset: u32,
    lda: u32,
    b: Handle,
    b_offset: u32,
    ldb: u32,
    beta: f32,
    c: Handle,
    c_offset: u32,
    ldc: u32,
) -> Result<(), JsError> {
    if c == a || c == b {
        return Err(abi_error(
            Kind::InvalidArgument,
            format_args!("sgemm: argument `c` must be a different buffer from `a` and `b`"),
        ));
    }
    with_taken(c, |c_buf| {
        let c_range = slice_from(c_buf, c_offset, "c_offset")?;
        with_buffers(|reg| {
            let a_buf = reg.get(a)?;
            let b_buf = reg.get(b)?;
            let a_range = slice_from(a_buf, a_offset, "a_offset")?;
            let b_range = slice_from(b_buf, b_offset, "b_offset")?;
            sgemm(
                recurrent_core::default_pool(),
                transpose(trans_a),
                transpose(trans_b),
                m as usize,
                n as usize,
                k as usize,
                alpha,
                &a_buf[a_range],
                lda as usize,
                &b_buf[b_range],
                ldb as usize,
                beta,
                &mut c_buf[c_range],
                ldc as usize,
            )
            .map_err(from_core)
        })
    })
}

/// Reference GEMM (the naive scalar definition), for tests that compare kernels in wasm.
#[wasm_bindgen]
pub fn gemm_reference(
    trans_a: bool,
    trans_b: bool,
    m: u32,
    n: u32,
    k: u32,
    alpha: f32,
    a: Handle,
    lda: u32,
    b: Handle,
    ldb: u32,
    beta: f32,
    c: Handle,
    ldc: u32,
) -> Result<(), JsError> {
    if c == a || c == b {
        return Err(abi_error(
            Kind::InvalidArgument,
            format_args!("sgemm: argument `c` must be a different buffer from `a` and `b`"),
        ));
    }
    with_taken(c, |c_buf| {
        with_buffers(|reg| {
            let (a_buf, b_buf) = (reg.get(a)?, reg.get(b)?);
            let (ta, tb) = (transpose(trans_a), transpose(trans_b));
            let (m, n, k) = (m as usize, n as usize, k as usize);
            let (lda, ldb, ldc) = (lda as usize, ldb as usize, ldc as usize);
            recurrent_core::gemm::check_args(
                ta,
                tb,
                m,
                n,
                k,
                a_buf.len(),
                lda,
                b_buf.len(),
                ldb,
                c_buf.len(),
                ldc,
            )
            .map_err(from_core)?;
            recurrent_core::gemm::sgemm_reference(
                ta, tb, m, n, k, alpha, a_buf, lda, b_buf, ldb, beta, c_buf, ldc,
            );
            Ok(())
        })
    })
}
