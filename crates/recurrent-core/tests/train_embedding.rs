//! Token inputs (`train::embedding_*`, `train::onehot_project*`): gather and scatter-add
//! against naive f64 references over generated shapes, repeated ids, central-difference
//! gradient checks, equivalence of the one-hot projection with the explicit one-hot GEMM,
//! and argument errors.

use recurrent_core::parallel::Sequential;
use recurrent_core::train::{
    dense_backward, dense_forward, embedding_backward, embedding_forward, onehot_project,
    onehot_project_backward, DenseGrads,
};

const SIZES: [usize; 4] = [1, 3, 17, 33];

mod common;
use common::train_support::{assert_close, to64, Rng};

fn ids(rng: &mut Rng, n: usize, vocab: usize) -> Vec<u32> {
    (0..n).map(|_| rng.below(vocab) as u32).collect()
}

#[test]
fn embedding_matches_reference() {
    let mut rng = Rng(21);
    for &n in &SIZES {
        for &v in &SIZES {
            for &e in &SIZES {
                let table = rng.vec(v * e, 1.0);
                let id = ids(&mut rng, n, v);
                let mut out = vec![f32::NAN; n * e];
                embedding_forward(v, e, &id, &table, &mut out).expect("forward");
                for r in 0..n {
                    assert_eq!(
                        out[r * e..(r + 1) * e],
                        table[id[r] as usize * e..(id[r] as usize + 1) * e]
                    );
                }
                let dout = rng.vec(n * e, 1.0);
                let d0 = rng.vec(v * e, 1.0);
                let mut dtable = d0.clone();
                embedding_backward(v, e, &id, &dout, &mut dtable).expect("backward");
                let mut want = to64(&d0);
                for r in 0..n {
                    for k in 0..e {
                        want[id[r] as usize * e + k] += f64::from(dout[r * e + k]);
                    }
                }
                assert_close(&format!("dtable {n} {v} {e}"), &dtable, &want, 1e-6, 1e-6);
            }
        }
    }
}

#[test]
fn embedding_backward_accumulates_repeated_ids_in_order() {
    // Ids repeat: the sum runs in the order of n, so it equals a sequential f32 sum.
    let (v, e) = (3, 2);
    let id = [1u32, 1, 0, 1];
    let dout = [1.0e8f32, 1.0, 0.5, 0.25, -1.0e8, 3.0, 1.0, 1.0];
    let mut dtable = vec![0.0; v * e];
    embedding_backward(v, e, &id, &dout, &mut dtable).expect("backward");
    let row1_0 = ((0.0f32 + 1.0e8) + 0.5) + 1.0;
    let row1_1 = ((0.0f32 + 1.0) + 0.25) + 1.0;
    assert_eq!(dtable, [-1.0e8, 3.0, row1_0, row1_1, 0.0, 0.0]);
}

#[test]
fn embedding_gradient_matches_central_differences() {
    let mut rng = Rng(22);
    let (n, v, e) = (17, 5, 3);
    let table = rng.vec(v * e, 1.0);
    let id = ids(&mut rng, n, v);
    let g = rng.vec(n * e, 1.0);
    // L(table) = sum(gather(table) * g) in f64.
    let loss = |t: &[f64]| -> f64 {
        (0..n)
            .map(|r| {
                (0..e)
                    .map(|k| t[id[r] as usize * e + k] * f64::from(g[r * e + k]))
                    .sum::<f64>()
            })
            .sum()
    };
    let t64 = to64(&table);
    let h = 1e-5;
    let numeric: Vec<f64> = (0..t64.len())
        .map(|j| {
            let mut p = t64.clone();
            p[j] += h;
            let up = loss(&p);
            p[j] -= 2.0 * h;
            (up - loss(&p)) / (2.0 * h)
        })
        .collect();
    let mut dtable = vec![0.0; v * e];
    embedding_backward(v, e, &id, &g, &mut dtable).expect("backward");
    assert_close("dtable", &dtable, &numeric, 1e-7, 1e-6);
}

/// One-hot rows `[N, V]` for the explicit GEMM.
fn one_hot(id: &[u32], v: usize) -> Vec<f32> {
    let mut x = vec![0.0; id.len() * v];
    for (r, &i) in id.iter().enumerate() {
        x[r * v + i as usize] = 1.0;
    }
    x
}

#[test]
fn onehot_project_matches_reference_and_the_explicit_gemm() {
    let mut rng = Rng(23);
    for &n in &SIZES {
        for &v in &SIZES {
            for &gh in &[1usize, 4, 12, 33, 128] {
                let w = rng.vec(gh * v, 1.0);
                let b = rng.vec(gh, 1.0);
                let id = ids(&mut rng, n, v);
                let bias = (n + v) % 2 == 0;
                let b_opt = bias.then_some(&b[..]);
                let mut out = vec![f32::NAN; n * gh];
                onehot_project(gh, v, &id, &w, b_opt, &mut out).expect("project");
                // Reference: out[n, r] = W[r, id] + b[r].
                let want: Vec<f64> = (0..n * gh)
                    .map(|k| {
                        let (r, g) = (k / gh, k % gh);
                        f64::from(w[g * v + id[r] as usize])
                            + if bias { f64::from(b[g]) } else { 0.0 }
                    })
                    .collect();
                assert_close("project", &out, &want, 0.0, 0.0);
                // The explicit one-hot GEMM gives the same bits (one product of 1, zeros elsewhere).
                let x = one_hot(&id, v);
                let mut y = vec![0.0; n * gh];
                dense_forward(&Sequential, n, v, gh, &x, &w, b_opt, &mut y).expect("dense");
                assert_eq!(out, y, "one-hot GEMM, n {n} V {v} GH {gh}");

                // Backward against the reference and the explicit GEMM's weight gradient.
                let dg = rng.vec(n * gh, 1.0);
                let dw0 = rng.vec(gh * v, 1.0);
                let db0 = rng.vec(gh, 1.0);
                let (mut dw, mut db) = (dw0.clone(), db0.clone());
                onehot_project_backward(gh, v, &id, &dg, &mut dw, Some(&mut db)).expect("backward");
                let mut want_dw = to64(&dw0);
                let mut want_db = to64(&db0);
                for r in 0..n {
                    for g in 0..gh {
                        want_dw[g * v + id[r] as usize] += f64::from(dg[r * gh + g]);
                        want_db[g] += f64::from(dg[r * gh + g]);
                    }
                }
                assert_close("dw_ih", &dw, &want_dw, 1e-6, 1e-6);
                assert_close("dbias", &db, &want_db, 1e-6, 1e-6);
                let (mut dw2, mut db2) = (dw0.clone(), db0.clone());
                let grads = DenseGrads {
                    dw: Some(&mut dw2),
                    db: Some(&mut db2),
                    ..DenseGrads::default()
                };
                dense_backward(&Sequential, n, v, gh, &x, &w, &dg, grads).expect("dense backward");
                assert_close("dw_ih vs GEMM", &dw, &to64(&dw2), 1e-6, 1e-6);
                assert_eq!(db, db2, "dbias vs dense db (same f64 column sums)");
            }
        }
    }
}

#[test]
fn onehot_gradient_matches_central_differences() {
    let mut rng = Rng(24);
    let (n, v, gh) = (9, 4, 6);
    let w = rng.vec(gh * v, 1.0);
    let b = rng.vec(gh, 1.0);
    let id = ids(&mut rng, n, v);
    let g = rng.vec(n * gh, 1.0);
    let loss = |w: &[f64], b: &[f64]| -> f64 {
        let mut l = 0.0;
        for r in 0..n {
            for k in 0..gh {
                l += (w[k * v + id[r] as usize] + b[k]) * f64::from(g[r * gh + k]);
            }
        }
        l
    };
    let (w64, b64) = (to64(&w), to64(&b));
    let h = 1e-5;
    let numeric = |v: &[f64], f: &dyn Fn(&[f64]) -> f64| -> Vec<f64> {
        (0..v.len())
            .map(|j| {
                let mut p = v.to_vec();
                p[j] += h;
                let up = f(&p);
                p[j] -= 2.0 * h;
                (up - f(&p)) / (2.0 * h)
            })
            .collect()
    };
    let mut dw = vec![0.0; gh * v];
    let mut db = vec![0.0; gh];
    onehot_project_backward(gh, v, &id, &g, &mut dw, Some(&mut db)).expect("backward");
    assert_close("dw_ih", &dw, &numeric(&w64, &|p| loss(p, &b64)), 1e-7, 1e-6);
    assert_close("dbias", &db, &numeric(&b64, &|p| loss(&w64, p)), 1e-7, 1e-6);
}

#[test]
fn bad_ids_and_sizes_are_errors_and_write_nothing() {
    let (v, e) = (4, 2);
    let table = vec![1.0; v * e];
    let mut out = vec![7.0; 3 * e];
    let err = embedding_forward(v, e, &[0, 4, 1], &table, &mut out).expect_err("id 4");
    assert_eq!((err.op, err.arg), ("train::embedding_forward", "ids"));
    assert!(err.got.contains("4 at index 1"), "{err}");
    let err = embedding_forward(v, e, &[0, 1, u32::MAX], &table, &mut out).expect_err("id max");
    assert_eq!(err.arg, "ids");
    let err = embedding_forward(v, e, &[0, 1], &table, &mut out).expect_err("out size");
    assert_eq!(err.arg, "out");
    let err = embedding_forward(v, e, &[0, 1, 2], &table[1..], &mut out).expect_err("table size");
    assert_eq!(err.arg, "table");
    assert!(out.iter().all(|&x| x == 7.0));

    let mut dtable = vec![7.0; v * e];
    let err = embedding_backward(v, e, &[3, 9], &[1.0; 4], &mut dtable).expect_err("id 9");
    assert_eq!((err.op, err.arg), ("train::embedding_backward", "ids"));
    assert!(dtable.iter().all(|&x| x == 7.0));
    // Vocabulary 0: any id is out of range, no id is fine.
    embedding_forward(0, e, &[], &[], &mut []).expect("empty");
    assert!(embedding_forward(0, e, &[0], &[], &mut [0.0; 2]).is_err());

    let (gh, w) = (3, vec![1.0; 3 * v]);
    let mut out = vec![7.0; 2 * gh];
    let err = onehot_project(gh, v, &[1, 5], &w, None, &mut out).expect_err("id 5");
    assert_eq!((err.op, err.arg), ("train::onehot_project", "ids"));
    let err = onehot_project(gh, v, &[1, 2], &w, Some(&[0.0; 2]), &mut out).expect_err("bias");
    assert_eq!(err.arg, "bias");
    let err = onehot_project(gh, v, &[1, 2], &w[1..], None, &mut out).expect_err("w");
    assert_eq!(err.arg, "w_ih");
    assert!(out.iter().all(|&x| x == 7.0));
    let mut dw = vec![7.0; 3 * v];
    let err = onehot_project_backward(gh, v, &[1, 2], &[0.0; 6], &mut dw, Some(&mut [0.0; 4]))
        .expect_err("dbias");
    assert_eq!(
        (err.op, err.arg),
        ("train::onehot_project_backward", "dbias")
    );
    let err = onehot_project_backward(gh, v, &[1, 4], &[0.0; 6], &mut dw, None).expect_err("id 4");
    assert_eq!(err.arg, "ids");
    let err =
        onehot_project_backward(usize::MAX, 2, &[1], &[], &mut dw, None).expect_err("overflow");
    assert_eq!(err.arg, "dg");
    assert!(dw.iter().all(|&x| x == 7.0));
}
