/**
 * The two language-model minibatch iterators of the d2l book (chapter 8,
 * `seq_data_iter_random` and `seq_data_iter_sequential`), over a corpus of token ids.
 *
 * Each batch is laid out time-major, `[T, B]`: `x[t * B + b]` is step t of sequence b, the
 * layout the recurrent layers take. `y` is `x` shifted one token ahead in the corpus: the
 * next-token targets.
 *
 * - {@link randomBatches}: from a random offset in [0, T-1], the corpus is cut into
 *   consecutive subsequences of length T, shuffled, and dealt B per batch. Sequences of
 *   consecutive batches are unrelated: start each batch from a fresh state.
 * - {@link sequentialBatches}: from a random offset in [0, T], the corpus is reshaped into B
 *   rows and each batch takes the next T columns, so column b of batch i+1 continues column b
 *   of batch i: carry the (detached) state from batch to batch.
 *
 * Both draw from a seeded {@link Random}: the offset first (unless `offset` is given), then,
 * for `randomBatches`, the shuffle. Everything is drawn when the iterator is created.
 */
import { InvalidArgumentError } from '../errors.js';
import { Random } from './random.js';

/** One minibatch, time-major. Every batch has its own fresh arrays: keep or modify them freely. */
export interface Batch {
  /** Input ids, `[seqLen, batchSize]`: `x[t * batchSize + b]`. */
  x: Int32Array;
  /** Target ids, same layout: `y[t * batchSize + b]` is the token after `x[t * batchSize + b]`. */
  y: Int32Array;
  /** B, the number of sequences. */
  batchSize: number;
  /** T, the number of time steps. */
  seqLen: number;
}

/** Options of {@link randomBatches} and {@link sequentialBatches}. */
export interface BatchOptions {
  /** B: sequences per batch, an integer >= 1. */
  batchSize: number;
  /** T: time steps per sequence, an integer >= 1. */
  seqLen: number;
  /**
   * Seed of the generator drawing the offset (and the shuffle). The same seed gives the same
   * batches. Use it for one reproducible epoch; for many epochs pass `rng` instead (or a
   * different seed per epoch), so that each epoch draws a new offset, as d2l does.
   */
  seed?: number;
  /**
   * The generator to draw from (advanced by the call). Give `seed` or `rng`, not both; with
   * neither, an unseeded generator is used and batches are not reproducible.
   */
  rng?: Random;
  /**
   * Start at this offset into the corpus instead of a random one (e.g. `0` to evaluate on a
   * fixed split). An integer >= 0.
   */
  offset?: number;
}

/** Which of the two iterators. */
export type BatchOrder = 'random' | 'sequential';

/** Options of {@link batchCount}. */
export interface BatchCountOptions {
  batchSize: number;
  seqLen: number;
  /** The iterator: `'random'` or `'sequential'`. */
  order: BatchOrder;
  /**
   * The offset the iterator starts at. Default: the largest it can draw (T-1 for random,
   * T for sequential), which gives the smallest count: every epoch has at least that many.
   */
  offset?: number;
}

/** The batches of one pass, plus what was drawn. Iterate it once (it is a generator). */
export type BatchIterator = Generator<Batch, void, undefined> & {
  /** The offset into the corpus this pass starts at. */
  readonly offset: number;
  /** How many batches this pass yields. */
  readonly batchCount: number;
};

/**
 * d2l's `seq_data_iter_random`, time-major. With `o` the offset (drawn uniform in [0, T-1]),
 * `n = floor((N - o - 1) / T)` subsequences start at `o + k*T` (k = 0..n-1); their starts are
 * shuffled, and batch i holds subsequences `i*B .. i*B+B-1` of the shuffled list, for
 * `floor(n / B)` batches (the rest is dropped). Column b of a batch is
 * `x[:, b] = corpus[s : s+T]`, `y[:, b] = corpus[s+1 : s+T+1]`.
 *
 * Throws {@link InvalidArgumentError} on bad options, or when the corpus is too short for one
 * batch at the largest offset (it needs at least `(B + 1) * T` tokens).
 */
export function randomBatches(corpus: Int32Array, options: BatchOptions): BatchIterator {
  const fn = 'randomBatches';
  const { batchSize: B, seqLen: T } = checkShape(fn, corpus, options);
  const rng = pickRng(fn, options);
  const offset = pickOffset(fn, 'random', corpus.length, B, T, options, rng);
  const n = Math.floor((corpus.length - offset - 1) / T);
  const count = Math.floor(n / B);
  const starts = new Int32Array(n);
  for (let k = 0; k < n; k++) starts[k] = offset + k * T;
  rng.shuffle(starts);
  function* run(): Generator<Batch, void, undefined> {
    for (let i = 0; i < count; i++) {
      const x = new Int32Array(T * B);
      const y = new Int32Array(T * B);
      for (let b = 0; b < B; b++) {
        const s = starts[i * B + b] as number;
        for (let t = 0; t < T; t++) {
          x[t * B + b] = corpus[s + t] as number;
          y[t * B + b] = corpus[s + t + 1] as number;
        }
      }
      yield { x, y, batchSize: B, seqLen: T };
    }
  }
  return withInfo(run(), offset, count);
}

/**
 * d2l's `seq_data_iter_sequential`, time-major. With `o` the offset (drawn uniform in
 * [0, T]), the `L = floor((N - o - 1) / B)` tokens of row b are `corpus[o + b*L : o + (b+1)*L]`
 * (targets one further), and batch i takes columns `i*T .. i*T+T-1` of every row:
 * `x[t, b] = corpus[o + b*L + i*T + t]`, for `floor(L / T)` batches. So column b of batch
 * i+1 starts right after where column b of batch i ended: `x_{i+1}[0, b] = y_i[T-1, b]`.
 *
 * Throws {@link InvalidArgumentError} on bad options, or when the corpus is too short for one
 * batch at the largest offset (it needs at least `(B + 1) * T + 1` tokens).
 */
export function sequentialBatches(corpus: Int32Array, options: BatchOptions): BatchIterator {
  const fn = 'sequentialBatches';
  const { batchSize: B, seqLen: T } = checkShape(fn, corpus, options);
  const rng = pickRng(fn, options);
  const offset = pickOffset(fn, 'sequential', corpus.length, B, T, options, rng);
  const rowLen = Math.floor((corpus.length - offset - 1) / B);
  const count = Math.floor(rowLen / T);
  function* run(): Generator<Batch, void, undefined> {
    for (let i = 0; i < count; i++) {
      const x = new Int32Array(T * B);
      const y = new Int32Array(T * B);
      for (let b = 0; b < B; b++) {
        const s = offset + b * rowLen + i * T;
        for (let t = 0; t < T; t++) {
          x[t * B + b] = corpus[s + t] as number;
          y[t * B + b] = corpus[s + t + 1] as number;
        }
      }
      yield { x, y, batchSize: B, seqLen: T };
    }
  }
  return withInfo(run(), offset, count);
}

/**
 * How many batches an iterator yields on a corpus of `corpusLength` tokens (or on `corpus`)
 * from a given offset; without `offset`, the smallest count over the offsets it can draw
 * (counts differ by at most one between offsets). The iterator's own `batchCount` gives the
 * count for the offset it drew.
 */
export function batchCount(corpus: number | ArrayLike<number>, options: BatchCountOptions): number {
  const fn = 'batchCount';
  const length = typeof corpus === 'number' ? corpus : corpus?.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(`${fn}: argument \`corpus\` expected a length (an integer >= 0) or an array, got ${String(corpus)}`);
  }
  const B = positiveInt(fn, 'batchSize', options?.batchSize);
  const T = positiveInt(fn, 'seqLen', options?.seqLen);
  const order = options.order;
  if (order !== 'random' && order !== 'sequential') {
    throw new InvalidArgumentError(`${fn}: option \`order\` expected 'random' or 'sequential', got ${String(order)}`);
  }
  const offset = options.offset === undefined ? maxOffset(order, T) : nonNegativeInt(fn, 'offset', options.offset);
  return countAt(order, length, B, T, offset);
}

function countAt(order: BatchOrder, length: number, B: number, T: number, offset: number): number {
  const usable = length - offset - 1;
  if (usable <= 0) return 0;
  return order === 'random' ? Math.floor(Math.floor(usable / T) / B) : Math.floor(Math.floor(usable / B) / T);
}

/** d2l draws `randint(0, T-1)` for the random iterator and `randint(0, T)` for the sequential one. */
function maxOffset(order: BatchOrder, T: number): number {
  return order === 'random' ? T - 1 : T;
}

function checkShape(fn: string, corpus: Int32Array, options: BatchOptions): { batchSize: number; seqLen: number } {
  if (!(corpus instanceof Int32Array)) {
    throw new InvalidArgumentError(`${fn}: argument \`corpus\` expected an Int32Array of token ids, got ${kind(corpus)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${fn}: argument \`options\` expected { batchSize, seqLen, seed? }, got ${kind(options)}`);
  }
  return { batchSize: positiveInt(fn, 'batchSize', options.batchSize), seqLen: positiveInt(fn, 'seqLen', options.seqLen) };
}

function pickRng(fn: string, options: BatchOptions): Random {
  if (options.rng !== undefined && options.seed !== undefined) {
    throw new InvalidArgumentError(`${fn}: expected option \`seed\` or option \`rng\`, got both`);
  }
  if (options.rng !== undefined) {
    if (!(options.rng instanceof Random)) {
      throw new InvalidArgumentError(`${fn}: option \`rng\` expected a Random, got ${kind(options.rng)}`);
    }
    return options.rng;
  }
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed)) {
      throw new InvalidArgumentError(`${fn}: option \`seed\` expected a safe integer, got ${String(options.seed)}`);
    }
    return new Random(options.seed);
  }
  return Random.unseeded();
}

function pickOffset(
  fn: string,
  order: BatchOrder,
  length: number,
  B: number,
  T: number,
  options: BatchOptions,
  rng: Random,
): number {
  // Checked before drawing, so that whether a corpus is long enough never depends on the seed.
  const worst = options.offset === undefined ? maxOffset(order, T) : nonNegativeInt(fn, 'offset', options.offset);
  if (countAt(order, length, B, T, worst) === 0) {
    const need = worst + 1 + B * T;
    throw new InvalidArgumentError(
      `${fn}: argument \`corpus\` expected at least ${need} tokens for one batch of batchSize ${B} x seqLen ${T}` +
        `${options.offset === undefined ? '' : ` from offset ${worst}`}, got ${length}`,
    );
  }
  return options.offset === undefined ? rng.nextInt(maxOffset(order, T) + 1) : worst;
}

function withInfo(gen: Generator<Batch, void, undefined>, offset: number, count: number): BatchIterator {
  return Object.defineProperties(gen, {
    offset: { value: offset, enumerable: true },
    batchCount: { value: count, enumerable: true },
  }) as BatchIterator;
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${fn}: option \`${name}\` expected an integer >= 1, got ${String(v)}`);
  }
  return v;
}

function nonNegativeInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${fn}: option \`${name}\` expected an integer >= 0, got ${String(v)}`);
  }
  return v;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}
