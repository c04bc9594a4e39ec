/**
 * Seeded initialisation with PyTorch's defaults: recurrent parameters and dense layers
 * U(-1/sqrt(fan), 1/sqrt(fan)) (fan = hidden size for RNNs, input size for `nn.Linear`),
 * embeddings N(0, 1). The same seed gives the same parameters on any thread count.
 */
import type { Random } from '../data/random.js';

/** Fills `out` with U(-bound, bound). */
export function uniform(out: Float32Array, bound: number, rng: Random): void {
  for (let i = 0; i < out.length; i++) out[i] = (rng.nextFloat() * 2 - 1) * bound;
}

/** Fills `out` with N(0, std^2) by Box-Muller. */
export function normal(out: Float32Array, std: number, rng: Random): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = Math.max(rng.nextFloat(), 1e-12);
    const u2 = rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}
