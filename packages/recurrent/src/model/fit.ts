/**
 * `fit`: the training loop. Epochs over batches from a data source, with truncated BPTT
 * modes, clipping, callbacks with loss, perplexity and tokens/s, and cancellation.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { checkClipNorm, checkInt, checkNumber, checkObject, checkOneOf, checkOptionalFunction, describe } from '../validate/index.js';
import { type LossKind, Model, type SequenceBatch, type StepResult } from './model.js';
import { type OptimizerConfig, sgd } from './optimizers.js';
import { startTraining } from './training-lock.js';

/**
 * How gradients flow through time:
 * - `full`: every batch is one sequence from a zero state; BPTT over all its steps.
 * - `truncated`: consecutive batches continue each other (use sequential partitioning);
 *   the final state of one batch is the initial state of the next, detached, so gradients
 *   stop at batch boundaries (d2l's "regular truncation").
 * - `random`: like `truncated`, but each batch is cut into segments whose lengths are drawn
 *   around `meanLength` (geometric, at least 1), each a separate step with the state carried
 *   across: randomized truncation, as in the source notes.
 */
export type BpttMode = 'full' | 'truncated' | 'random';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Epochs. Default `1`. */
  epochs?: number;
  /** Loss. Default `'crossEntropy'`. */
  loss?: LossKind;
  /**
   * Optimiser. Default `sgd({ lr: 0.1 })`. As in Keras, its state (momentum, Adam's moments
   * and step count) carries over to the next `fit` of the same model with the same settings;
   * `model.resetOptimizer()` starts afresh.
   */
  optimizer?: OptimizerConfig;
  /** Global-norm gradient clipping threshold. Default: none. */
  clipNorm?: number;
  /** BPTT mode. Default `'full'`. */
  bptt?: BpttMode | { mode: BpttMode; meanLength?: number };
  /** What to do when a step's loss or gradients are not finite: stop with an error, or skip the batch. Default `'stop'`. */
  onNonFinite?: 'stop' | 'skip';
  /** Seed of the randomized truncation. Default `0`. */
  seed?: number;
  /** Called after every batch. Returning `false` stops training. */
  onBatchEnd?: (info: BatchInfo) => void | boolean | Promise<void | boolean>;
  /** Called after every epoch. Returning `false` stops training. */
  onEpochEnd?: (info: EpochInfo) => void | boolean | Promise<void | boolean>;
  /** Aborting stops training after the current batch; `fit` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Memory-saving BPTT: keep states every this many steps and recompute the rest (see `TrainStepOptions.checkpointEvery`). Default `0`. */
  checkpointEvery?: number;
  /** Yield to the event loop every this many batches (keeps pages and workers responsive). Default `1`. */
  yieldEvery?: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  /** Mean loss over the batch's counted positions (over all its segments with bptt 'random'). */
  loss: number;
  /** exp(loss) for cross-entropy. */
  perplexity: number;
  /** Gradient norm before clipping (of the last segment with bptt 'random'). */
  gradNorm: number;
  /** Whether clipping scaled the gradient (of any segment). */
  clipped: boolean;
  tokensPerSecond: number;
  /** Whether a non-finite step was skipped (`onNonFinite: 'skip'`). */
  skipped: boolean;
}

export interface EpochInfo {
  epoch: number;
  /** Mean loss over the epoch's counted positions. */
  loss: number;
  /** exp(loss) for cross-entropy. */
  perplexity: number;
  /** Fraction of counted positions predicted right (cross-entropy). */
  accuracy: number;
  tokensPerSecond: number;
  batches: number;
  skippedBatches: number;
  seconds: number;
}

/** What `fit` returns: one entry per epoch. */
export interface History {
  epochs: EpochInfo[];
}

/** Batches for one epoch: an iterable, or a function called at each epoch returning one. */
export type BatchSource = Iterable<SequenceBatch> | ((epoch: number) => Iterable<SequenceBatch>);

/**
 * Trains `model` on `data`. One `fit` per model at a time: while one runs, another `fit` on
 * the same model rejects with `InvalidArgumentError` (await the first, or abort it).
 */
export async function fit(model: Model, data: BatchSource, options: FitOptions = {}): Promise<History> {
  const op = 'fit';
  if (!(model instanceof Model)) throw new InvalidArgumentError(`${op}: argument \`model\` expected a Model (from sequential), got ${describe(model)}`);
  checkObject(op, 'options', options, 'an options object');
  for (const name of ['onBatchEnd', 'onEpochEnd'] as const) checkOptionalFunction(op, name, options[name]);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${op}: argument \`signal\` expected an AbortSignal, got ${describe(options.signal)}`);
  }
  const epochs = checkInt(op, 'epochs', options.epochs ?? 1, 1, 1e9);
  const loss = checkOneOf(op, 'loss', options.loss ?? 'crossEntropy', ['crossEntropy', 'mse'] as const);
  const bptt = typeof options.bptt === 'object' && options.bptt !== null ? options.bptt : { mode: options.bptt ?? 'full' };
  const mode = checkOneOf(op, 'bptt', bptt.mode, ['full', 'truncated', 'random'] as const);
  const meanLength = mode === 'random' ? checkNumber(op, 'bptt.meanLength', bptt.meanLength ?? 16, 1, 1e6) : 0;
  const clipNorm = checkClipNorm(op, options.clipNorm);
  const onNonFinite = checkOneOf(op, 'onNonFinite', options.onNonFinite ?? 'stop', ['stop', 'skip'] as const);
  const yieldEvery = checkInt(op, 'yieldEvery', options.yieldEvery ?? 1, 1);
  if (typeof data !== 'function' && (data === null || typeof (data as Iterable<SequenceBatch>)[Symbol.iterator] !== 'function')) {
    throw new InvalidArgumentError(`${op}: argument \`data\` expected an iterable of batches or a function of the epoch returning one`);
  }
  // Claimed before anything of the model changes (its optimiser, its carried state).
  const done = startTraining(model);
  try {
    const optimizer = model.optimizerFor(options.optimizer ?? sgd({ lr: 0.1 }));
    const rng = new Random(checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff));
    const history: History = { epochs: [] };
    const carry = mode !== 'full';
    model.resetState();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const started = performance.now();
      let sum = 0;
      let count = 0;
      let correct = 0;
      let tokens = 0;
      let batches = 0;
      let skipped = 0;
      const source = typeof data === 'function' ? data(epoch) : data;
      if (carry) model.resetState();
      for (const batch of source) {
        options.signal?.throwIfAborted();
        const t0 = performance.now();
        // A batch cut into segments is checked whole first: a bad part must not come after
        // good segments were already trained on.
        if (mode === 'random') model.checkBatch(batch, loss, 'fit');
        const segments = mode === 'random' ? randomSegments(batch, meanLength, rng) : [batch];
        let last: StepResult | undefined;
        let skippedNow = false;
        // Over the batch's segments (one, unless bptt is 'random'): its loss and clipping.
        let batchSum = 0;
        let batchCount = 0;
        let clippedNow = false;
        for (const segment of segments) {
          try {
            last = model.trainStep(segment, { loss, optimizer, clipNorm, carryState: carry, epoch, checkpointEvery: options.checkpointEvery ?? 0 });
          } catch (e) {
            if (!(e instanceof NonFiniteError)) throw e;
            if (onNonFinite === 'stop') {
              throw new NonFiniteError(`fit: epoch ${epoch}, batch ${batches}: ${e.message}. Lower the learning rate, set clipNorm, or pass onNonFinite: 'skip'`, { cause: e });
            }
            skippedNow = true;
            continue;
          }
          sum += last.loss * last.count;
          count += last.count;
          correct += last.correct;
          batchSum += last.loss * last.count;
          batchCount += last.count;
          if (last.clipScale < 1) clippedNow = true;
        }
        const batchLoss = batchCount > 0 ? batchSum / batchCount : Number.NaN;
        const positions = batch.seqLen * batch.batchSize;
        tokens += positions;
        batches++;
        if (skippedNow) skipped++;
        const seconds = (performance.now() - t0) / 1000;
        if (options.onBatchEnd) {
          const info: BatchInfo = {
            epoch,
            batch: batches - 1,
            loss: batchLoss,
            perplexity: loss === 'crossEntropy' ? Math.exp(batchLoss) : Number.NaN,
            gradNorm: last?.gradNorm ?? Number.NaN,
            clipped: clippedNow,
            tokensPerSecond: positions / Math.max(seconds, 1e-9),
            skipped: skippedNow,
          };
          if ((await options.onBatchEnd(info)) === false) return history;
        }
        if (batches % yieldEvery === 0) await yieldToEventLoop();
      }
      if (batches === 0) {
        // Typically a one-shot iterator (a generator such as sequentialBatches(...)) passed
        // directly: it is exhausted after the first epoch.
        throw new InvalidArgumentError(
          `${op}: the data gave no batch in epoch ${epoch}; for several epochs pass a function of the epoch returning fresh batches (e.g. () => sequentialBatches(corpus, options)) or an array`,
        );
      }
      const seconds = (performance.now() - started) / 1000;
      const mean = count > 0 ? sum / count : Number.NaN;
      const info: EpochInfo = {
        epoch,
        loss: mean,
        perplexity: loss === 'crossEntropy' ? Math.exp(mean) : Number.NaN,
        accuracy: count > 0 ? correct / count : Number.NaN,
        tokensPerSecond: tokens / Math.max(seconds, 1e-9),
        batches,
        skippedBatches: skipped,
        seconds,
      };
      history.epochs.push(info);
      if (options.onEpochEnd && (await options.onEpochEnd(info)) === false) break;
    }
    options.signal?.throwIfAborted();
    return history;
  } finally {
    done();
  }
}

/**
 * Lets the event loop run (timers, I/O, messages, rendering) and resumes as soon as it has:
 * `setImmediate` in Node, a message in browsers. Not `setTimeout(0)`, which waits at least
 * 1 ms (4 ms when nested in browsers): with small batches that was most of the time spent.
 */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (callback: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Cuts a time-major batch into consecutive segments of random lengths around `mean`. */
function randomSegments(batch: SequenceBatch, mean: number, rng: Random): SequenceBatch[] {
  checkObject('fit', 'batch', batch, 'an object { x, y, seqLen, batchSize }');
  if (batch.lengths !== undefined) {
    throw new InvalidArgumentError("fit: bptt 'random' does not take variable-length batches");
  }
  checkInt('fit', 'seqLen', batch.seqLen, 1);
  for (const name of ['x', 'y'] as const) {
    const a = batch[name];
    if (typeof a !== 'object' || a === null || typeof a.length !== 'number' || a.length % batch.seqLen !== 0) {
      throw new InvalidArgumentError(`fit: argument \`${name}\` expected a multiple of seqLen = ${batch.seqLen} values, got ${describe(a)}`);
    }
  }
  const out: SequenceBatch[] = [];
  const B = batch.batchSize;
  const perStepX = batch.x.length / batch.seqLen;
  const perStepY = batch.y.length / batch.seqLen;
  let t = 0;
  while (t < batch.seqLen) {
    // Geometric lengths with the given mean: P(stop after each step) = 1 / mean.
    let len = 1;
    while (t + len < batch.seqLen && rng.nextFloat() >= 1 / mean) len++;
    out.push({
      x: slice(batch.x, t * perStepX, (t + len) * perStepX),
      y: slice(batch.y, t * perStepY, (t + len) * perStepY),
      seqLen: len,
      batchSize: B,
    });
    t += len;
  }
  return out;
}

function slice(a: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as unknown as Float32Array).subarray(from, to);
  return Array.prototype.slice.call(a, from, to) as number[];
}
