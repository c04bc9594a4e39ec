/**
 * A whole dataset's loss and metrics (not one batch's): the loss averaged over every counted
 * position, and the metrics that apply to the loss, computed over all of them at once (F1
 * from the whole confusion counts, not a mean of batch F1s). A metric that does not apply is
 * left out, never reported as NaN or 0.
 */
import { checkLoss, type Loss } from '../network/heads.js';
import { type ArrayDataset, type ExampleShape, type Examples, exampleBatches, toExamples } from './dataset.js';
import type { Model } from './model.js';
import type { Tree } from '../trees/tree.js';
import { checkInt, checkKnownKeys, checkObject, type SequenceBatch } from '../validate/index.js';

/** What {@link evaluate} measured. */
export interface Evaluation {
  /** Mean loss over the counted positions (steps, or sequences for a pooled output). */
  loss: number;
  /** Counted positions. */
  count: number;
  /** Cross-entropy: arg-max right; binary cross-entropy: each label right at the 0.5 threshold. */
  accuracy?: number;
  /** Cross-entropy over more than `topK` classes: the target among the `topK` highest scores. */
  topKAccuracy?: number;
  /** Cross-entropy: exp(loss). */
  perplexity?: number;
  /** Cross-entropy and binary cross-entropy: the mean over classes (labels) of F1. */
  f1Macro?: number;
  /** Float targets (mse, mae, huber): mean absolute error. */
  mae?: number;
  /** Float targets: root mean squared error. */
  rmse?: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Default `'crossEntropy'`. */
  /** A loss name or `{ kind, ...options }`. Default `'crossEntropy'`. */
  loss?: Loss;
  /** Examples per batch. Default `32`. */
  batchSize?: number;
  /** `x` and `y` are `[steps, examples, ...]` instead of `[examples, steps, ...]`. Default `false`. */
  timeMajor?: boolean;
  /** The k of `topKAccuracy`. Default `5`. */
  topK?: number;
}

/** How `model` reads and writes a dataset's examples for `loss`. */
export function exampleShape(model: Model, loss: Loss): ExampleShape {
  return {
    inputWidth: model.takesTokens ? 1 : model.network.featureSize,
    targetWidth: checkLoss('fit', loss).kind === 'crossEntropy' ? 1 : model.outputSize,
    pooled: model.output !== 'sequence',
    trees: model.takesTrees,
  };
}

/** Whether `model` ends in a sigmoid (its outputs are probabilities, not logits). */
function endsInSigmoid(model: Model): boolean {
  const last = model.configs.at(-1);
  return last?.type === 'dense' && last.activation === 'sigmoid';
}

/** The loss and metrics of `model` over a whole dataset. */
export function evaluate(model: Model, data: ArrayDataset, options: EvaluateOptions = {}): Evaluation {
  const op = 'evaluate';
  checkObject(op, 'options', options, 'an options object');
  checkKnownKeys(op, options, ['loss', 'batchSize', 'timeMajor', 'topK'], { batch_size: '`batchSize`' });
  const loss = options.loss ?? 'crossEntropy';
  const shape = exampleShape(model, loss);
  const batchSize = checkInt(op, 'batchSize', options.batchSize ?? 32, 1);
  const topK = checkInt(op, 'topK', options.topK ?? 5, 1);
  return evaluateExamples(model, toExamples(op, data, shape, options.timeMajor ?? false), shape, loss, batchSize, topK);
}

/** {@link evaluate} on examples already split (`fit`'s validation data). */
export function evaluateExamples(model: Model, e: Examples, shape: ExampleShape, loss: Loss, batchSize: number, topK = 5): Evaluation {
  const O = model.outputSize;
  const kind = checkLoss('evaluate', loss).kind;
  const classes = kind === 'crossEntropy';
  const labels = kind === 'binaryCrossEntropy';
  const threshold = endsInSigmoid(model) ? 0.5 : 0;
  let [sum, weightSum, count, right, topk, judged, absErr, sqErr, values] = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const tp = new Float64Array(O);
  const fp = new Float64Array(O);
  const fn = new Float64Array(O);
  for (const batch of exampleBatches(e, shape, batchSize)) {
    const m = model.evaluate(batch, loss);
    sum += m.loss * (m.weight ?? m.count);
    weightSum += m.weight ?? m.count;
    count += m.count;
    const trees = shape.trees ? batch.x : undefined;
    const seq = batch as SequenceBatch;
    const p = trees ? model.predict(trees as readonly Tree[]) : model.predict(seq.x, { seqLen: seq.seqLen, batchSize: seq.batchSize, ...(seq.lengths ? { lengths: seq.lengths } : {}) });
    const B = trees ? trees.length : seq.batchSize;
    const rows = shape.pooled ? B : seq.seqLen * B;
    for (let r = 0; r < rows; r++) {
      if (!shape.pooled && seq.lengths && Math.floor(r / B) >= seq.lengths[r % B]!) continue;
      const out = p.subarray(r * O, (r + 1) * O);
      if (classes) {
        const target = batch.y[r]!;
        let best = 0;
        let above = 0;
        for (let k = 0; k < O; k++) {
          if (out[k]! > out[best]!) best = k;
          if (out[k]! > out[target]!) above++;
        }
        judged++;
        if (best === target) {
          right++;
          tp[target]!++;
        } else {
          fp[best]!++;
          fn[target]!++;
        }
        if (above < topK) topk++;
      } else {
        for (let k = 0; k < O; k++) {
          const target = batch.y[r * O + k]!;
          if (labels) {
            const predicted = out[k]! > threshold ? 1 : 0;
            const actual = target >= 0.5 ? 1 : 0;
            judged++;
            if (predicted === actual) right++;
            if (predicted && actual) tp[k]!++;
            else if (predicted) fp[k]!++;
            else if (actual) fn[k]!++;
          } else {
            const d = out[k]! - target;
            absErr += Math.abs(d);
            sqErr += d * d;
            values++;
          }
        }
      }
    }
  }
  const result: Evaluation = { loss: weightSum > 0 ? sum / weightSum : 0, count };
  if (classes || labels) {
    result.accuracy = right / judged;
    // Classes (labels) that occur in the targets or the predictions; F1 = 2tp / (2tp + fp + fn).
    let f1 = 0;
    let seen = 0;
    for (let k = 0; k < O; k++) {
      if (tp[k]! + fp[k]! + fn[k]! === 0) continue;
      f1 += (2 * tp[k]!) / (2 * tp[k]! + fp[k]! + fn[k]!);
      seen++;
    }
    if (seen > 0) result.f1Macro = f1 / seen;
  }
  if (classes) {
    result.perplexity = Math.exp(result.loss);
    if (O > topK) result.topKAccuracy = topk / judged;
  }
  if (values > 0) {
    result.mae = absErr / values;
    result.rmse = Math.sqrt(sqErr / values);
  }
  return result;
}
