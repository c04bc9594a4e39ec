/**
 * Conversions between float32 and the narrow float formats safetensors files hold: IEEE
 * half (F16), bfloat16 (BF16), and the two 8-bit formats F8_E5M2 and F8_E4M3 (the "FN"
 * variant: no infinities, NaN = S.1111.111, max 448). Widening to float32 is exact (NaN
 * payloads kept for F16/BF16); narrowing rounds to nearest, ties to even, overflowing to
 * infinity.
 */

/** float32 bits of the half-precision value with bits `h` (exact, NaN payload kept). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: normalise into a float32 normal.
  let e = 113; // the float32 biased exponent of 2^-14, where half subnormals live
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** Half-precision bits of the float32 with bits `u`, rounded to nearest even. */
export function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // half biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal (or zero): value = m * 2^(exp - 150) with m the 24-bit significand,
    // in units of 2^-24 that is m >> (14 - e).
    if (e < -10) return sign; // below half of the smallest subnormal: rounds to 0
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half; // a carry into 0x400 is the smallest normal, correctly encoded
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++; // may carry up to 0x7c00 = inf
  return sign | half;
}

/** float32 bits of the bfloat16 with bits `b` (exact). */
export function bf16BitsToF32Bits(b: number): number {
  return (b << 16) >>> 0;
}

/** bfloat16 bits of the float32 with bits `u`, rounded to nearest even (NaN stays NaN). */
export function f32BitsToBf16Bits(u: number): number {
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 value of the F8_E5M2 byte `b` (the top byte of a half). */
export function f8e5m2ToF32Bits(b: number): number {
  return f16BitsToF32Bits((b & 0xff) << 8);
}

let e4m3Table: Float32Array | undefined;

/** The 256 float32 values of F8_E4M3 (FN) bytes. */
export function f8e4m3Table(): Float32Array {
  if (e4m3Table === undefined) {
    const table = new Float32Array(256);
    for (let b = 0; b < 256; b++) {
      const sign = b & 0x80 ? -1 : 1;
      const exp = (b >>> 3) & 0xf;
      const mant = b & 0x7;
      if (exp === 0xf && mant === 0x7) table[b] = NaN;
      else if (exp === 0) table[b] = sign * mant * 2 ** -9; // (mant / 8) * 2^-6
      else table[b] = sign * (1 + mant / 8) * 2 ** (exp - 7);
    }
    e4m3Table = table;
  }
  return e4m3Table;
}
