/**
 * Softmax cross-entropy with class weights and label smoothing (PyTorch's
 * `CrossEntropyLoss(weight, label_smoothing)`, reduction 'mean'), not fused: the dense layer's
 * logits, then the loss and dL/dlogits in float64 on views, then the dense layer's backward.
 * For row i with target t, sample weight s_i, log-probabilities l, class weights w (1
 * without), K classes and smoothing e, over the counted rows:
 *
 *   loss = Σ_i s_i [(1 - e) w_t (-l_t) + (e / K) Σ_k w_k (-l_k)] / Σ_i s_i w_t
 *   dL/dz_i = s_i [((1 - e) w_t + (e / K) Σ_k w_k) p_i - (1 - e) w_t onehot(t) - (e / K) w] / Σ_i s_i w_t
 */
import { InvalidArgumentError } from '../errors.js';
import type { DenseBlock } from './dense.js';
import { type Activation, activation, type Pass } from './layer.js';
import type { HeadResult, LossHead } from './heads.js';
import type { LossSpec } from './loss-spec.js';

export class SoftCrossEntropyHead implements LossHead {
  readonly kind = 'crossEntropy';
  readonly targets = 'classes';

  constructor(
    readonly dense: DenseBlock,
    /** The dense layer, and a softmax after it when there is one. */
    readonly fused: number,
    readonly spec: LossSpec,
    what: string,
  ) {
    const K = dense.outputSize;
    if (spec.classWeights && spec.classWeights.length !== K) {
      throw new InvalidArgumentError(`${what}: argument \`loss.classWeights\` expected ${K} weights (one per class), got ${spec.classWeights.length}`);
    }
  }

  loss(pass: Pass, x: Activation, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): HeadResult {
    const n = x.rows;
    const layer = this.dense.layer;
    const K = layer.units;
    const logits = pass.ws.get('logits', n * K);
    const dx = backward ? pass.ws.get('gfeatures', n * x.width) : undefined;
    layer.forward(n, x.data, logits);
    const w = this.spec.classWeights ?? new Float64Array(K).fill(1);
    const e = this.spec.labelSmoothing;
    const W = w.reduce((a, b) => a + b, 0);
    const z = logits.view();
    const lp = new Float64Array(K);
    let [num, den, rows, correct] = [0, 0, 0, 0];
    const counted = (i: number) => !x.perStep || pass.lengths.length === 0 || Math.floor(i / pass.batch) < pass.lengths[i % pass.batch]!;
    const keep: boolean[] = [];
    for (let i = 0; i < n; i++) {
      keep.push(counted(i));
      if (!keep[i]) continue;
      const o = i * K;
      const t = targets[i]!;
      let max = -Infinity;
      let best = 0;
      for (let k = 0; k < K; k++) if (z[o + k]! > max) [max, best] = [z[o + k]!, k];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[o + k]! - max);
      const lse = max + Math.log(sum);
      let smooth = 0;
      for (let k = 0; k < K; k++) {
        lp[k] = z[o + k]! - lse;
        smooth -= w[k]! * lp[k]!;
      }
      const s = weights ? weights[i]! : 1;
      num += s * ((1 - e) * w[t]! * -lp[t]! + (e / K) * smooth);
      den += s * w[t]!;
      rows++;
      if (best === t) correct++;
      if (backward) {
        // dlogits written over the logits of this row (each row is read before it is written).
        const a = (1 - e) * w[t]! + (e / K) * W;
        for (let k = 0; k < K; k++) z[o + k] = s * (a * Math.exp(lp[k]!) - (e / K) * w[k]!);
        z[o + t] = z[o + t]! - s * (1 - e) * w[t]!;
      }
    }
    if (backward) {
      const scale = den > 0 ? 1 / den : 0;
      for (let i = 0; i < n; i++) for (let k = i * K; k < (i + 1) * K; k++) z[k] = keep[i] ? z[k]! * scale : 0;
      layer.backward(n, x.data, logits, dx);
    }
    return { measured: { loss: den > 0 ? num / den : 0, count: rows, correct, weight: den }, grad: dx && activation(dx, n, x.width, x.perStep) };
  }
}
