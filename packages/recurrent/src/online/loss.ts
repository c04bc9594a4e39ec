/**
 * Per-step losses on the linear readout o_t = W_out h_t + b_out, each giving its value and
 * dL_t/do_t in one pass.
 *
 * - `'mse'`: mean squared error over the O outputs, L_t = (1/O) Σ_i (o_i - y_i)^2 (PyTorch's
 *   `mse_loss` with `reduction: 'mean'` on one step); the target is O numbers.
 * - `'cross-entropy'`: softmax cross-entropy, L_t = logsumexp(o) - o_y (PyTorch's
 *   `cross_entropy` on one step's logits); the target is a class index in [0, O).
 */

/** Which per-step loss. */
export type RtrlLoss = 'mse' | 'cross-entropy';

export const RTRL_LOSSES: readonly RtrlLoss[] = ['mse', 'cross-entropy'];

/** L_t for squared error against `target` (O values); writes dL_t/do_t into `gradOut`. */
export function mseLoss(output: Float64Array, target: Float64Array, gradOut: Float64Array): number {
  const n = output.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const diff = output[i]! - target[i]!;
    sum += diff * diff;
    gradOut[i] = (2 * diff) / n;
  }
  return sum / n;
}

/** L_t for softmax cross-entropy of logits `output` against class `target`; writes dL_t/do_t. */
export function crossEntropyLoss(output: Float64Array, target: number, gradOut: Float64Array): number {
  const n = output.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (output[i]! > max) max = output[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(output[i]! - max);
    gradOut[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) gradOut[i] = gradOut[i]! / sum;
  gradOut[target] = gradOut[target]! - 1;
  return max + Math.log(sum) - output[target]!;
}
