//! Replay of the loss and update parts of the PyTorch `char_lm_step` fixtures (29: clipping
//! active, 30: no clipping): the mean cross-entropy of the stored logits, `dense_bias`'s
//! gradient (the column sum of `dlogits`), the joint gradient norm and clipping factor, and
//! the clipped SGD step. The LSTM part is the recurrent suite's business (`y` is not stored).

use std::path::{Path, PathBuf};

use recurrent_core::parallel::{ScopedThreads, Sequential};
use recurrent_core::train::{
    clip_coefficient, global_norm, sgd, softmax_xent, softmax_xent_loss, sum_squares, XentOptions,
};
use serde_json::Value;

/// `$PARITY_FIXTURES`, or `shared/fixtures/parity` beside the repository.
fn fixture(name: &str) -> Value {
    let dir = match std::env::var_os("PARITY_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/parity"),
    };
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set PARITY_FIXTURES to the fixtures' directory)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `{shape, data}` tensor as f32 (stored values are exact f32 numbers).
fn tensor(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect();
    assert_eq!(shape.iter().product::<usize>(), data.len());
    (shape, data)
}

fn ids(v: &Value) -> Vec<u32> {
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| u32::try_from(x.as_u64().expect("id")).expect("u32"))
        .collect()
}

fn param_names(f: &Value) -> Vec<String> {
    f["param_names"]
        .as_array()
        .expect("param_names")
        .iter()
        .map(|s| s.as_str().expect("name").to_string())
        .collect()
}

fn replay(name: &str) {
    let f = fixture(name);
    assert_eq!(f["type"], "char_lm_step");
    let out = &f["outputs"];
    let (shape, logits) = tensor(&out["logits"]);
    let (t, b, v) = (shape[0], shape[1], shape[2]);
    let n = t * b;
    // targets [T, B] row-major: row t*B + b, the same order as the logits' rows.
    let targets = ids(&f["inputs"]["targets"]);
    assert_eq!(targets.len(), n);

    // Loss of the stored logits: mean over the T*B positions.
    let want_loss = out["loss"].as_f64().expect("loss");
    let opts = XentOptions::default();
    let stats = softmax_xent_loss(&Sequential, n, v, &logits, &targets, &opts).expect("loss");
    assert!(
        (stats.loss - want_loss).abs() <= 1e-4,
        "{name}: loss {} vs {want_loss}",
        stats.loss
    );
    // Far tighter in fact: the logits are the f32 rounding of the f64 reference's.
    assert!(
        (stats.loss - want_loss).abs() <= 1e-6,
        "{name}: loss {} vs {want_loss}",
        stats.loss
    );
    assert_eq!(stats.rows, n);

    // d loss / d dense_bias = column sums of dlogits (the recommended gradient tier, and
    // in fact 1e-5 relative to the largest element).
    let mut dlogits = logits.clone();
    let two = ScopedThreads::new(2);
    let s2 = softmax_xent(&two, n, v, &mut dlogits, &targets, &opts).expect("softmax_xent");
    assert_eq!(s2.loss.to_bits(), stats.loss.to_bits());
    let (_, want_db) = tensor(&f["grads"]["dense_bias"]);
    let m = want_db
        .iter()
        .fold(1.0f64, |m, &x| m.max(f64::from(x).abs()));
    for j in 0..v {
        let db: f64 = (0..n).map(|r| f64::from(dlogits[r * v + j])).sum();
        let e = f64::from(want_db[j]);
        assert!(
            (db - e).abs() <= 1e-5 * m + 1e-4 * e.abs(),
            "{name}: d dense_bias[{j}] {db} vs {e}"
        );
    }

    // Joint gradient norm over all six tensors, clipping factor, clipped SGD step.
    let names = param_names(&f);
    assert_eq!(names.len(), 6);
    let grads: Vec<Vec<f32>> = names.iter().map(|k| tensor(&f["grads"][k]).1).collect();
    let refs: Vec<&[f32]> = grads.iter().map(|g| g.as_slice()).collect();
    let norm = global_norm(&refs);
    let total: f64 = grads.iter().map(|g| sum_squares(g)).sum();
    assert_eq!(norm, total.sqrt());
    let want_norm = out["grad_norm"].as_f64().expect("grad_norm");
    assert!(
        (norm - want_norm).abs() <= 1e-5 * want_norm,
        "{name}: grad_norm {norm} vs {want_norm}"
    );
    let theta = f["spec"]["clip_theta"].as_f64().expect("clip_theta");
    let lr = f["spec"]["lr"].as_f64().expect("lr");
    let clip = clip_coefficient(norm, theta);
    let want_clip = out["clip_scale"].as_f64().expect("clip_scale");
    assert!(
        (clip - want_clip).abs() <= 1e-5 * want_clip,
        "{name}: clip_scale {clip} vs {want_clip}"
    );
    assert_eq!(
        norm > theta,
        out["clipped"].as_bool().expect("clipped"),
        "{name}: clipped"
    );

    let mut worst = 0.0f32;
    for (k, g) in names.iter().zip(&grads) {
        let (_, mut p) = tensor(&f["params"][k]);
        let (_, want) = tensor(&f["params_after"][k]);
        sgd(&mut p, g, lr, 0.0, clip as f32).expect("sgd");
        for (j, (&a, &e)) in p.iter().zip(&want).enumerate() {
            assert!(
                (a - e).abs() <= 1e-6,
                "{name}: params_after {k}[{j}] {a} vs {e}"
            );
            worst = worst.max((a - e).abs());
        }
    }
    eprintln!(
        "{name}: |loss err| {:.1e}, grad_norm rel err {:.1e}, clip_scale rel err {:.1e}, max |params_after err| {worst:.1e}",
        (stats.loss - want_loss).abs(),
        (norm - want_norm).abs() / want_norm,
        (clip - want_clip).abs() / want_clip,
    );
}

#[test]
fn char_lm_step_29_clipped() {
    replay("29_char_lm_step_T35_B32.json");
}

#[test]
fn char_lm_step_30_unclipped() {
    replay("30_char_lm_step_T10_B4_state.json");
}
