//! Element-wise functions the recurrent cells need: `exp`, `sigmoid`, `tanh`, on one `f32`,
//! on an [`F32x4`], and in place over slices.
//!
//! Each function is written once, generic over a private lane trait implemented by `f32` and
//! [`F32x4`], so the scalar and SIMD versions perform the same IEEE operations in the same
//! order and agree bit for bit (tested). None uses the platform libm: wasm has none worth
//! the name, and results must not depend on the engine.
//!
//! Error bounds below are measured by `tests/math.rs` against `f64`: every 7th `f32` with
//! |x| < 104 (about 300 million inputs, the ignored `scan_dense_bits` test), and in every
//! run a grid of step 2^-10 over [-30, 30] plus the tails and extremes. "ulp" is the spacing
//! of `f32` at the exact result; results below `f32::MIN_POSITIVE` are excluded from the
//! ulp measure (they are within one subnormal spacing).
//!
//! The relaxed wasm builds evaluate the polynomials and the exp reduction with `mul_add` as
//! `f32x4.relaxed_madd` (fused where the CPU has FMA). Measured again for them in Node 24 on a
//! grid of step 2^-10 over [-30, 30] plus tails (`test/unit/i18-fma.test.ts`, both builds):
//! exp 0.95 ulp, sigmoid 2.01 ulp, tanh 1.49 ulp (baseline build on the same grid: 0.95, 1.97,
//! 1.49); the bounds documented below hold for both.

use core::ops::{Add, Div, Mul, Neg, Sub};

use crate::simd::{F32x4, I32x4, LANES};

/// Above this, `exp` overflows: clamping here keeps the exponent arithmetic in range while
/// still producing `+inf` (`e^88.8 > f32::MAX`).
const EXP_HI: f32 = 88.8;
/// Below this, `e^x` is under half the smallest subnormal and rounds to 0.
const EXP_LO: f32 = -104.0;
const LOG2E: f32 = core::f32::consts::LOG2_E;
/// ln 2 split in two (Cody-Waite): `LN2_HI` has 9 significant bits, so `n * LN2_HI` is
/// exact for |n| <= 2^15 and `x - n * LN2_HI` loses nothing without a fused multiply-add.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Minimax polynomial for `(e^r - 1 - r) / r^2` on |r| <= ln2 / 2 (Cephes `expf`).
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    5e-1,
];
/// Below this |x| `tanh` uses its odd polynomial; above, `e^(-2|x|) <= 0.29` keeps the
/// rational form free of cancellation.
const TANH_SMALL: f32 = 0.625;
/// Minimax polynomial for `(tanh(x) - x) / x^3` in `z = x^2`, |x| < 0.625 (Cephes `tanhf`).
const TANH_P: [f32; 5] = [
    -5.704_988_7e-3,
    2.063_909e-2,
    -5.373_971_6e-2,
    1.333_144_2e-1,
    -3.333_328e-1,
];

/// The operations the activations are written in: implemented by `f32` and [`F32x4`] with
/// identical semantics (min/max as wasm `pmin`/`pmax`: NaN in `self` propagates).
trait Lane:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    fn splat(x: f32) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn abs(self) -> Self;
    fn copysign(self, sign: Self) -> Self;
    fn round_ties_even(self) -> Self;
    /// `self * a + b`: unfused in the baseline builds (the same bits as `self * a + b`),
    /// `relaxed_madd` in the relaxed ones (see `crate::simd`).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `self * 2^n` for an integral `n` in [-150, 128], with a single rounding even when
    /// the result is subnormal: scales by `2^(n>>1)` (exact) and then by `2^(n - n>>1)`.
    fn scale_pow2(self, n: Self) -> Self;
    /// `if self >= o { t } else { f }` (false for NaN).
    fn ge_select(self, o: Self, t: Self, f: Self) -> Self;
    /// `if self < o { t } else { f }` (false for NaN).
    fn lt_select(self, o: Self, t: Self, f: Self) -> Self;
}

/// `2^n` for an integer `n` in the normal exponent range, built from its bits.
#[inline(always)]
fn pow2_bits(n: i32) -> f32 {
    f32::from_bits(((n + 127) << 23) as u32)
}

impl Lane for f32 {
    #[inline(always)]
    fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        if o < self {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        if self < o {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        f32::copysign(self, sign)
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        f32::round_ties_even(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        crate::simd::mul_add(self, a, b)
    }
    #[inline(always)]
    fn scale_pow2(self, n: Self) -> Self {
        let n = n as i32;
        let half = n >> 1;
        self * pow2_bits(half) * pow2_bits(n - half)
    }
    #[inline(always)]
    fn ge_select(self, o: Self, t: Self, f: Self) -> Self {
        if self >= o {
            t
        } else {
            f
        }
    }
    #[inline(always)]
    fn lt_select(self, o: Self, t: Self, f: Self) -> Self {
        if self < o {
            t
        } else {
            f
        }
    }
}

impl Lane for F32x4 {
    #[inline(always)]
    fn splat(x: f32) -> Self {
        F32x4::splat(x)
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        F32x4::min(self, o)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        F32x4::max(self, o)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        F32x4::abs(self)
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        F32x4::copysign(self, sign)
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        F32x4::round_ties_even(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        F32x4::mul_add(self, a, b)
    }
    #[inline(always)]
    fn scale_pow2(self, n: Self) -> Self {
        let n = n.to_i32_sat();
        let half = n >> 1;
        let pow2 = |e: I32x4| ((e + I32x4::splat(127)) << 23).to_bits_f32();
        self * pow2(half) * pow2(n - half)
    }
    #[inline(always)]
    fn ge_select(self, o: Self, t: Self, f: Self) -> Self {
        self.ge(o).select(t, f)
    }
    #[inline(always)]
    fn lt_select(self, o: Self, t: Self, f: Self) -> Self {
        self.lt(o).select(t, f)
    }
}

/// Horner's scheme in `x` over `coeffs`, highest degree first, one `mul_add` per step
/// (fused in the relaxed builds only).
#[inline(always)]
fn horner<T: Lane>(x: T, coeffs: &[f32]) -> T {
    let mut acc = T::splat(coeffs[0]);
    for &c in &coeffs[1..] {
        acc = acc.mul_add(x, T::splat(c));
    }
    acc
}

#[inline(always)]
fn exp_impl<T: Lane>(x: T) -> T {
    // `x` first in max/min so a NaN stays NaN.
    let x = x.max(T::splat(EXP_LO)).min(T::splat(EXP_HI));
    let n = (x * T::splat(LOG2E)).round_ties_even();
    // `t - n * LO` as `n * (-LO) + t`: the same bits unfused, one rounding fused.
    let r = n.mul_add(T::splat(-LN2_LO), x - n * T::splat(LN2_HI));
    let y = horner(r, &EXP_P).mul_add(r * r, r) + T::splat(1.0);
    y.scale_pow2(n)
}

#[inline(always)]
fn sigmoid_impl<T: Lane>(x: T) -> T {
    // e^(-|x|) is in (0, 1], so neither branch can overflow: 1/(1+e) for x >= 0 and
    // e/(1+e) for x < 0 are the same function without the inf/inf of the naive form.
    let e = exp_impl(-x.abs());
    let one = T::splat(1.0);
    x.ge_select(T::splat(0.0), one, e) / (one + e)
}

#[inline(always)]
fn tanh_impl<T: Lane>(x: T) -> T {
    let ax = x.abs();
    let z = x * x;
    // Odd polynomial evaluated on |x| and signed afterwards, so tanh(-0) = -0 and the
    // function is exactly odd.
    let small = (horner(z, &TANH_P) * z).mul_add(ax, ax).copysign(x);
    // (1 - e)/(1 + e) with e = e^(-2|x|) in (0, 0.29]: no cancellation, and e -> 0 gives
    // exactly 1 for large |x| (also for +-inf); the sign is restored bitwise, so odd too.
    let e = exp_impl(ax * T::splat(-2.0));
    let one = T::splat(1.0);
    let large = ((one - e) / (one + e)).copysign(x);
    ax.lt_select(T::splat(TANH_SMALL), small, large)
}

/// `e^x`. Max error 0.98 ulp (measured; relative 8.1e-8). `+inf` from 88.7229, subnormal
/// results rounded once, `0` from -103.9721 down, `+inf`/`0` for `+-inf`, NaN for NaN.
#[inline]
pub fn exp(x: f32) -> f32 {
    exp_impl(x)
}

/// [`exp`] on each lane, bit-identical to it.
#[inline]
pub fn exp4(x: F32x4) -> F32x4 {
    exp_impl(x)
}

/// The logistic function `1 / (1 + e^-x)`. Max error 2.4 ulp (measured; relative 1.8e-7).
/// Always in [0, 1]: exactly 1 from 16.6356, 0 from -103.9721 down, never NaN or Inf for a
/// non-NaN input; NaN for NaN.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    sigmoid_impl(x)
}

/// [`sigmoid`] on each lane, bit-identical to it.
#[inline]
pub fn sigmoid4(x: F32x4) -> F32x4 {
    sigmoid_impl(x)
}

/// Hyperbolic tangent. Max error 1.5 ulp (measured; relative 1.5e-7). Always in [-1, 1]:
/// exactly +-1 from |x| = 8.6644, `tanh(x) = x` for tiny x; exactly odd
/// (`tanh(-x) == -tanh(x)` bit for bit, `tanh(-0) = -0`); NaN for NaN.
#[inline]
pub fn tanh(x: f32) -> f32 {
    tanh_impl(x)
}

/// [`tanh`] on each lane, bit-identical to it.
#[inline]
pub fn tanh4(x: F32x4) -> F32x4 {
    tanh_impl(x)
}

/// Applies `f4` to whole 4-lane chunks and `f` to the tail; both give the same bits, so
/// where the chunk boundaries fall does not matter.
#[inline(always)]
fn map_inplace(xs: &mut [f32], f4: impl Fn(F32x4) -> F32x4, f: impl Fn(f32) -> f32) {
    let mut chunks = xs.chunks_exact_mut(LANES);
    for c in &mut chunks {
        f4(F32x4::load(c)).store(c);
    }
    for x in chunks.into_remainder() {
        *x = f(*x);
    }
}

/// `x <- e^x` for every element (see [`exp`]).
pub fn exp_inplace(xs: &mut [f32]) {
    map_inplace(xs, exp4, exp);
}

/// `x <- sigmoid(x)` for every element (see [`sigmoid`]).
pub fn sigmoid_inplace(xs: &mut [f32]) {
    map_inplace(xs, sigmoid4, sigmoid);
}

/// `x <- tanh(x)` for every element (see [`tanh`]).
pub fn tanh_inplace(xs: &mut [f32]) {
    map_inplace(xs, tanh4, tanh);
}
