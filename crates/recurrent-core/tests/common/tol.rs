//! The fixtures' tolerance: `|a - e| <= atol * max(1, M) + rtol * |e|`, `M = max |e|`.

/// (atol, rtol) of the default tier.
pub const FORWARD: (f64, f64) = (1e-4, 1e-3);
pub const GRADS: (f64, f64) = (1e-3, 1e-2);

/// Max over elements of `|a - e| / (atol * max(1, M) + rtol * |e|)`: pass means <= 1.
pub fn usage(actual: &[f64], expected: &[f64], (atol, rtol): (f64, f64)) -> f64 {
    assert_eq!(actual.len(), expected.len(), "tensor sizes differ");
    let m = expected.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    actual
        .iter()
        .zip(expected)
        .map(|(a, e)| {
            let err = (a - e).abs();
            if err.is_nan() {
                f64::INFINITY
            } else {
                err / (atol * m.max(1.0) + rtol * e.abs())
            }
        })
        .fold(0.0, f64::max)
}

pub fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Fails unless `b` equals `a` within `rel` of the largest magnitude in `a` (at least 1).
pub fn close(what: &str, a: &[f32], b: &[f32], rel: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= rel * scale,
            "{what}[{i}]: {y} vs {x} (scale {scale})"
        );
    }
}
