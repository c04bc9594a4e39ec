/**
 * The fixture README's elementwise check: |a - e| <= atol * max(1, M) + rtol * |e|, with M
 * the largest |e| of the tensor. `usage` is the worst ratio of error to allowance (pass <= 1).
 */
export interface Tier {
  atol: number;
  rtol: number;
}

export const FORWARD: Tier = { atol: 1e-4, rtol: 1e-3 };
export const GRADIENT: Tier = { atol: 1e-3, rtol: 1e-2 };

export interface Comparison {
  name: string;
  usage: number;
  maxAbs: number;
  problem?: string;
}

/**
 * `scale: 'max1'` (the parity fixtures) allows `atol * max(1, M)`; `'M'` (the families
 * fixtures) allows `atol * M`, so a tensor whose expected values are all 0 must be exactly 0.
 */
export function compare(name: string, actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, tier: Tier, scale: 'max1' | 'M' = 'max1'): Comparison {
  if (actual === undefined) return { name, usage: Infinity, maxAbs: Infinity, problem: 'missing' };
  if (actual.length !== expected.length) {
    return { name, usage: Infinity, maxAbs: Infinity, problem: `length ${actual.length}, expected ${expected.length}` };
  }
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]!));
  let usage = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    const err = Math.abs(a - e);
    const allowed = tier.atol * (scale === 'M' ? m : Math.max(1, m)) + tier.rtol * Math.abs(e);
    const u = Number.isNaN(err) ? Infinity : err === 0 ? 0 : err / allowed;
    if (u > usage) usage = u;
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Infinity : err;
  }
  return { name, usage, maxAbs };
}

/** A scalar with a relative tolerance. */
export function compareScalar(name: string, actual: number, expected: number, rel: number, abs = 0): Comparison {
  const err = Math.abs(actual - expected);
  const allowed = Math.max(abs, rel * Math.abs(expected));
  return { name, usage: Number.isNaN(err) ? Infinity : err / allowed, maxAbs: err };
}
