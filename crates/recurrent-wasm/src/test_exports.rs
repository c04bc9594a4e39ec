//! Exports that only tests call, compiled only with the `test-exports` feature: the release
//! builds (`packages/recurrent/wasm/{simd,threads}`) do not have them; the test builds
//! (`wasm/{simd,threads}-test`, see `scripts/build-wasm.sh`) do, and the loader picks those in
//! a development checkout. They inspect the instance (live buffers, lengths, the build) or
//! drive single kernels directly (per-buffer optimisers and norms, scaling, finiteness, a stack
//! forward with given dropout masks),
//! which the library itself now reaches only through the stack and the parameter sets.

use recurrent_core::train;
use wasm_bindgen::prelude::*;

use crate::abi_error::{abi_error, from_core, Kind};
use crate::buffers::{with_buffers, BUFFERS};
use crate::registry::Handle;
use crate::taken::{ensure_distinct, Taken};

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

/// `rnn_train_forward` with the variational dropout masks given in the buffer `masks` instead
/// of drawn (see `recurrent_core::rnn::forward_train_masked` for their layout), so a test can
/// compare against a reference computed with the same explicit masks. A full tape.
#[wasm_bindgen]
pub fn rnn_train_forward_masked(
    handle: Handle,
    seq_len: u32,
    batch: u32,
    x: Handle,
    #[wasm_bindgen(unchecked_param_type = "Uint32Array")] lengths: JsValue,
    h0: Handle,
    c0: Handle,
    y: Handle,
    h_n: Handle,
    c_n: Handle,
    input_dropout: f64,
    recurrent_dropout: f64,
    masks: Handle,
) -> Result<(), JsError> {
    let dropout = recurrent_core::rnn::Dropout {
        input: input_dropout,
        recurrent: recurrent_dropout,
        ..recurrent_core::rnn::Dropout::NONE
    };
    crate::rnn_run::forward_any(
        "rnn_train_forward_masked",
        handle,
        crate::rnn_run::Mode::Train(dropout, 0),
        recurrent_core::rnn::Layout::TimeMajor,
        seq_len,
        batch,
        &lengths,
        [x, h0, c0, y, h_n, c_n],
        Some(masks),
    )
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
