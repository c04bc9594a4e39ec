/**
 * Element-wise losses on float targets shaped like the network's output: binary
 * cross-entropy on logits (multi-label), mean absolute error and Huber (PyTorch's
 * `BCEWithLogitsLoss`, `L1Loss`, `HuberLoss` (its `delta` an option, default 1), `reduction: 'mean'`). Each is the
 * mean over the counted elements: the rows of padded steps are left out of both the loss and
 * the count, so a padded batch gives what PyTorch gives on its valid steps.
 *
 * The arithmetic is a few operations per output element, done in float64 on views of the
 * wasm buffers (no GEMM, no reduction across threads), so it is the same on every build.
 */
import type { Float32Buffer } from '../tensor/buffer.js';
import { type Activation, activation, type Pass } from './layer.js';

/** The element-wise losses of this module. */
export type ValueLossKind = 'binaryCrossEntropy' | 'mae' | 'huber' | 'mse';

/** Loss and dL/d(prediction) of one element (`delta`: Huber's threshold). */
type Pointwise = (pred: number, target: number, delta: number) => readonly [loss: number, grad: number];

const POINTWISE: Readonly<Record<ValueLossKind, Pointwise>> = {
  // max(x, 0) - x y + log(1 + e^-|x|): never overflows (PyTorch's form); dL/dx = sigmoid(x) - y.
  binaryCrossEntropy: (x, y) => [Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x))), 1 / (1 + Math.exp(-x)) - y],
  mae: (x, y) => [Math.abs(x - y), Math.sign(x - y)],
  mse: (x, y) => [(x - y) ** 2, 2 * (x - y)],
  huber: (x, y, delta) => {
    const d = x - y;
    return Math.abs(d) <= delta ? [0.5 * d * d, d] : [delta * (Math.abs(d) - 0.5 * delta), delta * Math.sign(d)];
  },
};

/** Whether row `i` of `out` is counted (a per-step row within its sequence's length). */
function counted(pass: Pass, out: Activation, i: number): boolean {
  if (!out.perStep || pass.lengths.length === 0) return true;
  const b = i % pass.batch;
  return Math.floor(i / pass.batch) < pass.lengths[b]!;
}

/**
 * The mean loss of `kind` of `out` against `targets` (`out.rows * out.width` values), the
 * counted rows, and with `grad` (a buffer of at least that many floats) dL/d(out) written there.
 * With `weights` (one per row), the weighted mean Σ w l / (Σ w · width) over the counted rows.
 */
export function valueLoss(kind: ValueLossKind, pass: Pass, out: Activation, targets: Float32Array, grad: Float32Buffer | undefined, delta = 1, weights?: Float32Array): { loss: number; rows: number; weight: number | undefined; grad: Activation | undefined } {
  const f = POINTWISE[kind];
  const w = out.width;
  const rowWeight = new Float64Array(out.rows);
  let n = 0;
  let total = 0;
  for (let i = 0; i < out.rows; i++) {
    if (!counted(pass, out, i)) continue;
    rowWeight[i] = weights ? weights[i]! : 1;
    total += rowWeight[i]!;
    n++;
  }
  // Views last: taking them after every allocation keeps them attached to the current memory.
  const o = out.data.view();
  const g = grad?.view();
  const scale = total === 0 ? 0 : 1 / (total * w);
  let sum = 0;
  for (let i = 0; i < out.rows; i++) {
    const rw = rowWeight[i]!;
    for (let j = i * w; j < (i + 1) * w; j++) {
      if (rw === 0) {
        if (g) g[j] = 0;
        continue;
      }
      const [l, d] = f(o[j]!, targets[j]!, delta);
      sum += rw * l;
      if (g) g[j] = rw * d * scale;
    }
  }
  return { loss: sum * scale, rows: n, weight: weights ? total : undefined, grad: grad && activation(grad, out.rows, w, out.perStep) };
}
