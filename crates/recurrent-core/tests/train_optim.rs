//! Optimisers (`train::sgd`, `sgd_momentum`, `adam`, `adamw`): hand-computed steps with
//! PyTorch's formulas, several-step trajectories against an f64 transcription of
//! `torch.optim`'s update rules over generated sizes and hyperparameters, and argument errors.

use recurrent_core::train::{adam, adamw, sgd, sgd_momentum};

const SIZES: [usize; 4] = [1, 3, 17, 33];

mod common;
use common::train_support::{assert_close, to64, Rng};

fn close(a: f32, e: f64, tol: f64) -> bool {
    (f64::from(a) - e).abs() <= tol * e.abs().max(1.0)
}

#[test]
fn sgd_by_hand() {
    // g = 2 * 0.5 + 0.5 * 1 = 1.5; p = 1 - 0.1 * 1.5.
    let mut p = [1.0f32];
    sgd(&mut p, &[2.0], 0.1, 0.5, 0.5).expect("sgd");
    assert!(close(p[0], 0.85, 1e-7), "{}", p[0]);
    // No decay, no scale: p - lr g.
    let mut p = [1.0f32, -1.0];
    sgd(&mut p, &[0.5, 0.25], 1.0, 0.0, 1.0).expect("sgd");
    assert_eq!(p, [0.5, -1.25]);
}

#[test]
fn sgd_momentum_by_hand() {
    // Constant gradient 1, lr 0.1, momentum 0.9, dampening 0.1:
    // buf 1 (first step: no dampening), 0.9 + 0.9 = 1.8, 0.9 * 1.8 + 0.9 = 2.52.
    let mut p = [0.0f32];
    let mut buf = [f32::NAN]; // ignored on step 1
    let want_p = [-0.1, -0.28, -0.532];
    let want_buf = [1.0, 1.8, 2.52];
    for step in 1..=3 {
        sgd_momentum(
            &mut p,
            &[1.0],
            &mut buf,
            step,
            0.1,
            0.9,
            0.1,
            false,
            0.0,
            1.0,
        )
        .expect("momentum");
        let k = step as usize - 1;
        assert!(
            close(p[0], want_p[k], 1e-6) && close(buf[0], want_buf[k], 1e-6),
            "step {step}: {p:?} {buf:?}"
        );
    }
    // Nesterov: buf 1, 1.9; update g + 0.9 buf = 1.9, 2.71.
    let mut p = [0.0f32];
    let mut buf = [0.0f32];
    let want_p = [-0.19, -0.461];
    for step in 1..=2 {
        sgd_momentum(
            &mut p,
            &[1.0],
            &mut buf,
            step,
            0.1,
            0.9,
            0.0,
            true,
            0.0,
            1.0,
        )
        .expect("nesterov");
        assert!(
            close(p[0], want_p[step as usize - 1], 1e-6),
            "step {step}: {p:?}"
        );
    }
    // Momentum 0 is plain SGD and leaves the buffer alone.
    let mut p = [1.0f32];
    let mut buf = [5.0f32];
    sgd_momentum(&mut p, &[1.0], &mut buf, 2, 0.5, 0.0, 0.3, false, 0.0, 1.0).expect("momentum 0");
    assert_eq!((p, buf), ([0.5], [5.0]));
}

#[test]
fn adam_by_hand() {
    // Constant gradient: bias correction makes m_hat = g and v_hat = g^2 from step 1, so each
    // step moves by lr * g / (|g| + eps) ~= lr. Without the correction step 1 would move by
    // lr * 0.05 / sqrt(0.00025) = 0.316.
    let mut p = [1.0f32];
    let (mut m, mut v) = ([0.0f32], [0.0f32]);
    for step in 1..=3u64 {
        adam(
            &mut p,
            &[0.5],
            &mut m,
            &mut v,
            step,
            0.1,
            0.9,
            0.999,
            1e-8,
            0.0,
            1.0,
        )
        .expect("adam");
        let want = 1.0 - 0.1 * step as f64;
        assert!(close(p[0], want, 1e-6), "step {step}: {}", p[0]);
    }
    // m, v after 3 steps: g (1 - 0.9^3), g^2 (1 - 0.999^3).
    assert!(
        close(m[0], 0.5 * (1.0 - 0.9f64.powi(3)), 1e-6),
        "m {}",
        m[0]
    );
    assert!(
        close(v[0], 0.25 * (1.0 - 0.999f64.powi(3)), 1e-6),
        "v {}",
        v[0]
    );
    // L2 weight decay enters the gradient: g = 0.5 + 0.1 * 1 = 0.6, still one lr step.
    let mut p = [1.0f32];
    let (mut m, mut v) = ([0.0f32], [0.0f32]);
    adam(
        &mut p,
        &[0.5],
        &mut m,
        &mut v,
        1,
        0.1,
        0.9,
        0.999,
        1e-8,
        0.1,
        1.0,
    )
    .expect("adam l2");
    assert!(close(m[0], 0.06, 1e-6), "m {}", m[0]);
    assert!(close(p[0], 0.9, 1e-6), "{}", p[0]);
    // A large eps shows in the denominator: 0.05 / (0.5 + 0.5) = 0.05 with step size 1.
    let mut p = [1.0f32];
    let (mut m, mut v) = ([0.0f32], [0.0f32]);
    adam(
        &mut p,
        &[0.5],
        &mut m,
        &mut v,
        1,
        0.1,
        0.9,
        0.999,
        0.5,
        0.0,
        1.0,
    )
    .expect("adam eps");
    assert!(close(p[0], 1.0 - 0.1 * 0.5 / 1.0, 1e-6), "{}", p[0]);
}

#[test]
fn adamw_by_hand() {
    // Decoupled decay: p = 1 * (1 - 0.1 * 0.1) = 0.99, then the Adam step of lr = 0.1.
    let mut p = [1.0f32];
    let (mut m, mut v) = ([0.0f32], [0.0f32]);
    adamw(
        &mut p,
        &[0.5],
        &mut m,
        &mut v,
        1,
        0.1,
        0.9,
        0.999,
        1e-8,
        0.1,
        1.0,
    )
    .expect("adamw");
    assert!(close(p[0], 0.89, 1e-6), "{}", p[0]);
    assert!(
        close(m[0], 0.05, 1e-6),
        "the decay does not enter the moments: m {}",
        m[0]
    );
    // grad_scale applies before everything: scale 2 on gradient 0.25 is gradient 0.5.
    let mut q = [1.0f32];
    let (mut m2, mut v2) = ([0.0f32], [0.0f32]);
    adamw(
        &mut q,
        &[0.25],
        &mut m2,
        &mut v2,
        1,
        0.1,
        0.9,
        0.999,
        1e-8,
        0.1,
        2.0,
    )
    .expect("adamw scaled");
    assert_eq!((p, m, v), (q, m2, v2));
}

/// f64 transcription of torch.optim's single-tensor update rules.
#[derive(Debug, Clone, Copy)]
enum Opt {
    Sgd {
        lr: f64,
        wd: f64,
    },
    Momentum {
        lr: f64,
        momentum: f64,
        dampening: f64,
        nesterov: bool,
        wd: f64,
    },
    Adam {
        lr: f64,
        b1: f64,
        b2: f64,
        eps: f64,
        wd: f64,
        decoupled: bool,
    },
}

impl Opt {
    /// One step in f64 on (p, s1, s2) for gradient `grad` scaled by `gs`.
    fn reference(
        &self,
        step: u64,
        p: &mut [f64],
        s1: &mut [f64],
        s2: &mut [f64],
        grad: &[f32],
        gs: f32,
    ) {
        for j in 0..p.len() {
            let mut g = f64::from(grad[j]) * f64::from(gs);
            match *self {
                Opt::Sgd { lr, wd } => {
                    g += wd * p[j];
                    p[j] -= lr * g;
                }
                Opt::Momentum {
                    lr,
                    momentum,
                    dampening,
                    nesterov,
                    wd,
                } => {
                    g += wd * p[j];
                    s1[j] = if step == 1 {
                        g
                    } else {
                        momentum * s1[j] + (1.0 - dampening) * g
                    };
                    let d = if nesterov {
                        g + momentum * s1[j]
                    } else {
                        s1[j]
                    };
                    p[j] -= lr * d;
                }
                Opt::Adam {
                    lr,
                    b1,
                    b2,
                    eps,
                    wd,
                    decoupled,
                } => {
                    if decoupled {
                        p[j] *= 1.0 - lr * wd;
                    } else {
                        g += wd * p[j];
                    }
                    s1[j] = b1 * s1[j] + (1.0 - b1) * g;
                    s2[j] = b2 * s2[j] + (1.0 - b2) * g * g;
                    let bc1 = 1.0 - b1.powi(step as i32);
                    let bc2 = 1.0 - b2.powi(step as i32);
                    let denom = s2[j].sqrt() / bc2.sqrt() + eps;
                    p[j] -= lr / bc1 * s1[j] / denom;
                }
            }
        }
    }

    fn run(&self, step: u64, p: &mut [f32], s1: &mut [f32], s2: &mut [f32], grad: &[f32], gs: f32) {
        match *self {
            Opt::Sgd { lr, wd } => sgd(p, grad, lr, wd, gs),
            Opt::Momentum {
                lr,
                momentum,
                dampening,
                nesterov,
                wd,
            } => sgd_momentum(p, grad, s1, step, lr, momentum, dampening, nesterov, wd, gs),
            Opt::Adam {
                lr,
                b1,
                b2,
                eps,
                wd,
                decoupled: false,
            } => adam(p, grad, s1, s2, step, lr, b1, b2, eps, wd, gs),
            Opt::Adam {
                lr,
                b1,
                b2,
                eps,
                wd,
                decoupled: true,
            } => adamw(p, grad, s1, s2, step, lr, b1, b2, eps, wd, gs),
        }
        .expect("optimiser step");
    }
}

#[test]
fn trajectories_match_f64_torch_formulas() {
    let opts = [
        Opt::Sgd { lr: 0.1, wd: 0.0 },
        Opt::Sgd { lr: 0.05, wd: 0.01 },
        Opt::Momentum {
            lr: 0.1,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
            wd: 0.0,
        },
        Opt::Momentum {
            lr: 0.05,
            momentum: 0.8,
            dampening: 0.3,
            nesterov: false,
            wd: 0.01,
        },
        Opt::Momentum {
            lr: 0.1,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: true,
            wd: 0.001,
        },
        Opt::Adam {
            lr: 1e-3,
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            wd: 0.0,
            decoupled: false,
        },
        Opt::Adam {
            lr: 0.01,
            b1: 0.8,
            b2: 0.99,
            eps: 1e-6,
            wd: 0.05,
            decoupled: false,
        },
        Opt::Adam {
            lr: 1e-3,
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            wd: 0.01,
            decoupled: true,
        },
        Opt::Adam {
            lr: 0.05,
            b1: 0.5,
            b2: 0.9,
            eps: 1e-3,
            wd: 0.1,
            decoupled: true,
        },
    ];
    let mut rng = Rng(41);
    for opt in opts {
        for &len in &SIZES {
            let p0 = rng.vec(len, 2.0);
            let (mut p, mut s1, mut s2) = (p0.clone(), vec![0.0f32; len], vec![0.0f32; len]);
            let (mut q, mut r1, mut r2) = (to64(&p0), vec![0.0f64; len], vec![0.0f64; len]);
            for step in 1..=6u64 {
                let grad = rng.vec(len, 3.0);
                let gs = if step % 2 == 0 { 0.37 } else { 1.0 };
                opt.run(step, &mut p, &mut s1, &mut s2, &grad, gs);
                opt.reference(step, &mut q, &mut r1, &mut r2, &grad, gs);
                let tag = format!("{opt:?} len {len} step {step}");
                assert_close(&format!("params {tag}"), &p, &q, 1e-6, 1e-6);
                if !matches!(opt, Opt::Sgd { .. }) {
                    assert_close(&format!("state1 {tag}"), &s1, &r1, 1e-6, 1e-6);
                }
                if matches!(opt, Opt::Adam { .. }) {
                    assert_close(&format!("state2 {tag}"), &s2, &r2, 1e-6, 1e-5);
                }
            }
        }
    }
}

#[test]
fn bad_arguments_are_errors_and_write_nothing() {
    let mut p = [1.0f32; 3];
    let g = [1.0f32; 3];
    let (mut a, mut b) = ([0.0f32; 3], [0.0f32; 3]);
    let e = sgd(&mut p, &g[..2], 0.1, 0.0, 1.0).expect_err("grads");
    assert_eq!((e.op, e.arg), ("train::sgd", "grads"));
    assert_eq!(sgd(&mut p, &g, -0.1, 0.0, 1.0).expect_err("lr").arg, "lr");
    assert_eq!(
        sgd(&mut p, &g, f64::NAN, 0.0, 1.0).expect_err("lr nan").arg,
        "lr"
    );
    assert_eq!(
        sgd(&mut p, &g, 0.1, -1.0, 1.0).expect_err("wd").arg,
        "weight_decay"
    );
    assert_eq!(
        sgd(&mut p, &g, 0.1, 0.0, f32::NAN).expect_err("scale").arg,
        "grad_scale"
    );
    assert_eq!(
        sgd(&mut p, &g, 0.1, 0.0, f32::INFINITY)
            .expect_err("scale inf")
            .arg,
        "grad_scale"
    );

    let mom = |p: &mut [f32], v: &mut [f32], step, m, d, nest| {
        sgd_momentum(p, &g, v, step, 0.1, m, d, nest, 0.0, 1.0)
    };
    let e = mom(&mut p, &mut a[..2], 1, 0.9, 0.0, false).expect_err("velocity");
    assert_eq!((e.op, e.arg), ("train::sgd_momentum", "velocity"));
    assert_eq!(
        mom(&mut p, &mut a, 0, 0.9, 0.0, false)
            .expect_err("step")
            .arg,
        "step"
    );
    assert_eq!(
        mom(&mut p, &mut a, 1, -0.9, 0.0, false)
            .expect_err("momentum")
            .arg,
        "momentum"
    );
    assert_eq!(
        mom(&mut p, &mut a, 1, 0.9, f64::NAN, false)
            .expect_err("dampening")
            .arg,
        "dampening"
    );
    assert_eq!(
        mom(&mut p, &mut a, 1, 0.9, 0.1, true)
            .expect_err("nesterov dampening")
            .arg,
        "nesterov"
    );
    assert_eq!(
        mom(&mut p, &mut a, 1, 0.0, 0.0, true)
            .expect_err("nesterov momentum")
            .arg,
        "nesterov"
    );

    let e = adam(
        &mut p,
        &g,
        &mut a,
        &mut b[..1],
        1,
        0.1,
        0.9,
        0.999,
        1e-8,
        0.0,
        1.0,
    )
    .expect_err("v");
    assert_eq!((e.op, e.arg), ("train::adam", "v"));
    let e = adam(
        &mut p, &g, &mut a, &mut b, 0, 0.1, 0.9, 0.999, 1e-8, 0.0, 1.0,
    )
    .expect_err("step 0");
    assert_eq!(e.arg, "step");
    assert!(e.to_string().contains("at least 1"), "{e}");
    assert_eq!(
        adam(&mut p, &g, &mut a, &mut b, 1, 0.1, 1.0, 0.999, 1e-8, 0.0, 1.0)
            .expect_err("b1")
            .arg,
        "beta1"
    );
    assert_eq!(
        adam(&mut p, &g, &mut a, &mut b, 1, 0.1, 0.9, -0.1, 1e-8, 0.0, 1.0)
            .expect_err("b2")
            .arg,
        "beta2"
    );
    assert_eq!(
        adam(&mut p, &g, &mut a, &mut b, 1, 0.1, 0.9, 0.999, -1e-8, 0.0, 1.0)
            .expect_err("eps")
            .arg,
        "eps"
    );
    let e = adamw(
        &mut p,
        &g,
        &mut a[..2],
        &mut b,
        1,
        0.1,
        0.9,
        0.999,
        1e-8,
        0.0,
        1.0,
    )
    .expect_err("m");
    assert_eq!((e.op, e.arg), ("train::adamw", "m"));
    assert_eq!(p, [1.0; 3], "params written on error");
    assert_eq!((a, b), ([0.0; 3], [0.0; 3]), "state written on error");
}
