//! The gate activations the cells use, in one place, and the lane type the cells' element-wise
//! bodies are written over.
//!
//! `sigmoid` and `tanh` come from `crate::math` (PyTorch's conventions: the logistic sigmoid,
//! never a hard one), whose scalar versions are bit-identical to its SIMD ones and use no
//! platform libm, so the cells give the same bits natively and in every wasm engine.
//!
//! Every cell body is written once, generic over [`Lanes`] (one `f32`, or one [`F32x4`] of
//! four consecutive units), and run by [`each_lane!`]: whole groups of four units with
//! [`F32x4`] (`sigmoid4`/`tanh4`, v128 arithmetic in the wasm SIMD build), the last `H % 4`
//! units with `f32`. Both perform the same IEEE operations in the same order on each unit,
//! so a unit's result does not depend on which of the two computed it: the SIMD cells give
//! exactly the bits the scalar cells gave (tested against a scalar-only run in `cells`).

use core::ops::{Add, Mul, Sub};

use crate::simd::F32x4;

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

/// One unit (`f32`) or four consecutive units ([`F32x4`]) of a cell's element-wise body.
/// Implementations perform identical IEEE operations lane by lane.
pub(crate) trait Lanes:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    fn splat(x: f32) -> Self;
    /// `self * a + b`: the same bits as `self * a + b` in the baseline builds, one
    /// `relaxed_madd` (fused where the CPU has FMA) in the relaxed builds (`crate::simd`).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The values `s[j..j + width]` (width 1 or 4) (panics past the end: a caller bug).
    fn at(s: &[f32], j: usize) -> Self;
    /// A bias vector's values at `j` ([`Lanes::at`]), or zeros when the stack has no biases
    /// (`bias: false` leaves the slice empty): `x + 0` is `x` exactly, so a stack without
    /// biases computes the same bits as one whose biases are zero.
    #[inline(always)]
    fn bias(s: &[f32], j: usize) -> Self {
        if s.is_empty() {
            Self::splat(0.0)
        } else {
            Self::at(s, j)
        }
    }
    /// Stores into `s[j..j + width]`.
    fn put(self, s: &mut [f32], j: usize);
    fn sigmoid(self) -> Self;
    fn tanh(self) -> Self;
    /// [`relu`] per unit.
    fn relu(self) -> Self;
    /// Per unit `if g > 0 { self } else { 0 }` (false for NaN), the derivative gate of relu.
    fn where_positive(self, g: Self) -> Self;
}

impl Lanes for f32 {
    #[inline(always)]
    fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        crate::simd::mul_add(self, a, b)
    }
    #[inline(always)]
    fn at(s: &[f32], j: usize) -> Self {
        s[j]
    }
    #[inline(always)]
    fn put(self, s: &mut [f32], j: usize) {
        s[j] = self;
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        sigmoid(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        tanh(self)
    }
    #[inline(always)]
    fn relu(self) -> Self {
        relu(self)
    }
    #[inline(always)]
    fn where_positive(self, g: Self) -> Self {
        if g > 0.0 {
            self
        } else {
            0.0
        }
    }
}

impl Lanes for F32x4 {
    #[inline(always)]
    fn splat(x: f32) -> Self {
        F32x4::splat(x)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        F32x4::mul_add(self, a, b)
    }
    #[inline(always)]
    fn at(s: &[f32], j: usize) -> Self {
        F32x4::load(&s[j..])
    }
    #[inline(always)]
    fn put(self, s: &mut [f32], j: usize) {
        self.store(&mut s[j..]);
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        crate::math::sigmoid4(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        crate::math::tanh4(self)
    }
    #[inline(always)]
    fn relu(self) -> Self {
        // 0 < x is false for NaN and for -0, like the scalar `x > 0`; the else lane is +0.
        F32x4::zero().lt(self).select(self, F32x4::zero())
    }
    #[inline(always)]
    fn where_positive(self, g: Self) -> Self {
        F32x4::zero().lt(g).select(self, F32x4::zero())
    }
}

// Whether the cells run their bodies four units at a time (always, except in the test
// that checks the SIMD bodies against a scalar-only run).
#[cfg(test)]
thread_local! {
    pub(crate) static SCALAR_ONLY: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Runs a cell body `$f::<L>(args..., j)` over units `0..$h`: `F32x4` on whole groups of
/// four, then `f32` on the rest.
macro_rules! each_lane {
    ($h:expr, $f:ident ( $($arg:expr),* $(,)? )) => {{
        let h: usize = $h;
        let mut j = 0usize;
        #[cfg(test)]
        let simd = !$crate::rnn::act::SCALAR_ONLY.with(|s| s.get());
        #[cfg(not(test))]
        let simd = true;
        if simd {
            while j + 4 <= h {
                $f::<$crate::simd::F32x4>($($arg,)* j);
                j += 4;
            }
        }
        while j < h {
            $f::<f32>($($arg,)* j);
            j += 1;
        }
    }};
}
pub(crate) use each_lane;

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

    /// The lane type's relu and its derivative gate agree with the scalar ones on every
    /// special value, bit for bit.
    #[test]
    fn vector_relu_matches_scalar() {
        let xs = [
            -1.0f32,
            -0.0,
            0.0,
            1e-40,
            -1e-40,
            2.5,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -3.0,
            7.0,
            0.5,
        ];
        for c in xs.chunks_exact(4) {
            let v = F32x4::load(c);
            let r = Lanes::relu(v).to_array();
            let w = Lanes::where_positive(F32x4::splat(3.0), v).to_array();
            for (k, &x) in c.iter().enumerate() {
                assert_eq!(r[k].to_bits(), relu(x).to_bits(), "relu({x})");
                assert_eq!(
                    w[k].to_bits(),
                    3.0f32.where_positive(x).to_bits(),
                    "gate({x})"
                );
            }
        }
    }
}
