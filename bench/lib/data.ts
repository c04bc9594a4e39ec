/** Deterministic inputs (the same in every child process) and small result digests. */

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` floats uniform in [-1, 1), from `seed`. */
export function uniform(length: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = next() * 2 - 1;
  return out;
}

/** [sum, sum of |x|], in float64: enough to tell a wrong product from rounding noise. */
export function digest(values: ArrayLike<number>): number[] {
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    sum += v;
    abs += Math.abs(v);
  }
  return [sum, abs];
}

/** Whether two digests agree to `tol` relative to the reference's sum of |x|. */
export function digestsAgree(a: readonly number[], ref: readonly number[], tol = 1e-4): boolean {
  const [sa = NaN, aa = NaN] = a;
  const [sr = NaN, ar = NaN] = ref;
  const scale = Math.max(ar, 1e-30);
  return Math.abs(sa - sr) / scale <= tol && Math.abs(aa - ar) / scale <= tol;
}
