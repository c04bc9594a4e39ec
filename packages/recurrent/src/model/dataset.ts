/**
 * Data in the shapes people have: `{ x, y, lengths? }` with `x` and `y` as nested arrays or as
 * flat arrays with a `shape`, batch-major (`[examples, steps, features]`, Keras' layout) by
 * default or time-major (`[steps, examples, features]`, `timeMajor: true`; a pooled target,
 * one per example, has no step axis either way). Sequences of
 * different lengths (ragged nested arrays, or `lengths`) are padded per batch and their lengths
 * passed on, so padded steps count nowhere. Batches come out time-major, as the kernels take them.
 */
import { Random } from '../data/random.js';
import type { Tree } from '../trees/tree.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkObject, describe, type SequenceBatch, type TreesBatch } from '../validate/index.js';

/** A flat array of numbers and its shape (row-major), e.g. `{ data: Float32Array, shape: [N, T, F] }`. */
export interface ShapedArray {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** Numbers nested in arrays to any depth (`number[][][]` for `[N, T, F]`). */
export type Nested = number | readonly Nested[] | ArrayLike<number>;

/** A dataset of whole examples. */
export interface ArrayDataset {
  /** Inputs: per example, steps of features (or token ids); for a tree model, its tree. */
  readonly x: Nested | ShapedArray | readonly Tree[];
  /**
   * Targets: per example a class id or K values (a model whose output is pooled), or per step
   * class ids or K values (one per step, as the inputs).
   */
  readonly y: Nested | ShapedArray;
  /** Valid steps per example (the rest is padding). Default: ragged lengths, or every step. */
  readonly lengths?: ArrayLike<number>;
  /**
   * Per example, its weight (a number), or per step (an array, for per-step targets): the loss
   * is the weighted mean Σ w l / Σ w. Default: all 1.
   */
  readonly sampleWeights?: ArrayLike<number | ArrayLike<number>>;
}

/** How a model reads and writes per position: what splitting a dataset into examples needs. */
export interface ExampleShape {
  /** Floats per input step (1 for token ids). */
  readonly inputWidth: number;
  /** Target values per output row (1 for class ids). */
  readonly targetWidth: number;
  /** One target row per example (pooled output) instead of one per step. */
  readonly pooled: boolean;
  /** Inputs are trees, one per example (a tree encoder first); pooled then. */
  readonly trees: boolean;
}

/** A dataset split into examples: per example its steps and its targets, flat. */
export interface Examples {
  /** Per example its steps' values (empty for trees). */
  readonly x: readonly Float64Array[];
  /** Per example its tree (a tree model's examples), else undefined. */
  readonly trees?: readonly object[] | undefined;
  readonly y: readonly Float64Array[];
  /** Per example, one weight per target row (1 for a pooled output, its steps otherwise); undefined: all 1. */
  readonly w: readonly Float64Array[] | undefined;
  /** Steps per example. */
  readonly steps: readonly number[];
}

/** Whether `data` is an {@link ArrayDataset} (not an iterable of batches). */
export function isArrayDataset(data: unknown): data is ArrayDataset {
  return typeof data === 'object' && data !== null && 'x' in data && 'y' in data && !(Symbol.iterator in data);
}

function isShaped(v: unknown): v is ShapedArray {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;
}

/** Depth-first flattening of nested arrays (numbers only). */
function flatten(op: string, name: string, v: Nested, out: number[]): void {
  if (typeof v === 'number') {
    out.push(v);
    return;
  }
  if (typeof v !== 'object' || v === null || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected numbers in nested arrays, got ${describe(v)}`);
  }
  const a = v as ArrayLike<Nested>;
  for (let i = 0; i < a.length; i++) flatten(op, name, a[i]!, out);
}

/** Per example, its values flat, from nested arrays or a shaped array, batch-major or time-major. */
function perExample(op: string, name: string, v: Nested | ShapedArray, timeMajor: boolean): Float64Array[] {
  if (isShaped(v)) {
    const shape = v.shape;
    if (!Array.isArray(shape) || shape.length < 1 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new InvalidArgumentError(`${op}: argument \`${name}.shape\` expected positive integer dimensions, got ${describe(shape)}`);
    }
    const total = shape.reduce((a, b) => a * b, 1);
    if (v.data.length !== total) throw new InvalidArgumentError(`${op}: argument \`${name}.data\` expected ${total} values (shape [${shape.join(', ')}]), got ${v.data.length}`);
    if (timeMajor && shape.length >= 2) {
      const [T, N] = [shape[0]!, shape[1]!];
      const inner = total / (T * N);
      return Array.from({ length: N }, (_, n) => {
        const e = new Float64Array(T * inner);
        for (let t = 0; t < T; t++) for (let j = 0; j < inner; j++) e[t * inner + j] = v.data[(t * N + n) * inner + j]!;
        return e;
      });
    }
    const N = shape[0]!;
    const size = total / N;
    return Array.from({ length: N }, (_, n) => Float64Array.from({ length: size }, (_, j) => v.data[n * size + j]!));
  }
  if (typeof v !== 'object' || v === null || typeof (v as ArrayLike<Nested>).length !== 'number' || (v as ArrayLike<Nested>).length === 0) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a non-empty array (one entry per example) or { data, shape }, got ${describe(v)}`);
  }
  const outer = v as ArrayLike<Nested>;
  if (!timeMajor) {
    return Array.from({ length: outer.length }, (_, n) => {
      const flat: number[] = [];
      flatten(op, `${name}[${n}]`, outer[n]!, flat);
      return Float64Array.from(flat);
    });
  }
  // Time-major nested: x[t][n]...; every step has every example.
  const T = outer.length;
  const steps = Array.from({ length: T }, (_, t) => outer[t] as ArrayLike<Nested>);
  const N = steps[0]!.length;
  return Array.from({ length: N }, (_, n) => {
    const flat: number[] = [];
    for (let t = 0; t < T; t++) {
      if (steps[t]?.length !== N) throw new InvalidArgumentError(`${op}: argument \`${name}[${t}]\` expected ${N} examples (time-major), got ${describe(steps[t])}`);
      flatten(op, `${name}[${t}][${n}]`, steps[t]![n]!, flat);
    }
    return Float64Array.from(flat);
  });
}

/** Splits `data` into examples for a model of `shape`, checking that every example fits. */
export function toExamples(op: string, data: ArrayDataset, shape: ExampleShape, timeMajor: boolean): Examples {
  checkObject(op, 'data', data, 'a dataset { x, y, lengths? }');
  if (shape.trees) return treeExamples(op, data, shape);
  const x = perExample(op, 'x', data.x as Nested | ShapedArray, timeMajor);
  // A pooled target has no step axis: it is per example whatever the layout of `x`.
  const y = perExample(op, 'y', data.y, timeMajor && !shape.pooled);
  if (x.length !== y.length) throw new InvalidArgumentError(`${op}: \`x\` has ${x.length} examples and \`y\` ${y.length}`);
  const steps = x.map((e, n) => {
    if (e.length === 0 || e.length % shape.inputWidth !== 0) {
      throw new InvalidArgumentError(`${op}: argument \`x[${n}]\` expected steps of ${shape.inputWidth} value(s), got ${e.length} values`);
    }
    const T = e.length / shape.inputWidth;
    const L = data.lengths === undefined ? T : checkInt(op, `lengths[${n}]`, data.lengths[n], 1, T);
    const want = shape.pooled ? shape.targetWidth : T * shape.targetWidth;
    if (y[n]!.length !== want) {
      const what = shape.pooled ? `${shape.targetWidth} target value(s)` : `${T} steps of ${shape.targetWidth} target value(s)`;
      throw new InvalidArgumentError(`${op}: argument \`y[${n}]\` expected ${what}, got ${y[n]!.length} values`);
    }
    return L;
  });
  if (data.lengths !== undefined && data.lengths.length !== x.length) {
    throw new InvalidArgumentError(`${op}: argument \`lengths\` expected ${x.length} lengths, got ${data.lengths.length}`);
  }
  return { x, y, steps, w: sampleWeights(op, data.sampleWeights, x, shape) };
}

/** A tree model's dataset: `x` its trees (checked when batched), `y` a target row per tree. */
function treeExamples(op: string, data: ArrayDataset, shape: ExampleShape): Examples {
  const trees = data.x as unknown;
  if (!Array.isArray(trees) || trees.length === 0 || !trees.every((t) => typeof t === 'object' && t !== null)) {
    throw new InvalidArgumentError(`${op}: argument \`x\` expected a non-empty array of trees (one per example: a tree encoder reads trees), got ${describe(trees)}`);
  }
  if (data.lengths !== undefined) throw new InvalidArgumentError(`${op}: argument \`lengths\` does not apply to trees`);
  const y = perExample(op, 'y', data.y, false);
  if (y.length !== trees.length) throw new InvalidArgumentError(`${op}: \`x\` has ${trees.length} trees and \`y\` ${y.length} targets`);
  y.forEach((v, n) => {
    if (v.length !== shape.targetWidth) throw new InvalidArgumentError(`${op}: argument \`y[${n}]\` expected ${shape.targetWidth} target value(s), got ${v.length} values`);
  });
  const x = trees.map(() => new Float64Array(0));
  return { x, trees: trees as object[], y, steps: x.map(() => 1), w: sampleWeights(op, data.sampleWeights, x, shape) };
}

/** Per example, a weight per target row, from one weight per example or one per step. */
function sampleWeights(op: string, given: ArrayDataset['sampleWeights'], x: readonly Float64Array[], shape: ExampleShape): Float64Array[] | undefined {
  if (given === undefined) return undefined;
  if (typeof given !== 'object' || given === null || given.length !== x.length) {
    throw new InvalidArgumentError(`${op}: argument \`sampleWeights\` expected ${x.length} entries (one per example), got ${describe(given)}`);
  }
  return x.map((e, n) => {
    const rows = shape.pooled ? 1 : e.length / shape.inputWidth;
    const g = given[n]!;
    const w = typeof g === 'number' ? new Float64Array(rows).fill(g) : Float64Array.from(g as ArrayLike<number>);
    if (w.length !== rows || !w.every((v) => Number.isFinite(v) && v >= 0)) {
      throw new InvalidArgumentError(`${op}: argument \`sampleWeights[${n}]\` expected a number >= 0${shape.pooled ? '' : ` or ${rows} (one per step)`}, got ${describe(g)}`);
    }
    return w;
  });
}

/** Examples `[from, to)` of `e` (a validation split). */
export function sliceExamples(e: Examples, from: number, to: number): Examples {
  return { x: e.x.slice(from, to), trees: e.trees?.slice(from, to), y: e.y.slice(from, to), steps: e.steps.slice(from, to), w: e.w?.slice(from, to) };
}

/**
 * The batches of one pass over `e`: `batchSize` examples each (the last may be smaller), in a
 * shuffled order when `rng` is given, padded to the longest, time-major.
 */
export function* exampleBatches(e: Examples, shape: ExampleShape, batchSize: number, rng?: Random): Generator<SequenceBatch | TreesBatch> {
  const order = Array.from({ length: e.x.length }, (_, i) => i);
  if (rng) rng.shuffle(order);
  const [F, K] = [shape.inputWidth, shape.targetWidth];
  for (let at = 0; at < order.length; at += batchSize) {
    const idx = order.slice(at, at + batchSize);
    const B = idx.length;
    if (e.trees) {
      const y = new Float32Array(B * K);
      idx.forEach((i, b) => y.set(e.y[i]!, b * K));
      const weights = e.w && Float32Array.from(idx, (i) => e.w![i]![0]!);
      yield { x: idx.map((i) => e.trees![i]!), y, ...(weights ? { weights } : {}) };
      continue;
    }
    const T = Math.max(...idx.map((i) => e.x[i]!.length / F));
    const x = new Float32Array(T * B * F);
    const y = new Float32Array(shape.pooled ? B * K : T * B * K);
    const lengths = idx.map((i) => e.steps[i]!);
    const weights = e.w && new Float32Array(shape.pooled ? B : T * B);
    idx.forEach((i, b) => {
      const xi = e.x[i]!;
      const Ti = xi.length / F;
      for (let t = 0; t < Ti; t++) for (let f = 0; f < F; f++) x[(t * B + b) * F + f] = xi[t * F + f]!;
      const yi = e.y[i]!;
      if (shape.pooled) for (let k = 0; k < K; k++) y[b * K + k] = yi[k]!;
      else for (let t = 0; t < Ti; t++) for (let k = 0; k < K; k++) y[(t * B + b) * K + k] = yi[t * K + k]!;
      // Padded rows keep weight 0 (they are not counted anyway).
      if (weights) e.w![i]!.forEach((v, t) => (weights[shape.pooled ? b : t * B + b] = v));
    });
    const ragged = lengths.some((l) => l !== T);
    yield { x, y, seqLen: T, batchSize: B, ...(ragged ? { lengths } : {}), ...(weights ? { weights } : {}) };
  }
}
