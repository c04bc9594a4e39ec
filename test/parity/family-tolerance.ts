/**
 * The families fixtures' elementwise check (../shared/fixtures/families/README.md,
 * "Tolerances"): |a - e| <= atol * M + rtol * |e| with M = max |e| of the tensor and no floor
 * at 1 (their losses are means, so gradients are small); a tensor that is all zeros must come
 * out exactly zero.
 */
import type { Comparison, Tier } from './tolerance.js';

export function compareFamily(name: string, actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, tier: Tier): Comparison {
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
    const err = Math.abs(actual[i]! - e);
    const allowed = tier.atol * m + tier.rtol * Math.abs(e);
    const u = Number.isNaN(err) ? Infinity : err === 0 ? 0 : allowed === 0 ? Infinity : err / allowed;
    if (u > usage) usage = u;
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Infinity : err;
  }
  return { name, usage, maxAbs };
}
