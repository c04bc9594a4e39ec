/**
 * `fit`: the training loop. Epochs over batches from a data source, with truncated BPTT
 * modes, clipping, callbacks with loss, perplexity and tokens/s, and cancellation.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { LOSS_KINDS } from '../network/heads.js';
import { type CheckedBatch, checkClipNorm, checkInt, checkNumber, checkObject, checkOneOf, checkOptionalFunction, describe, sliceSteps } from '../validate/index.js';
import { type BatchInfo, type BatchOutcome, type EpochInfo, type History, runEpochs } from './loop.js';
import { Model } from './model.js';
import type { LossKind, SequenceBatch } from './model-types.js';
import { type OptimizerConfig, sgd } from './optimizers.js';
import { withTraining } from './training-lock.js';

export type { BatchInfo, EpochInfo, History } from './loop.js';

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

/** Batches for one epoch: an iterable, or a function called at each epoch returning one. */
export type BatchSource = Iterable<SequenceBatch> | ((epoch: number) => Iterable<SequenceBatch>);

/**
 * Trains `model` on `data`. One `fit` per model at a time: while one runs, another `fit` on
 * the same model rejects with `InvalidArgumentError` (await the first, or abort it). Each
 * batch is checked once, before its first step.
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
  const loss: LossKind = checkOneOf(op, 'loss', options.loss ?? 'crossEntropy', LOSS_KINDS);
  const bptt = typeof options.bptt === 'object' && options.bptt !== null ? options.bptt : { mode: options.bptt ?? 'full' };
  const mode = checkOneOf(op, 'bptt', bptt.mode, ['full', 'truncated', 'random'] as const);
  const meanLength = mode === 'random' ? checkNumber(op, 'bptt.meanLength', bptt.meanLength ?? 16, 1, 1e6) : 0;
  const clipNorm = checkClipNorm(op, options.clipNorm);
  const onNonFinite = checkOneOf(op, 'onNonFinite', options.onNonFinite ?? 'stop', ['stop', 'skip'] as const);
  const yieldEvery = checkInt(op, 'yieldEvery', options.yieldEvery ?? 1, 1);
  const checkpointEvery = options.checkpointEvery ?? 0;
  if (typeof data !== 'function' && (data === null || typeof (data as Iterable<SequenceBatch>)[Symbol.iterator] !== 'function')) {
    throw new InvalidArgumentError(`${op}: argument \`data\` expected an iterable of batches or a function of the epoch returning one`);
  }
  // Claimed before anything of the model changes (its optimiser, its carried state).
  return withTraining(model, async () => {
    const optimizer = model.optimizerFor(options.optimizer ?? sgd({ lr: 0.1 }));
    const rng = new Random(checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff));
    const carry = mode !== 'full';
    model.resetState();
    return runEpochs<SequenceBatch>({
      op,
      epochs,
      batches: (epoch) => (typeof data === 'function' ? data(epoch) : data),
      startEpoch: () => {
        if (carry) model.resetState();
      },
      train: (batch, epoch) => {
        // Checked whole, once: a bad part must not come after good segments were trained on.
        const checked = model.checkBatch(batch, loss, op);
        const segments = mode === 'random' ? randomSegments(checked, meanLength, rng) : [checked];
        const o: BatchOutcome = { sum: 0, count: 0, correct: 0, positions: checked.rows, gradNorm: Number.NaN, clipped: false, skipped: false };
        for (const segment of segments) {
          try {
            const s = model.trainStep(segment, { loss, optimizer, clipNorm, carryState: carry, epoch, checkpointEvery });
            o.sum += s.loss * s.count;
            o.count += s.count;
            o.correct += s.correct;
            o.gradNorm = s.gradNorm;
            if (s.clipScale < 1) o.clipped = true;
          } catch (e) {
            if (!(e instanceof NonFiniteError) || onNonFinite === 'stop') throw e;
            o.skipped = true;
          }
        }
        return o;
      },
      nonFiniteHint: "Lower the learning rate, set clipNorm, or pass onNonFinite: 'skip'",
      emptyEpochHint:
        '; for several epochs pass a function of the epoch returning fresh batches (e.g. () => sequentialBatches(corpus, options)) or an array',
      perplexity: loss === 'crossEntropy',
      signal: options.signal,
      onBatchEnd: options.onBatchEnd,
      onEpochEnd: options.onEpochEnd,
      yieldEvery,
    });
  });
}

/** Cuts a checked, time-major batch into consecutive segments of random lengths around `mean`. */
function randomSegments(batch: CheckedBatch, mean: number, rng: Random): CheckedBatch[] {
  if (batch.lengths.length > 0) throw new InvalidArgumentError("fit: bptt 'random' does not take variable-length batches");
  if (batch.shape.pooled) throw new InvalidArgumentError("fit: bptt 'random' needs per-step targets; a model whose output is pooled ('last' or 'mean') has one per sequence");
  const out: CheckedBatch[] = [];
  let t = 0;
  while (t < batch.seqLen) {
    // Geometric lengths with the given mean: P(stop after each step) = 1 / mean.
    let len = 1;
    while (t + len < batch.seqLen && rng.nextFloat() >= 1 / mean) len++;
    out.push(sliceSteps(batch, t, t + len));
    t += len;
  }
  return out;
}
