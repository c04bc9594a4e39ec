/**
 * The batch rules: one training or evaluation batch, time-major, checked against the shape of
 * the network that will read it, and converted once into what the kernels take. A batch
 * that passed is a {@link CheckedBatch}; `trainStep`, `fit` and the evaluation paths take
 * one without checking it again, so every batch is checked once per step.
 */
import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { checkFinite, checkLengths, checkTokenIds } from './arrays.js';
import { MAX_BATCH_FLOATS } from './limits.js';
import { checkInt, checkObject, describe } from './values.js';

/** One training or evaluation batch, time-major. */
export interface SequenceBatch {
  /** Token ids `[T, B]` (models with an input layer) or features `[T, B, F]`. */
  x: ArrayLike<number>;
  /**
   * Targets: class ids `[T, B]` per step (cross-entropy, sequence output) or `[B]` per
   * sequence (pooled output); or float targets shaped like the model's output (MSE).
   */
  y: ArrayLike<number>;
  /** T. */
  seqLen: number;
  /** B. */
  batchSize: number;
  /** Valid steps of each sequence (B integers in [1, T]). Default: all T. */
  lengths?: ArrayLike<number>;
  /**
   * Sample weights, finite and >= 0: one per output row (`[T, B]` per step, `[B]` for a pooled
   * output), or `[B]`, one per sequence, for every step of it. The loss is then the weighted
   * mean Σ w l / Σ w (as PyTorch's class-weighted losses; Keras divides by the count instead).
   * Default: all 1.
   */
  weights?: ArrayLike<number>;
}

/**
 * A batch for a model whose first layer is a tree encoder: the trees (`Tree` objects), one
 * per example, and one target row per tree. `seqLen` is 1 and `batchSize` the number of
 * trees (both may be left out).
 */
export interface TreesBatch {
  /** The trees, `{ word?, label?, children }` (see `parseTrees`). */
  x: readonly object[];
  /** Per tree a class id (cross-entropy) or the output's values (`[trees, O]`). */
  y: ArrayLike<number>;
  seqLen?: 1;
  batchSize?: number;
  /** One sample weight per tree. Default: all 1. */
  weights?: ArrayLike<number>;
}

/** A batch's trees laid out as one forest by the network's tree encoder (what it is, only that layer knows). */
export interface ForestInput {
  readonly nodes: number;
}

/** What the targets of a batch are: class ids, or float values shaped like the output. */
export type TargetKind = 'classes' | 'values';

/** What a network reads and writes per position, as the batch rules need it. */
export interface BatchShape {
  /** Token ids in [0, tokens) per position; `undefined` when positions are `featureSize` floats. */
  readonly tokens: number | undefined;
  /** Floats per position when there are no token ids. */
  readonly featureSize: number;
  /** Outputs per position (classes, for class targets). */
  readonly outputSize: number;
  /** One output per sequence (pooled) instead of one per step. */
  readonly pooled: boolean;
  /** Floats of working memory a training batch needs per (step, sequence) position, roughly. */
  readonly floatsPerPosition: number;
  /**
   * For a network whose entry is a tree encoder: lays a batch's trees out as its forest,
   * checking them (throws a typed error naming the tree). Undefined otherwise.
   */
  readonly layoutTrees?: ((what: string, trees: readonly unknown[]) => ForestInput) | undefined;
}

/** A batch that passed the rules, in the kernels' types. Made only by {@link checkBatch}. */
export interface CheckedBatch {
  /** T. */
  readonly seqLen: number;
  /** B. */
  readonly batchSize: number;
  /** T x B. */
  readonly rows: number;
  /** B valid lengths, or empty when all are T. */
  readonly lengths: Uint32Array;
  /** Token ids `[T*B]` (token inputs). */
  readonly ids: Uint32Array | undefined;
  /** Features `[T*B, F]` (float inputs). */
  readonly x: Float32Array | undefined;
  /** The trees laid out by the shape's `layoutTrees` (tree inputs; T is 1, B the number of trees). */
  readonly forest: ForestInput | undefined;
  /** What the targets are, or undefined when the batch was checked for its inputs only. */
  readonly targetKind: TargetKind | undefined;
  /** Per output row, its sample weight; undefined when all are 1. */
  readonly weights: Float32Array | undefined;
  /** Class ids (0 where a padded step is not counted) or float values. */
  readonly targets: Uint32Array | Float32Array | undefined;
  /** The shape it was checked against. */
  readonly shape: BatchShape;
}

/** The one maker of checked batches: an object is one only if this class made it (a private brand, no registry). */
class Checked {
  readonly #brand = true;

  constructor(b: CheckedBatch) {
    Object.assign(this, b);
    Object.freeze(this);
  }

  static is(value: unknown): value is Checked {
    return typeof value === 'object' && value !== null && #brand in value && value.#brand;
  }
}
// Its fields are those of the interface, copied in by the constructor.
interface Checked extends CheckedBatch {}

/** Whether `value` is a batch {@link checkBatch} made for `shape` (nothing else passes). */
export function isCheckedBatch(value: unknown, shape: BatchShape): value is CheckedBatch {
  return Checked.is(value) && value.shape === shape;
}

function seal(batch: CheckedBatch): CheckedBatch {
  return new Checked(batch);
}

/**
 * Checks `batch` against `shape` and converts it: the sizes and the memory they need, the
 * lengths, the inputs (ids in the vocabulary, or finite features), and, with `targets`, the
 * targets (class ids in [0, outputSize) where counted, or finite values shaped like the
 * output). Throws a typed error naming the argument; `what` names the operation.
 */
export function checkBatch(what: string, batch: unknown, shape: BatchShape, targets?: TargetKind): CheckedBatch {
  if (shape.layoutTrees) return checkTreesBatch(what, batch, shape, shape.layoutTrees, targets);
  checkObject(what, 'batch', batch, 'an object { x, y, seqLen, batchSize }');
  const given = batch as SequenceBatch;
  const seqLen = checkInt(what, 'seqLen', given.seqLen, 1);
  const b = checkInt(what, 'batchSize', given.batchSize, 1);
  const rows = seqLen * b;
  const floats = rows * shape.floatsPerPosition;
  if (floats > MAX_BATCH_FLOATS) {
    throw new OutOfMemoryError(
      `${what}: arguments \`seqLen\` x \`batchSize\` = ${seqLen} x ${b} positions need about ${Math.round(floats / 2 ** 18)} MiB of working memory with this model, more than fits in wasm memory (${MAX_BATCH_FLOATS / 2 ** 18} MiB); use shorter or fewer sequences per batch`,
    );
  }
  const lengths = checkLengths(what, given.lengths, b, seqLen);
  const xLen = shape.tokens !== undefined ? rows : rows * shape.featureSize;
  if (!given.x || given.x.length !== xLen) {
    const expected = shape.tokens !== undefined ? `[${seqLen}, ${b}] token ids` : `[${seqLen}, ${b}, ${shape.featureSize}] features`;
    throw new InvalidArgumentError(`${what}: argument \`x\` expected ${expected} (${xLen} values), got ${given.x?.length ?? String(given.x)}`);
  }
  const ids = shape.tokens !== undefined ? checkTokenIds(`${what} x`, given.x, shape.tokens) : undefined;
  const y = targets === undefined ? undefined : checkTargets(what, given.y, shape, targets, seqLen, b, lengths);
  let x: Float32Array | undefined;
  if (shape.tokens === undefined) {
    x = Float32Array.from(given.x);
    checkFinite(what, 'argument `x`', x);
  }
  const weights = given.weights === undefined ? undefined : checkWeights(what, given.weights, shape.pooled ? b : rows, b);
  return seal({ seqLen, batchSize: b, rows, lengths, ids, x, forest: undefined, targetKind: targets, targets: y, weights, shape });
}

/** {@link checkBatch} for a tree encoder: the trees laid out (and checked) by `layout`, one target row each. */
function checkTreesBatch(what: string, batch: unknown, shape: BatchShape, layout: NonNullable<BatchShape['layoutTrees']>, targets: TargetKind | undefined): CheckedBatch {
  checkObject(what, 'batch', batch, 'an object { x: trees, y }');
  const given = batch as TreesBatch;
  if (!Array.isArray(given.x) || given.x.length === 0) {
    throw new InvalidArgumentError(`${what}: argument \`x\` expected a non-empty array of trees (a tree encoder reads trees), got ${describe(given.x)}`);
  }
  const b = given.x.length;
  if (given.seqLen !== undefined && given.seqLen !== 1) throw new InvalidArgumentError(`${what}: argument \`seqLen\` expected 1 (or nothing) for a batch of trees, got ${describe(given.seqLen)}`);
  if (given.batchSize !== undefined && given.batchSize !== b) throw new InvalidArgumentError(`${what}: argument \`batchSize\` expected ${b} (the number of trees), got ${describe(given.batchSize)}`);
  const none = new Uint32Array(0);
  const y = targets === undefined ? undefined : checkTargets(what, given.y, { ...shape, pooled: true }, targets, 1, b, none);
  const weights = given.weights === undefined ? undefined : checkWeights(what, given.weights, b, b);
  // The trees last: laying out a forest is the costly part, and a bad target should not wait for it.
  const forest = layout(what, given.x);
  return seal({ seqLen: 1, batchSize: b, rows: b, lengths: none, ids: undefined, x: undefined, forest, targetKind: targets, targets: y, weights, shape });
}

/** Sample weights per output row (`rows` of them), from one per row or one per sequence (`b`). */
function checkWeights(what: string, w: ArrayLike<number>, rows: number, b: number): Float32Array {
  if (typeof w !== 'object' || w === null || (w.length !== rows && w.length !== b)) {
    throw new InvalidArgumentError(`${what}: argument \`weights\` expected ${rows} weights (one per output row) or ${b} (one per sequence), got ${describe(w)}`);
  }
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = w.length === rows ? w[i]! : w[i % b]!;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${what}: argument \`weights\` at index ${i} expected a finite number >= 0, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

function checkTargets(
  what: string,
  y: ArrayLike<number> | undefined,
  shape: BatchShape,
  kind: TargetKind,
  seqLen: number,
  b: number,
  lengths: Uint32Array,
): Uint32Array | Float32Array {
  const positions = shape.pooled ? b : seqLen * b;
  const dims = shape.pooled ? `[${b}]` : `[${seqLen}, ${b}]`;
  if (kind === 'classes') {
    if (!y || y.length !== positions) throw new InvalidArgumentError(`${what}: argument \`y\` expected ${dims} class ids, got ${y?.length ?? String(y)} values`);
    const out = new Uint32Array(positions);
    for (let i = 0; i < positions; i++) {
      // A padded step (t >= its sequence's length) is not counted: its target is not read.
      const counted = shape.pooled || lengths.length === 0 || Math.floor(i / b) < lengths[i % b]!;
      if (!counted) continue;
      const v = y[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= shape.outputSize) {
        throw new InvalidArgumentError(`${what}: argument \`y\` at index ${i} expected a class id in [0, ${shape.outputSize - 1}], got ${String(v)}`);
      }
      out[i] = v;
    }
    return out;
  }
  const n = positions * shape.outputSize;
  if (!y || y.length !== n) {
    throw new InvalidArgumentError(`${what}: argument \`y\` expected ${n} target values (${dims} x ${shape.outputSize}), got ${y?.length ?? String(y)}`);
  }
  const out = Float32Array.from(y);
  checkFinite(what, 'argument `y`', out);
  return out;
}

/**
 * Steps [t0, t1) of a checked batch with its per-step targets, checked already (for
 * randomized truncation, which cuts a batch into consecutive segments). Only for batches
 * without `lengths` and with per-step targets.
 */
export function sliceSteps(batch: CheckedBatch, t0: number, t1: number): CheckedBatch {
  if (batch.lengths.length > 0 || batch.shape.pooled) throw new InvalidArgumentError('sliceSteps: only full-length batches with per-step targets can be cut into steps');
  const b = batch.batchSize;
  const per = (a: Uint32Array | Float32Array | undefined, width: number) => a?.subarray(t0 * b * width, t1 * b * width);
  const outWidth = batch.targetKind === 'values' ? batch.shape.outputSize : 1;
  return seal({
    ...batch,
    seqLen: t1 - t0,
    rows: (t1 - t0) * b,
    ids: per(batch.ids, 1) as Uint32Array | undefined,
    x: per(batch.x, batch.shape.featureSize) as Float32Array | undefined,
    targets: per(batch.targets, outWidth),
    weights: per(batch.weights, 1) as Float32Array | undefined,
  });
}
