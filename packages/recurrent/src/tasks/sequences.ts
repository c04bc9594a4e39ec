/**
 * Sequence classification and sequence tagging with a {@link Model}: batches of
 * variable-length sequences, padded and time-major with their lengths, and predictions.
 *
 * - Classification (one class per sequence, the notes' "many to one"): the last recurrent
 *   layer pools with `output: 'last'` (final state; for a bidirectional layer the reverse
 *   direction's state at step 0) or `output: 'mean'` (mean over valid steps), then `dense`
 *   and cross-entropy. Targets are `[B]`.
 * - Tagging (one label per step, "synchronous many to many"): `output: 'sequence'`, `dense`,
 *   cross-entropy on every valid step. Targets are `[T, B]`; padded steps are not counted.
 *
 * Inputs are token ids (models with `embedding` or `oneHot`) or features: a sequence of
 * length L with F features per step is a flat array of `L * F` numbers, step-major.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt } from '../validate/index.js';
import type { Model } from '../model/model.js';
import type { SequenceBatch } from '../model/model-types.js';

/** One example for sequence classification. */
export interface ClassificationExample {
  /** Token ids `[L]`, or features `[L * F]` step-major. */
  readonly input: ArrayLike<number>;
  /** Class id. */
  readonly label: number;
}

/** One example for sequence tagging. */
export interface TaggingExample {
  /** Token ids `[L]`, or features `[L * F]` step-major. */
  readonly input: ArrayLike<number>;
  /** One class id per step, `[L]`. */
  readonly tags: ArrayLike<number>;
}

/** Options of {@link classificationBatches} and {@link taggingBatches}. */
export interface TaskBatchOptions {
  /** Sequences per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Numbers per step of each input: `1` for token ids (default), F for features. */
  featureSize?: number;
  /** Shuffle the examples each epoch. Default `true`. */
  shuffle?: boolean;
  /** Seed of the shuffling; epoch e (from 1) is shuffled with a generator seeded from (seed, e). Default `0`. */
  seed?: number;
}

/** A padded, time-major batch of inputs. */
export interface PaddedInputs {
  /** `[T, B]` ids or `[T, B, F]` features; padding is 0. */
  x: Float64Array;
  /** T: the longest sequence. */
  seqLen: number;
  /** B. */
  batchSize: number;
  /** Each sequence's length in steps. */
  lengths: Uint32Array;
}

/**
 * Pads sequences (each `[L * F]`, step-major) to the longest and lays them out time-major:
 * `x[(t * B + b) * F + f]`. Every sequence needs at least one step.
 */
export function padSequences(inputs: readonly ArrayLike<number>[], featureSize = 1): PaddedInputs {
  const op = 'padSequences';
  const F = checkInt(op, 'featureSize', featureSize, 1);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InvalidArgumentError(`${op}: argument \`inputs\` expected a non-empty array of sequences, got ${String(inputs)}`);
  }
  const B = inputs.length;
  const lengths = new Uint32Array(B);
  inputs.forEach((s, b) => {
    const n = s?.length;
    if (typeof n !== 'number' || n === 0 || n % F !== 0) {
      throw new InvalidArgumentError(`${op}: sequence ${b} expected a non-empty array of L x ${F} numbers, got ${n === undefined ? String(s) : `${n} values`}`);
    }
    lengths[b] = n / F;
  });
  const T = Math.max(...lengths);
  const x = new Float64Array(T * B * F);
  inputs.forEach((s, b) => {
    for (let t = 0; t < lengths[b]!; t++) for (let f = 0; f < F; f++) x[(t * B + b) * F + f] = s[t * F + f]!;
  });
  return { x, seqLen: T, batchSize: B, lengths };
}

/** The examples of each batch of one epoch, shuffled or in order. */
function epochOrder(n: number, options: TaskBatchOptions, epoch: number, op: string): number[][] {
  const B = checkInt(op, 'batchSize', options.batchSize, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  if (options.shuffle ?? true) {
    const seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff);
    new Random(seed + epoch * 0x9e3779b1).shuffle(order);
  }
  const out: number[][] = [];
  for (let i = 0; i < n; i += B) out.push(order.slice(i, i + B));
  return out;
}

function checkExamples(op: string, examples: readonly unknown[]): void {
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new InvalidArgumentError(`${op}: argument \`examples\` expected a non-empty array, got ${String(examples)}`);
  }
}

/**
 * Batches for {@link fit} from classification examples: a function of the epoch (pass it as
 * `fit`'s data), each call giving that epoch's batches with targets `[B]`. Use a model whose
 * last recurrent layer has `output: 'last'` or `'mean'`, and `bptt: 'full'`.
 */
export function classificationBatches(examples: readonly ClassificationExample[], options: TaskBatchOptions): (epoch: number) => SequenceBatch[] {
  const op = 'classificationBatches';
  checkExamples(op, examples);
  const F = checkInt(op, 'featureSize', options.featureSize ?? 1, 1);
  examples.forEach((e, i) => checkInt(op, `examples[${i}].label`, e.label, 0));
  epochOrder(examples.length, options, 0, op); // validates the options now
  return (epoch) =>
    epochOrder(examples.length, options, epoch - 1, op).map((idx) => {
      const p = padSequences(idx.map((i) => examples[i]!.input), F);
      return { x: p.x, y: idx.map((i) => examples[i]!.label), seqLen: p.seqLen, batchSize: p.batchSize, lengths: p.lengths };
    });
}

/**
 * Batches for {@link fit} from tagging examples (one label per step): a function of the
 * epoch, each call giving that epoch's batches with targets `[T, B]` (0 where padded, not
 * counted). Use a model with `output: 'sequence'` (the default) and `bptt: 'full'`.
 */
export function taggingBatches(examples: readonly TaggingExample[], options: TaskBatchOptions): (epoch: number) => SequenceBatch[] {
  const op = 'taggingBatches';
  checkExamples(op, examples);
  const F = checkInt(op, 'featureSize', options.featureSize ?? 1, 1);
  examples.forEach((e, i) => {
    if (!e.tags || e.tags.length * F !== e.input?.length) {
      throw new InvalidArgumentError(`${op}: examples[${i}] expected one tag per step (${(e.input?.length ?? 0) / F}), got ${e.tags?.length ?? String(e.tags)}`);
    }
  });
  epochOrder(examples.length, options, 0, op);
  return (epoch) =>
    epochOrder(examples.length, options, epoch - 1, op).map((idx) => {
      const p = padSequences(idx.map((i) => examples[i]!.input), F);
      const y = new Int32Array(p.seqLen * p.batchSize);
      idx.forEach((i, b) => {
        const tags = examples[i]!.tags;
        for (let t = 0; t < tags.length; t++) y[t * p.batchSize + b] = tags[t]!;
      });
      return { x: p.x, y, seqLen: p.seqLen, batchSize: p.batchSize, lengths: p.lengths };
    });
}

/** Index of the largest of `n` values at `v[at..]` (first on ties). */
function argmax(v: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[at + j]! > v[at + best]!) best = j;
  return best;
}

/** Runs `model.predict` over `inputs` in chunks of `batchSize`, padded; gives each chunk's output. */
function predictChunks(
  model: Model,
  inputs: readonly ArrayLike<number>[],
  batchSize: number,
  each: (out: Float32Array, p: PaddedInputs, first: number) => void,
): void {
  const F = model.takesTokens ? 1 : model.featureSize;
  for (let i = 0; i < inputs.length; i += batchSize) {
    const p = padSequences(inputs.slice(i, i + batchSize), F);
    each(model.predict(p.x, { seqLen: p.seqLen, batchSize: p.batchSize, lengths: p.lengths }), p, i);
  }
}

/** The most likely class of each input sequence, for a pooled (`'last'` / `'mean'`) classifier. */
export function predictClasses(model: Model, inputs: readonly ArrayLike<number>[], options: { batchSize?: number } = {}): number[] {
  const op = 'predictClasses';
  if (model.output === 'sequence') throw new InvalidArgumentError(`${op}: expected a model whose last recurrent layer pools (output 'last' or 'mean'), got 'sequence'`);
  if (!Array.isArray(inputs)) throw new InvalidArgumentError(`${op}: argument \`inputs\` expected an array of sequences`);
  const chunk = checkInt(op, 'batchSize', options.batchSize ?? 256, 1);
  const O = model.outputSize;
  const out: number[] = [];
  predictChunks(model, inputs, chunk, (logits, p) => {
    for (let b = 0; b < p.batchSize; b++) out.push(argmax(logits, b * O, O));
  });
  return out;
}

/** The most likely tag at every step of each input sequence, for a tagger (`output: 'sequence'`). */
export function predictTags(model: Model, inputs: readonly ArrayLike<number>[], options: { batchSize?: number } = {}): number[][] {
  const op = 'predictTags';
  if (model.output !== 'sequence') throw new InvalidArgumentError(`${op}: expected a model with output 'sequence', got '${model.output}'`);
  if (!Array.isArray(inputs)) throw new InvalidArgumentError(`${op}: argument \`inputs\` expected an array of sequences`);
  const chunk = checkInt(op, 'batchSize', options.batchSize ?? 256, 1);
  const O = model.outputSize;
  const out: number[][] = [];
  predictChunks(model, inputs, chunk, (logits, p) => {
    for (let b = 0; b < p.batchSize; b++) {
      const tags: number[] = [];
      for (let t = 0; t < p.lengths[b]!; t++) tags.push(argmax(logits, (t * p.batchSize + b) * O, O));
      out.push(tags);
    }
  });
  return out;
}
