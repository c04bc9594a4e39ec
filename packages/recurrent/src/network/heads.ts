/**
 * Loss heads: a loss over a network's output, separate from the network. A head may compute
 * the network's trailing layers itself (`fused`): cross-entropy fuses the output dense layer
 * with the softmax (one kernel, `dense_xent`, computes logits, loss, and both gradients), so
 * the network runs up to the features before it. Padded steps of a variable-length batch are
 * not counted.
 */
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError } from '../errors.js';
import type { ForestInput, TargetKind } from '../validate/index.js';
import type { TreeBatch } from '../trees/forest.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { ActivationLayer } from './activation.js';
import { DenseBlock } from './dense.js';
import { type Activation, activation, type NetworkInput, type Pass } from './layer.js';
import type { Network } from './network.js';
import type { LossKind, LossSpec } from './loss-spec.js';
import { SoftCrossEntropyHead } from './soft-xent.js';
import { rowWeights, valueLoss, type ValueLossKind } from './value-heads.js';

export { checkLoss, LOSS_KINDS, type Loss, type LossConfig, type LossKind, type LossSpec } from './loss-spec.js';

/** What a loss measured over a batch. */
export interface Measured {
  /** Mean loss over the counted positions. */
  loss: number;
  /** Counted positions (tokens or sequences). */
  count: number;
  /** Positions whose arg-max prediction was right (cross-entropy only). */
  correct: number;
  /**
   * With sample or class weights: the sum of weights the mean divides by, to combine batches
   * (Σ loss x weight / Σ weight); undefined when the mean is over `count`.
   */
  weight?: number | undefined;
}

/** A loss over the output of a network. */
export interface LossHead {
  readonly kind: LossKind;
  /** What the batch's targets must be. */
  readonly targets: TargetKind;
  /** Trailing layers of the network the head computes itself: run the network to `layers.length - fused`. */
  readonly fused: number;
  /**
   * The loss of `features` (the output of the network's unfused part) against `targets`;
   * with `backward`, also dL/dfeatures (and the fused layers' parameter gradients).
   */
  loss(pass: Pass, features: Activation, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): HeadResult;
}

/** What a head returns: the measures, and dL/d(its input) when asked for. */
export interface HeadResult {
  measured: Measured;
  grad: Activation | undefined;
}

/** `measured`, with `grad` (when computed) shaped like the head's input `like`. */
function result(measured: Measured, grad: Float32Buffer | undefined, like: Activation): HeadResult {
  return { measured, grad: grad && activation(grad, like.rows, like.width, like.perStep) };
}

/** The head of the checked loss `spec` for `network`; throws when the network cannot have it (`what` names the caller). */
export function lossHead(what: string, spec: LossSpec, network: Network): LossHead {
  const kind = spec.kind;
  const layers = network.layers;
  // A trailing softmax (cross-entropy) or sigmoid (binary cross-entropy) shapes inference
  // only: these losses compute from the logits before it.
  const squash = (k: string): number => {
    const last = layers.at(-1);
    return last instanceof ActivationLayer && last.kind === k ? 1 : 0;
  };
  if (kind === 'crossEntropy') {
    const skip = squash('softmax');
    const dense = layers.at(-1 - skip);
    if (!(dense instanceof DenseBlock)) throw new InvalidArgumentError(`${what}: cross-entropy needs a dense output layer`);
    if (spec.classWeights || spec.labelSmoothing > 0) return new SoftCrossEntropyHead(dense, 1 + skip, spec, what);
    return new CrossEntropyHead(dense, 1 + skip);
  }
  if (kind === 'mse') return new MseHead(network.engine);
  return new ValueHead(network.engine, kind, kind === 'binaryCrossEntropy' ? squash('sigmoid') : 0, spec.delta);
}

/** Softmax cross-entropy on class ids, fused with the output dense layer. */
class CrossEntropyHead implements LossHead {
  readonly kind = 'crossEntropy';
  readonly targets = 'classes';

  constructor(
    readonly dense: DenseBlock,
    /** The dense layer, and a softmax after it when there is one. */
    readonly fused: number,
  ) {}

  loss(pass: Pass, features: Activation, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): HeadResult {
    const n = features.rows;
    const dense = this.dense.layer;
    const scratch = pass.ws.get('logits', n * dense.units);
    const grad = backward ? pass.ws.get('gfeatures', n * features.width) : undefined;
    const s = dense.xent(n, features.data, targets as Uint32Array, scratch, grad, rowWeights(pass, features, weights), undefined, backward);
    return result({ loss: s.loss, count: s.rows, correct: s.correct, weight: weights ? s.weightSum : undefined }, grad, features);
  }
}

/** Mean squared error on float targets shaped like the output; a padded row counts as zero error. */
class MseHead implements LossHead {
  readonly kind = 'mse';
  readonly targets = 'values';
  readonly fused = 0;

  constructor(readonly engine: Engine) {}

  loss(pass: Pass, out: Activation, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): HeadResult {
    if (weights) {
      // Weighted: the element-wise path (the kernel has no weights).
      const grad = backward ? pass.ws.get('dout', out.rows * out.width) : undefined;
      const r = valueLoss(this.engine, 'mse', pass, out, targets as Float32Array, grad, 1, weights);
      return { measured: { loss: r.loss, count: r.rows, correct: 0, weight: r.weight }, grad: r.grad };
    }
    const n = out.rows;
    const len = n * out.width;
    const target = pass.ws.get('target', len);
    const t = target.view();
    t.set(targets);
    const mask = rowWeights(pass, out, undefined);
    if (mask) {
      // A padded row's target is its own output: it adds nothing to the loss or the gradient.
      const w = mask.view();
      const o = out.data.view();
      for (let i = 0; i < n; i++) if (!w[i]) t.set(o.subarray(i * out.width, (i + 1) * out.width), i * out.width);
    }
    const dOut = backward ? pass.ws.get('dout', len) : undefined;
    const value = this.engine.call((w) => w.mse(len, out.data.liveHandle(), target.liveHandle(), dOut?.liveHandle() ?? 0, false));
    return result({ loss: value, count: n, correct: 0 }, dOut, out);
  }
}

/** An element-wise loss on float targets (see `value-heads.ts`). */
class ValueHead implements LossHead {
  readonly targets = 'values';

  constructor(
    readonly engine: Engine,
    readonly kind: ValueLossKind,
    /** 1 when binary cross-entropy skips a trailing sigmoid. */
    readonly fused: number,
    /** Huber's threshold. */
    readonly delta: number,
  ) {}

  loss(pass: Pass, out: Activation, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): HeadResult {
    const grad = backward ? pass.ws.get('dout', out.rows * out.width) : undefined;
    const r = valueLoss(this.engine, this.kind, pass, out, targets as Float32Array, grad, this.delta, weights);
    return { measured: { loss: r.loss, count: r.rows, correct: 0, weight: r.weight }, grad: r.grad };
  }
}

/** The network input of a checked batch. */
export function inputOf(batch: { readonly ids: Uint32Array | undefined; readonly x: Float32Array | undefined; readonly forest?: ForestInput | undefined }): NetworkInput {
  // A batch's forest is made only by its network's tree entry (the shape's `layoutTrees`): a TreeBatch.
  if (batch.forest) return { forest: batch.forest as TreeBatch };
  return batch.ids ? { ids: batch.ids, x: undefined } : { ids: undefined, x: batch.x! };
}

/**
 * Forward to `head`, the loss, and (with `backward`) BPTT back to the entry: parameter
 * gradients accumulate (zero them first). The data path of every training step.
 */
export function runLoss(network: Network, head: LossHead, pass: Pass, input: NetworkInput, targets: Uint32Array | Float32Array, backward: boolean, weights?: Float32Array): Measured {
  const trace = network.forward(pass, input, network.layers.length - head.fused);
  const { measured, grad } = head.loss(pass, trace.output, targets, backward, weights);
  if (grad) network.backward(pass, trace, grad);
  return measured;
}
