//! Helpers of the training-kernel tests (`train_*.rs`): a seeded generator and the
//! fixtures' closeness rule.

/// SplitMix64: tiny, seeded, good enough for sizes and values.
pub struct Rng(pub u64);

#[allow(dead_code)] // each test file uses a different subset
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }

    pub fn vec(&mut self, len: usize, scale: f32) -> Vec<f32> {
        (0..len).map(|_| self.uniform() * scale).collect()
    }
}

/// `|a - e| <= atol * max(1, M) + rtol * |e|` elementwise, `M = max |e|` (the fixtures' rule).
pub fn assert_close(what: &str, got: &[f32], want: &[f64], atol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let m = want.iter().fold(1.0f64, |m, e| m.max(e.abs()));
    for (i, (&a, &e)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(a) - e).abs();
        assert!(
            err <= atol * m + rtol * e.abs(),
            "{what}[{i}]: got {a}, want {e} (err {err:e}, M {m})"
        );
    }
}

pub fn to64(xs: &[f32]) -> Vec<f64> {
    xs.iter().map(|&v| f64::from(v)).collect()
}
