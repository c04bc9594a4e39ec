/**
 * Element-wise losses on float targets shaped like the network's output: binary
 * cross-entropy on logits (multi-label), mean absolute error and Huber (PyTorch's
 * `BCEWithLogitsLoss`, `L1Loss`, `HuberLoss` (its `delta` an option, default 1), `reduction:
 * 'mean'`), and squared error with sample weights. Each is the mean over the counted
 * elements: the rows of padded steps are left out of both the loss and the count, so a padded
 * batch gives what PyTorch gives on its valid steps.
 *
 * The core computes them (`train::value_loss`): one call per batch for the loss and its
 * gradient, each element in float64 and rounded once, the same on every build.
 */
import type { Engine } from '../engine/engine.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { type Activation, activation, type Pass } from './layer.js';

/** The element-wise losses of this module. */
export type ValueLossKind = 'binaryCrossEntropy' | 'mae' | 'huber' | 'mse';

/** The kernel's code of each loss (`crates/recurrent-wasm/src/elementwise.rs`). */
const CODE: Readonly<Record<ValueLossKind, number>> = { binaryCrossEntropy: 0, mae: 1, huber: 2, mse: 3 };

/**
 * Row weights in a workspace buffer: the sample weight (1 without) of counted rows, 0 for the
 * padded steps of a per-step batch with `lengths`; undefined when every row counts as 1.
 */
export function rowWeights(pass: Pass, features: Activation, weights: Float32Array | undefined): Float32Buffer | undefined {
  const padded = features.perStep && pass.lengths.length > 0;
  if (!padded && !weights) return undefined;
  const buf = pass.ws.get('weights', features.rows);
  const v = buf.view();
  const B = pass.batch;
  for (let i = 0; i < features.rows; i++) {
    const counted = !padded || Math.floor(i / B) < pass.lengths[i % B]!;
    v[i] = counted ? (weights ? weights[i]! : 1) : 0;
  }
  return buf;
}

/** Rows of `out` within their sequence's length (all of them after pooling or without lengths). */
function countedRows(pass: Pass, out: Activation): number {
  if (!out.perStep || pass.lengths.length === 0) return out.rows;
  let n = 0;
  for (let b = 0; b < pass.batch; b++) n += Math.min(pass.lengths[b]!, out.rows / pass.batch);
  return n;
}

/**
 * The mean loss of `kind` of `out` against `targets` (`out.rows * out.width` values), the
 * counted rows, and with `grad` (a buffer of at least that many floats) dL/d(out) written there.
 * With `weights` (one per row), the weighted mean Σ w l / (Σ w · width) over the counted rows.
 */
export function valueLoss(
  engine: Engine,
  kind: ValueLossKind,
  pass: Pass,
  out: Activation,
  targets: Float32Array,
  grad: Float32Buffer | undefined,
  delta = 1,
  weights?: Float32Array,
): { loss: number; rows: number; weight: number | undefined; grad: Activation | undefined } {
  const len = out.rows * out.width;
  const rw = rowWeights(pass, out, weights);
  const target = pass.ws.get('target', len);
  target.view().set(targets.subarray(0, len));
  const r = engine.call((w) => w.value_loss(CODE[kind], out.rows, out.width, out.data.liveHandle(), target.liveHandle(), rw?.liveHandle() ?? 0, grad?.liveHandle() ?? 0, delta));
  return { loss: r[0]!, rows: countedRows(pass, out), weight: weights ? r[1]! : undefined, grad: grad && activation(grad, out.rows, out.width, out.perStep) };
}
