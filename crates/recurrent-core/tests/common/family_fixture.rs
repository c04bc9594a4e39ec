//! Reading the shared `families` fixtures (PyTorch float64 references, see their README) and
//! their default tolerance tier: `|a - e| <= atol * M + rtol * |e|`, no floor at 1.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// `$FAMILY_FIXTURES`, or `shared/fixtures/families` beside the repository.
pub fn dir() -> PathBuf {
    match std::env::var_os("FAMILY_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/families"),
    }
}

/// The case files of one family (file names containing `_{family}_`), sorted; there must be
/// `count` of them.
pub fn cases(family: &str, count: usize) -> Vec<PathBuf> {
    let tag = format!("_{family}_");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("families fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(&tag))
        })
        .collect();
    cases.sort();
    assert_eq!(cases.len(), count, "{family} cases");
    cases
}

/// A fixture file's JSON.
pub fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// A tensor's `data` as f32.
pub fn floats(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d.as_f64().expect("number") as f32)
        .collect()
}

/// An integer tensor's `data`.
pub fn ints(v: &Value) -> Vec<usize> {
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d.as_u64().expect("int") as usize)
        .collect()
}

pub const FORWARD: (f64, f64) = (1e-4, 1e-3);
pub const GRADS: (f64, f64) = (1e-3, 1e-2);

/// Max over elements of `|a - e| / (atol * M + rtol * |e|)` (pass: <= 1); a tensor whose
/// expected values are all 0 must be exactly 0 (usage infinite otherwise).
pub fn usage(actual: &[f32], expected: &[f32], (atol, rtol): (f64, f64)) -> f64 {
    assert_eq!(actual.len(), expected.len(), "tensor sizes differ");
    let m = expected
        .iter()
        .fold(0.0f64, |m, &e| m.max(f64::from(e).abs()));
    actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| {
            let (a, e) = (f64::from(a), f64::from(e));
            let err = (a - e).abs();
            if err == 0.0 {
                0.0
            } else if err.is_nan() {
                f64::INFINITY
            } else {
                err / (atol * m + rtol * e.abs())
            }
        })
        .fold(0.0, f64::max)
}
