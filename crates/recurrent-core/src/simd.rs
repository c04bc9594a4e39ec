//! The SIMD vocabulary: one 4-lane `f32` type (plus the mask and integer types the
//! activations need) that GEMM panels, gate activations and BPTT loops are written against,
//! so intrinsics live in this file only.
//!
//! With `simd128` on wasm32 the types wrap a `v128`; everywhere else they are a scalar twin
//! over `[f32; 4]` that performs the same IEEE operations in the same order, lane by lane.
//! Every operation here is either exactly rounded (add, sub, mul, div, rounding to integer) or
//! pure bit manipulation, so the two twins produce the same bits, and native tests exercise
//! the arithmetic the wasm SIMD build runs.
//!
//! wasm SIMD128 has no fused multiply-add in the base proposal: in the baseline builds
//! [`F32x4::mul_add`] and [`mul_add`] are a multiply, rounded, then an add, rounded, and the
//! scalar twin does the same, never `f32::mul_add`. The relaxed builds (`+relaxed-simd`, see
//! `scripts/build-wasm.sh`) compile both to `f32x4.relaxed_madd`, which the engine maps to the
//! CPU's FMA (one rounding) where it has one, or to the unfused pair. Which of the two an
//! engine picks is fixed for the engine and machine, so within a build every lane, every
//! thread count and every tail element computes the same bits; between the baseline and the
//! relaxed builds results differ by rounding only.

/// Whether the real SIMD path (wasm32 with `simd128`) is compiled in; `false` means the
/// scalar twin. Tests and benches assert on it so a build that silently lost SIMD is caught.
pub const SIMD_ENABLED: bool = cfg!(all(target_arch = "wasm32", target_feature = "simd128"));

/// Whether `mul_add` compiles to `f32x4.relaxed_madd` (the relaxed wasm builds).
pub const RELAXED_ENABLED: bool = cfg!(all(
    target_arch = "wasm32",
    target_feature = "simd128",
    target_feature = "relaxed-simd"
));

/// `a * b + c` on one `f32` with exactly the arithmetic of a lane of [`F32x4::mul_add`]
/// (fused where the relaxed build's engine fuses), so scalar tails match their vector lanes.
#[inline(always)]
pub fn mul_add(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(all(
        target_arch = "wasm32",
        target_feature = "simd128",
        target_feature = "relaxed-simd"
    ))]
    {
        F32x4::splat(a)
            .mul_add(F32x4::splat(b), F32x4::splat(c))
            .to_array()[0]
    }
    #[cfg(not(all(
        target_arch = "wasm32",
        target_feature = "simd128",
        target_feature = "relaxed-simd"
    )))]
    {
        a * b + c
    }
}

/// Lanes in an [`F32x4`].
pub const LANES: usize = 4;

pub use imp::{F32x4, I32x4, Mask4};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Four `f32` lanes in one `v128`.
    #[derive(Debug, Clone, Copy)]
    pub struct F32x4(v128);

    /// Four `i32` lanes in one `v128`, for exponent manipulation.
    #[derive(Debug, Clone, Copy)]
    pub struct I32x4(v128);

    /// A lane mask (all ones or all zeros per lane) from a comparison.
    #[derive(Debug, Clone, Copy)]
    pub struct Mask4(v128);

    /// Implements a binary operator lane-wise with one intrinsic.
    macro_rules! lanewise {
        ($ty:ident, $tr:ident, $m:ident, $rhs:ty, $f:expr) => {
            impl core::ops::$tr<$rhs> for $ty {
                type Output = Self;
                #[inline(always)]
                fn $m(self, o: $rhs) -> Self {
                    $f(self, o)
                }
            }
        };
    }

    // IEEE single-precision, exactly rounded; integer ops wrap, `>>` is arithmetic.
    lanewise!(F32x4, Add, add, F32x4, |a: F32x4, b: F32x4| F32x4(
        f32x4_add(a.0, b.0)
    ));
    lanewise!(F32x4, Sub, sub, F32x4, |a: F32x4, b: F32x4| F32x4(
        f32x4_sub(a.0, b.0)
    ));
    lanewise!(F32x4, Mul, mul, F32x4, |a: F32x4, b: F32x4| F32x4(
        f32x4_mul(a.0, b.0)
    ));
    lanewise!(F32x4, Div, div, F32x4, |a: F32x4, b: F32x4| F32x4(
        f32x4_div(a.0, b.0)
    ));
    lanewise!(I32x4, Add, add, I32x4, |a: I32x4, b: I32x4| I32x4(
        i32x4_add(a.0, b.0)
    ));
    lanewise!(I32x4, Sub, sub, I32x4, |a: I32x4, b: I32x4| I32x4(
        i32x4_sub(a.0, b.0)
    ));
    lanewise!(I32x4, Shl, shl, u32, |a: I32x4, n: u32| I32x4(i32x4_shl(
        a.0, n
    )));
    lanewise!(I32x4, Shr, shr, u32, |a: I32x4, n: u32| I32x4(i32x4_shr(
        a.0, n
    )));

    impl core::ops::Neg for F32x4 {
        type Output = Self;
        /// Flips the sign bit.
        #[inline(always)]
        fn neg(self) -> Self {
            Self(f32x4_neg(self.0))
        }
    }

    impl F32x4 {
        /// All lanes zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self(f32x4_splat(0.0))
        }

        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            Self(f32x4_splat(x))
        }

        /// Lanes from an array, lane 0 first.
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> Self {
            Self(f32x4(a[0], a[1], a[2], a[3]))
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }

        /// Loads the first four elements of `s` (panics if shorter: a caller bug).
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            let s = &s[..4];
            // SAFETY: `s` has exactly four readable f32; v128_load allows any alignment.
            unsafe { Self::load_ptr(s.as_ptr()) }
        }

        /// Stores the lanes into the first four elements of `s` (panics if shorter).
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            let s = &mut s[..4];
            // SAFETY: `s` has exactly four writable f32; v128_store allows any alignment.
            unsafe { self.store_ptr(s.as_mut_ptr()) }
        }

        /// Loads four consecutive `f32` from `p`, any alignment.
        ///
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load_ptr(p: *const f32) -> Self {
            // SAFETY: the caller guarantees four readable f32 at `p`.
            Self(unsafe { v128_load(p.cast::<v128>()) })
        }

        /// Stores the lanes to `p..p+4`, any alignment.
        ///
        /// # Safety
        /// `p..p+4` must be writable.
        #[inline(always)]
        pub unsafe fn store_ptr(self, p: *mut f32) {
            // SAFETY: the caller guarantees four writable f32 at `p`.
            unsafe { v128_store(p.cast::<v128>(), self.0) }
        }

        /// Broadcasts the `f32` at `p` to all lanes (one `v128.load32_splat`).
        ///
        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn splat_ptr(p: *const f32) -> Self {
            // SAFETY: the caller guarantees one readable f32 at `p`.
            Self(unsafe { v128_load32_splat(p.cast::<u32>()) })
        }

        /// Lane-wise `self * a + b`. Baseline build: NOT fused (base SIMD128 has no FMA), the
        /// product is rounded before the add. Relaxed build: `f32x4.relaxed_madd`, fused where
        /// the CPU has FMA (see the module documentation).
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            {
                Self(f32x4_relaxed_madd(self.0, a.0, b.0))
            }
            #[cfg(not(target_feature = "relaxed-simd"))]
            {
                Self(f32x4_add(f32x4_mul(self.0, a.0), b.0))
            }
        }

        /// Lane-wise `if o < self { o } else { self }` (wasm `pmin`): a NaN in `self`
        /// propagates, a NaN in `o` is ignored.
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            Self(f32x4_pmin(self.0, o.0))
        }

        /// Lane-wise `if self < o { o } else { self }` (wasm `pmax`): a NaN in `self`
        /// propagates, a NaN in `o` is ignored.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            Self(f32x4_pmax(self.0, o.0))
        }

        /// Lane-wise absolute value (clears the sign bit).
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(f32x4_abs(self.0))
        }

        /// Lane-wise magnitude of `self` with the sign bit of `sign`.
        #[inline(always)]
        pub fn copysign(self, sign: Self) -> Self {
            Self(v128_bitselect(sign.0, self.0, u32x4_splat(0x8000_0000)))
        }

        /// Lane-wise rounding to the nearest integer, ties to even.
        #[inline(always)]
        pub fn round_ties_even(self) -> Self {
            Self(f32x4_nearest(self.0))
        }

        /// Lane-wise conversion to `i32`, truncating, saturating, NaN to 0 (Rust's `as`).
        #[inline(always)]
        pub fn to_i32_sat(self) -> I32x4 {
            I32x4(i32x4_trunc_sat_f32x4(self.0))
        }

        /// Sum of the lanes as `(l0 + l2) + (l1 + l3)`.
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let t = f32x4_add(self.0, i32x4_shuffle::<2, 3, 0, 1>(self.0, self.0));
            f32x4_extract_lane::<0>(t) + f32x4_extract_lane::<1>(t)
        }

        /// Transposes a 4 x 4 block given as four rows: lane `j` of output `i` is lane `i`
        /// of input `j`. (Four unpack-style shuffles and four 64-bit moves on x64.)
        #[inline(always)]
        pub fn transpose4(r: [Self; 4]) -> [Self; 4] {
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(r[0].0, r[1].0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(r[0].0, r[1].0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(r[2].0, r[3].0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(r[2].0, r[3].0);
            [
                Self(i32x4_shuffle::<0, 1, 4, 5>(t0, t2)),
                Self(i32x4_shuffle::<2, 3, 6, 7>(t0, t2)),
                Self(i32x4_shuffle::<0, 1, 4, 5>(t1, t3)),
                Self(i32x4_shuffle::<2, 3, 6, 7>(t1, t3)),
            ]
        }

        /// Lane-wise `self < o` (false if either is NaN).
        #[inline(always)]
        pub fn lt(self, o: Self) -> Mask4 {
            Mask4(f32x4_lt(self.0, o.0))
        }

        /// Lane-wise `self >= o` (false if either is NaN).
        #[inline(always)]
        pub fn ge(self, o: Self) -> Mask4 {
            Mask4(f32x4_ge(self.0, o.0))
        }
    }

    impl I32x4 {
        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: i32) -> Self {
            Self(i32x4_splat(x))
        }

        /// The same bits read as `f32` lanes.
        #[inline(always)]
        pub fn to_bits_f32(self) -> F32x4 {
            F32x4(self.0)
        }
    }

    impl Mask4 {
        /// Lane-wise `if mask { t } else { f }`.
        #[inline(always)]
        pub fn select(self, t: F32x4, f: F32x4) -> F32x4 {
            F32x4(v128_bitselect(t.0, f.0, self.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Four `f32` lanes; the scalar twin of the wasm `v128` type.
    #[derive(Debug, Clone, Copy)]
    pub struct F32x4([f32; 4]);

    /// Four `i32` lanes, for exponent manipulation.
    #[derive(Debug, Clone, Copy)]
    pub struct I32x4([i32; 4]);

    /// A lane mask from a comparison.
    #[derive(Debug, Clone, Copy)]
    pub struct Mask4([bool; 4]);

    #[inline(always)]
    fn map(a: [f32; 4], f: impl Fn(f32) -> f32) -> F32x4 {
        F32x4([f(a[0]), f(a[1]), f(a[2]), f(a[3])])
    }

    #[inline(always)]
    fn zip(a: [f32; 4], b: [f32; 4], f: impl Fn(f32, f32) -> f32) -> F32x4 {
        F32x4([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
    }

    #[inline(always)]
    fn zip_i(a: [i32; 4], b: [i32; 4], f: impl Fn(i32, i32) -> i32) -> I32x4 {
        I32x4([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
    }

    #[inline(always)]
    fn cmp(a: [f32; 4], b: [f32; 4], f: impl Fn(f32, f32) -> bool) -> Mask4 {
        Mask4([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
    }

    /// Implements a binary operator lane by lane with the scalar operation.
    macro_rules! lanewise {
        ($ty:ident, $tr:ident, $m:ident, $rhs:ty, $f:expr) => {
            impl core::ops::$tr<$rhs> for $ty {
                type Output = Self;
                #[inline(always)]
                fn $m(self, o: $rhs) -> Self {
                    $f(self, o)
                }
            }
        };
    }

    // IEEE single-precision, exactly rounded; integer ops wrap, `>>` is arithmetic.
    lanewise!(F32x4, Add, add, F32x4, |a: F32x4, b: F32x4| zip(
        a.0,
        b.0,
        |x, y| x + y
    ));
    lanewise!(F32x4, Sub, sub, F32x4, |a: F32x4, b: F32x4| zip(
        a.0,
        b.0,
        |x, y| x - y
    ));
    lanewise!(F32x4, Mul, mul, F32x4, |a: F32x4, b: F32x4| zip(
        a.0,
        b.0,
        |x, y| x * y
    ));
    lanewise!(F32x4, Div, div, F32x4, |a: F32x4, b: F32x4| zip(
        a.0,
        b.0,
        |x, y| x / y
    ));
    lanewise!(I32x4, Add, add, I32x4, |a: I32x4, b: I32x4| zip_i(
        a.0,
        b.0,
        i32::wrapping_add
    ));
    lanewise!(I32x4, Sub, sub, I32x4, |a: I32x4, b: I32x4| zip_i(
        a.0,
        b.0,
        i32::wrapping_sub
    ));
    lanewise!(I32x4, Shl, shl, u32, |a: I32x4, n: u32| I32x4(
        a.0.map(|x| x.wrapping_shl(n))
    ));
    lanewise!(I32x4, Shr, shr, u32, |a: I32x4, n: u32| I32x4(
        a.0.map(|x| x.wrapping_shr(n))
    ));

    impl core::ops::Neg for F32x4 {
        type Output = Self;
        /// Flips the sign bit.
        #[inline(always)]
        fn neg(self) -> Self {
            map(self.0, |x| -x)
        }
    }

    impl F32x4 {
        /// All lanes zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self([0.0; 4])
        }

        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            Self([x; 4])
        }

        /// Lanes from an array, lane 0 first.
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> Self {
            Self(a)
        }

        /// The lanes as an array, lane 0 first.
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }

        /// Loads the first four elements of `s` (panics if shorter: a caller bug).
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            Self([s[0], s[1], s[2], s[3]])
        }

        /// Stores the lanes into the first four elements of `s` (panics if shorter).
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            s[..4].copy_from_slice(&self.0);
        }

        /// Loads four consecutive `f32` from `p`, any alignment.
        ///
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load_ptr(p: *const f32) -> Self {
            // SAFETY: the caller guarantees four readable f32 at `p`; read_unaligned has no
            // alignment requirement.
            Self(unsafe { p.cast::<[f32; 4]>().read_unaligned() })
        }

        /// Stores the lanes to `p..p+4`, any alignment.
        ///
        /// # Safety
        /// `p..p+4` must be writable.
        #[inline(always)]
        pub unsafe fn store_ptr(self, p: *mut f32) {
            // SAFETY: the caller guarantees four writable f32 at `p`.
            unsafe { p.cast::<[f32; 4]>().write_unaligned(self.0) }
        }

        /// Broadcasts the `f32` at `p` to all lanes.
        ///
        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn splat_ptr(p: *const f32) -> Self {
            // SAFETY: the caller guarantees one readable f32 at `p`.
            Self([unsafe { p.read_unaligned() }; 4])
        }

        /// Lane-wise `self * a + b`, NOT fused: base SIMD128 has no FMA, so the product is
        /// rounded before the add, here as there.
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self * a + b
        }

        /// Lane-wise `if o < self { o } else { self }` (wasm `pmin`): a NaN in `self`
        /// propagates, a NaN in `o` is ignored.
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            zip(self.0, o.0, |a, b| if b < a { b } else { a })
        }

        /// Lane-wise `if self < o { o } else { self }` (wasm `pmax`): a NaN in `self`
        /// propagates, a NaN in `o` is ignored.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            zip(self.0, o.0, |a, b| if a < b { b } else { a })
        }

        /// Lane-wise absolute value (clears the sign bit).
        #[inline(always)]
        pub fn abs(self) -> Self {
            map(self.0, f32::abs)
        }

        /// Lane-wise magnitude of `self` with the sign bit of `sign`.
        #[inline(always)]
        pub fn copysign(self, sign: Self) -> Self {
            zip(self.0, sign.0, f32::copysign)
        }

        /// Lane-wise rounding to the nearest integer, ties to even.
        #[inline(always)]
        pub fn round_ties_even(self) -> Self {
            map(self.0, f32::round_ties_even)
        }

        /// Lane-wise conversion to `i32`, truncating, saturating, NaN to 0 (Rust's `as`).
        #[inline(always)]
        pub fn to_i32_sat(self) -> I32x4 {
            let a = self.0;
            I32x4([a[0] as i32, a[1] as i32, a[2] as i32, a[3] as i32])
        }

        /// Sum of the lanes as `(l0 + l2) + (l1 + l3)`.
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let a = self.0;
            (a[0] + a[2]) + (a[1] + a[3])
        }

        /// Transposes a 4 x 4 block given as four rows: lane `j` of output `i` is lane `i`
        /// of input `j`.
        #[inline(always)]
        pub fn transpose4(r: [Self; 4]) -> [Self; 4] {
            core::array::from_fn(|i| Self(core::array::from_fn(|j| r[j].0[i])))
        }

        /// Lane-wise `self < o` (false if either is NaN).
        #[inline(always)]
        pub fn lt(self, o: Self) -> Mask4 {
            cmp(self.0, o.0, |a, b| a < b)
        }

        /// Lane-wise `self >= o` (false if either is NaN).
        #[inline(always)]
        pub fn ge(self, o: Self) -> Mask4 {
            cmp(self.0, o.0, |a, b| a >= b)
        }
    }

    impl I32x4 {
        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: i32) -> Self {
            Self([x; 4])
        }

        /// The same bits read as `f32` lanes.
        #[inline(always)]
        pub fn to_bits_f32(self) -> F32x4 {
            let a = self.0;
            let f = |x: i32| f32::from_bits(x as u32);
            F32x4([f(a[0]), f(a[1]), f(a[2]), f(a[3])])
        }
    }

    impl Mask4 {
        /// Lane-wise `if mask { t } else { f }`.
        #[inline(always)]
        pub fn select(self, t: F32x4, f: F32x4) -> F32x4 {
            let (m, t, f) = (self.0, t.0, f.0);
            F32x4([
                if m[0] { t[0] } else { f[0] },
                if m[1] { t[1] } else { f[1] },
                if m[2] { t[2] } else { f[2] },
                if m[3] { t[3] } else { f[3] },
            ])
        }
    }
}
