//! Exports that only tests call, compiled only with the `test-exports` feature: the release
//! builds (`packages/recurrent/wasm/{simd,threads}`) do not have them; the test builds
//! (`wasm/{simd,threads}-test`, see `scripts/build-wasm.sh`) do, and the loader picks those in
//! a development checkout. They inspect the instance (live buffers, lengths, the build) or
//! drive single kernels directly (per-buffer optimisers, norms and dropout, scaling, finiteness),
//! which the library itself now reaches only through the stack and the parameter sets.

use std::cell::RefCell;

use recurrent_core::train;
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::{with_buffers, BUFFERS};
use crate::registry::Handle;
use crate::taken::{ensure_distinct, Taken};
use crate::views::{prefix, prefix_mut};

/// Length of a buffer in elements.
#[wasm_bindgen]
pub fn buffer_len(handle: Handle) -> Result<u32, JsError> {
    BUFFERS.with_borrow(|r| r.get(handle).map(|b| b.len() as u32))
}

/// Number of live buffers (for leak checks).
#[wasm_bindgen]
pub fn buffer_live_count() -> u32 {
    BUFFERS.with_borrow(|r| r.live() as u32)
}

/// Sum of squares of a whole buffer, in f64 (the library takes the gradient norm of all its
/// groups at once: `param_set_grad_sum_squares`).
#[wasm_bindgen]
pub fn sum_squares(buf: Handle) -> Result<f64, JsError> {
    with_buffers(|reg| Ok(train::sum_squares(reg.get(buf)?)))
}

/// `true` for the threaded build (shared memory, atomics, worker pool).
#[wasm_bindgen]
pub fn build_threads() -> bool {
    cfg!(target_feature = "atomics")
}

/// Whether every element of a buffer is finite.
#[wasm_bindgen]
pub fn all_finite(buf: Handle) -> Result<bool, JsError> {
    with_buffers(|reg| Ok(train::all_finite(reg.get(buf)?)))
}

/// Multiplies a whole buffer by `s`.
#[wasm_bindgen]
pub fn scale_buffer(buf: Handle, s: f32) -> Result<(), JsError> {
    let mut buf = Taken::take(buf)?;
    train::scale(buf.data(), s);
    Ok(())
}

/// Plain SGD on a parameter buffer with its gradient buffer (same length).
#[wasm_bindgen]
pub fn optim_sgd(
    params: Handle,
    grads: Handle,
    lr: f64,
    weight_decay: f64,
    grad_scale: f32,
) -> Result<(), JsError> {
    ensure_distinct("optim_sgd", &[("params", params)], &[("grads", grads)])?;
    let mut p = Taken::take(params)?;
    with_buffers(|reg| {
        train::sgd(p.data(), reg.get(grads)?, lr, weight_decay, grad_scale).map_err(from_core)
    })
}

/// SGD with momentum (PyTorch semantics) with a velocity buffer; `step` counts from 1.
#[wasm_bindgen]
pub fn optim_momentum(
    params: Handle,
    grads: Handle,
    velocity: Handle,
    step: u32,
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    grad_scale: f32,
) -> Result<(), JsError> {
    ensure_distinct(
        "optim_momentum",
        &[("params", params), ("velocity", velocity)],
        &[("grads", grads)],
    )?;
    let mut p = Taken::take(params)?;
    let mut v = Taken::take(velocity)?;
    with_buffers(|reg| {
        let g = reg.get(grads)?;
        train::sgd_momentum(
            p.data(),
            g,
            v.data(),
            u64::from(step),
            lr,
            momentum,
            dampening,
            nesterov,
            weight_decay,
            grad_scale,
        )
        .map_err(from_core)
    })
}

/// Adam (`decoupled = false`, L2 weight decay) or AdamW (`decoupled = true`); `step` from 1.
#[wasm_bindgen]
pub fn optim_adam(
    params: Handle,
    grads: Handle,
    m: Handle,
    v: Handle,
    step: u32,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    grad_scale: f32,
    decoupled: bool,
) -> Result<(), JsError> {
    ensure_distinct(
        "optim_adam",
        &[("params", params), ("m", m), ("v", v)],
        &[("grads", grads)],
    )?;
    let mut p = Taken::take(params)?;
    let mut mm = Taken::take(m)?;
    let mut vv = Taken::take(v)?;
    with_buffers(|reg| {
        let g = reg.get(grads)?;
        let f = if decoupled { train::adamw } else { train::adam };
        f(
            p.data(),
            g,
            mm.data(),
            vv.data(),
            u64::from(step),
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            grad_scale,
        )
        .map_err(from_core)
    })
}

thread_local! {
    /// The dropout mask of the last call; recomputed from the seed in backward, so it is
    /// only scratch (kept to avoid an allocation per call).
    static MASK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Touches this module's thread-local (see `setup::engine_prepare`).
pub(crate) fn prepare_thread() {
    MASK.with(|_| ());
}

/// Inverted dropout of the first `len` elements: `out = x * keep / (1 - p)` with a mask
/// drawn from `(seed, index)` alone. Its backward is the same call on the upstream gradient
/// with the same `p` and seed (the mask is a function of the seed, not of state).
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
    // Check `len` against the buffers and `p` before sizing the mask: a mask sized from an
    // unchecked `len` could fail to allocate, and that aborts (traps) instead of erroring.
    prefix_mut(&mut out_t, len, OP, "out")?;
    if x != out {
        with_buffers(|reg| prefix(reg, x, len, OP, "x").map(drop))?;
    }
    MASK.with_borrow_mut(|mask| {
        if mask.len() < len {
            mask.try_reserve_exact(len - mask.len()).map_err(|_| {
                abi_error(
                    Kind::OutOfMemory,
                    format_args!(
                        "{OP}: a mask of {len} bytes does not fit in wasm memory; {}",
                        crate::abi_error::MemoryNote
                    ),
                )
            })?;
        }
        mask.resize(len, 0);
        if x == out {
            // In place: the input is the taken-out buffer itself.
            let data = prefix_mut(&mut out_t, len, OP, "x")?;
            let copy =
                recurrent_core::mem::copy_of(OP, "a copy of the input", data).map_err(from_core)?;
            train::dropout_forward(&copy, data, mask, p, seed).map_err(from_core)
        } else {
            with_buffers(|reg| {
                train::dropout_forward(
                    prefix(reg, x, len, OP, "x")?,
                    prefix_mut(&mut out_t, len, OP, "out")?,
                    mask,
                    p,
                    seed,
                )
                .map_err(from_core)
            })
        }
    })
}

/// Applies one of the core's activations to every element of a buffer, in place: `0` exp,
/// `1` sigmoid, `2` tanh (`recurrent_core::math`, the functions the cells run). Tests measure
/// their error in each build: the relaxed builds evaluate the polynomials with `relaxed_madd`.
#[wasm_bindgen]
pub fn activation_inplace(buf: Handle, which: u32) -> Result<(), JsError> {
    let apply: fn(&mut [f32]) = match which {
        0 => recurrent_core::math::exp_inplace,
        1 => recurrent_core::math::sigmoid_inplace,
        2 => recurrent_core::math::tanh_inplace,
        _ => {
            return Err(abi_error(
                Kind::InvalidArgument,
                format_args!("activation_inplace: `which` expected 0 (exp), 1 (sigmoid) or 2 (tanh), got {which}"),
            ))
        }
    };
    let mut buf = Taken::take(buf)?;
    apply(buf.data());
    Ok(())
}

/// `true` when the kernels were compiled with relaxed SIMD (`f32x4.relaxed_madd`), and the
/// register tile of the GEMM micro-kernel, as `[relaxed, MR, NR]`.
#[wasm_bindgen]
pub fn build_kernel_shape() -> Vec<u32> {
    use recurrent_core::gemm::{MR, NR};
    vec![
        u32::from(recurrent_core::simd::RELAXED_ENABLED),
        MR as u32,
        NR as u32,
    ]
}

/// Makes every pool worker wait `us` microseconds between seeing a job and joining it, as if
/// another process had taken its core (0 restores the normal pool). The threaded build only;
/// a no-op in the single-threaded one.
#[wasm_bindgen]
pub fn pool_test_late_worker(us: u32) {
    #[cfg(target_feature = "atomics")]
    recurrent_core::worker_pool::set_join_delay_us(us);
    #[cfg(not(target_feature = "atomics"))]
    let _ = us;
}
