//! The gate activations the cells use, in one place.
//!
//! `sigmoid` and `tanh` come from `crate::math` (PyTorch's conventions: the logistic sigmoid,
//! never a hard one), whose scalar versions are bit-identical to its SIMD ones and use no
//! platform libm, so the cells give the same bits natively and in every wasm engine. Until
//! `math` landed these were private scalar versions here; keeping the indirection lets the
//! cells move to the SIMD forms (`sigmoid4`, `tanh4`) without touching their equations.

pub(crate) use crate::math::{sigmoid, tanh};

/// `max(x, 0)`; its derivative at 0 is taken as 0, as PyTorch does.
#[inline]
pub(crate) fn relu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Invariant sweep over a dense grid: ranges, symmetry, no NaN in the tails.
    #[test]
    fn saturating_activations_stay_in_range() {
        for k in -3000..=3000 {
            let x = k as f32 * 0.01;
            let s = sigmoid(x);
            let t = tanh(x);
            assert!((0.0..=1.0).contains(&s), "sigmoid({x}) = {s}");
            assert!((-1.0..=1.0).contains(&t), "tanh({x}) = {t}");
            assert!(
                (sigmoid(-x) - (1.0 - s)).abs() <= 1e-6,
                "sigmoid symmetry at {x}"
            );
            assert_eq!(tanh(-x), -t, "tanh odd at {x}");
        }
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert_eq!(relu(-1.0), 0.0);
        assert_eq!(relu(2.5), 2.5);
    }
}
