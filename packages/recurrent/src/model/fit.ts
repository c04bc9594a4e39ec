/**
 * `fit`: the training loop. Epochs over batches from a data source, with truncated BPTT
 * modes, clipping, callbacks with loss, perplexity and tokens/s, and cancellation.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { checkLoss, type Loss } from '../network/heads.js';
import { type CheckedBatch, type TreesBatch, checkClipNorm, checkInt, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkOptionalFunction, describe, sliceSteps } from '../validate/index.js';
import { type BatchInfo, type BatchOutcome, type EpochInfo, type History, runEpochs } from './loop.js';
import { Model } from './model.js';
import type { SequenceBatch } from './model-types.js';
import type { OptimizerConfig } from './optimizers.js';
import { DEFAULT_OPTIMIZER } from './default-optimizer.js';
import { BestWatch, checkEarlyStopping, prepareDataset } from './fit-dataset.js';
import { type ArrayDataset, isArrayDataset } from './dataset.js';
import { isPlateauSchedule, type NamedSchedule, scheduleFromName } from './schedules.js';
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
  /** A loss name, or `{ kind, ...options }`. */
  loss?: Loss;
  /**
   * Optimiser. Default `adam({ lr: 0.003 })` ({@link DEFAULT_OPTIMIZER}, the default of every
   * trainer and of the CLI). As in Keras, its state (momentum, Adam's moments
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
  /** With a dataset `{ x, y }`: examples per batch. Default `32`. */
  batchSize?: number;
  /** With a dataset: shuffle the examples at every epoch (seeded by `seed`). Default `true`. */
  shuffle?: boolean;
  /** With a dataset: `x` and `y` are `[steps, examples, ...]` instead of `[examples, steps, ...]`. Default `false`. */
  timeMajor?: boolean;
  /** With a dataset: held-out data, evaluated after every epoch (`EpochInfo.validation`). Default: none. */
  validationData?: ArrayDataset;
  /** With a dataset: hold out this fraction of the examples, the last ones (as Keras), instead. Default `0`. */
  validationSplit?: number;
  /** Stop when the monitored loss stops improving. Default: none. */
  earlyStopping?: EarlyStoppingOptions;
  /**
   * A built-in learning-rate schedule by name (`{ name: 'cosineWithWarmup', lr, warmupSteps,
   * totalSteps }`, ...), replacing the optimiser's `lr`: the form that crosses to a worker.
   * Default: none.
   */
  schedule?: NamedSchedule;
  /** Called with the model file's bytes (`saveModel`) at every epoch whose monitored loss is the best so far. */
  checkpointBest?: (bytes: Uint8Array, info: EpochInfo) => void | Promise<void>;
}

/** Options of {@link FitOptions.earlyStopping} (Keras' `EarlyStopping`). */
export interface EarlyStoppingOptions {
  /** `'valLoss'` (the default with validation data) or `'loss'` (the default without). */
  monitor?: 'loss' | 'valLoss';
  /** Epochs without improvement before stopping. Default `0`. */
  patience?: number;
  /** An improvement is a decrease of more than this. Default `0`. */
  minDelta?: number;
  /** Put back the parameters of the best epoch when training ends. Default `false`. */
  restoreBest?: boolean;
}

const FIT_OPTIONS = [
  'epochs', 'loss', 'optimizer', 'clipNorm', 'bptt', 'onNonFinite', 'seed', 'onBatchEnd', 'onEpochEnd', 'signal', 'checkpointEvery', 'yieldEvery',
  'batchSize', 'shuffle', 'timeMajor', 'validationData', 'validationSplit', 'earlyStopping', 'checkpointBest', 'schedule',
];
const FIT_SUGGEST: Readonly<Record<string, string>> = {
  callbacks: '`onEpochEnd`, `onBatchEnd`, `earlyStopping` and `checkpointBest`',
  validation_split: '`validationSplit`',
  validation_data: '`validationData`',
  batch_size: '`batchSize`',
  lr: '`optimizer: adam({ lr })`',
  learningRate: '`optimizer: adam({ lr })`',
};

/**
 * Batches for one epoch: an iterable, or a function called at each epoch returning one; or a
 * dataset `{ x, y, lengths? }` of whole examples (see `ArrayDataset`; for a tree model `x` is
 * its trees and `y` a target row per tree), batched by `fit`.
 */
export type BatchSource = Iterable<SequenceBatch | TreesBatch> | ((epoch: number) => Iterable<SequenceBatch | TreesBatch>) | ArrayDataset;

/**
 * Trains `model` on `data`. One `fit` per model at a time: while one runs, another `fit` on
 * the same model rejects with `InvalidArgumentError` (await the first, or abort it). Each
 * batch is checked once, before its first step.
 */
export async function fit(model: Model, data: BatchSource, options: FitOptions = {}): Promise<History> {
  const op = 'fit';
  if (!(model instanceof Model)) throw new InvalidArgumentError(`${op}: argument \`model\` expected a Model (from sequential), got ${describe(model)}`);
  checkObject(op, 'options', options, 'an options object');
  checkKnownKeys(op, options, FIT_OPTIONS, FIT_SUGGEST);
  for (const name of ['onBatchEnd', 'onEpochEnd'] as const) checkOptionalFunction(op, name, options[name]);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${op}: argument \`signal\` expected an AbortSignal, got ${describe(options.signal)}`);
  }
  const epochs = checkInt(op, 'epochs', options.epochs ?? 1, 1, 1e9);
  const lossOption = options.loss ?? 'crossEntropy';
  const loss = checkLoss(op, lossOption);
  const bptt = typeof options.bptt === 'object' && options.bptt !== null ? options.bptt : { mode: options.bptt ?? 'full' };
  const mode = checkOneOf(op, 'bptt', bptt.mode, ['full', 'truncated', 'random'] as const);
  const meanLength = mode === 'random' ? checkNumber(op, 'bptt.meanLength', bptt.meanLength ?? 16, 1, 1e6) : 0;
  const clipNorm = checkClipNorm(op, options.clipNorm);
  const onNonFinite = checkOneOf(op, 'onNonFinite', options.onNonFinite ?? 'stop', ['stop', 'skip'] as const);
  const yieldEvery = checkInt(op, 'yieldEvery', options.yieldEvery ?? 1, 1);
  const checkpointEvery = options.checkpointEvery ?? 0;
  const dataset = isArrayDataset(data) ? prepareDataset(op, model, data, lossOption, options) : undefined;
  if (dataset && mode !== 'full') throw new InvalidArgumentError(`${op}: a dataset of whole examples trains with bptt 'full'; got '${mode}'`);
  if (!dataset && typeof data !== 'function' && (data === null || typeof (data as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
    throw new InvalidArgumentError(`${op}: argument \`data\` expected an iterable of batches, a function of the epoch returning one, or a dataset { x, y }`);
  }
  const stopping = checkEarlyStopping(op, options.earlyStopping, dataset?.validation !== undefined);
  checkOptionalFunction(op, 'checkpointBest', options.checkpointBest);
  const base = options.optimizer ?? DEFAULT_OPTIMIZER;
  const optimizerConfig = options.schedule === undefined ? base : { ...base, lr: scheduleFromName(op, options.schedule) };
  // Claimed before anything of the model changes (its optimiser, its carried state).
  return withTraining(model, async () => {
    // The model's kept optimiser is replaced (or created, with its state buffers) only once the
    // first batch has passed its check: a call rejected for its data leaves the model as it was.
    let kept: ReturnType<typeof model.optimizerFor> | undefined;
    const optimizer = () => (kept ??= model.optimizerFor(optimizerConfig));
    const rng = new Random(checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff));
    const carry = mode !== 'full';
    model.resetState();
    const watch = new BestWatch(model, stopping, options.checkpointBest);
    const history = await runEpochs<SequenceBatch | TreesBatch>({
      op,
      epochs,
      batches: (epoch) => (dataset ? dataset.batches(rng) : typeof data === 'function' ? data(epoch) : (data as Iterable<SequenceBatch | TreesBatch>)),
      startEpoch: () => {
        if (carry) model.resetState();
      },
      train: (batch, epoch) => {
        // Checked whole, once: a bad part must not come after good segments were trained on.
        const checked = model.checkBatch(batch, lossOption, op);
        const opt = optimizer();
        const segments = mode === 'random' ? randomSegments(checked, meanLength, rng) : [checked];
        const o: BatchOutcome = { sum: 0, count: 0, weight: 0, correct: 0, positions: checked.rows, gradNorm: Number.NaN, clipped: false, skipped: false };
        for (const segment of segments) {
          try {
            const s = model.trainStep(segment, { loss: lossOption, optimizer: opt, clipNorm, carryState: carry, epoch, checkpointEvery });
            o.sum += s.loss * (s.weight ?? s.count);
            o.count += s.count;
            o.weight += s.weight ?? s.count;
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
      classes: loss.kind === 'crossEntropy',
      signal: options.signal,
      onBatchEnd: options.onBatchEnd,
      onEpochEnd: async (info) => {
        if (dataset?.validation) info.validation = dataset.evaluate();
        // The optimiser in use (it may be the one kept from the previous fit) holds the schedule.
        const lr = optimizer().config.lr;
        if (isPlateauSchedule(lr)) lr.epochEnd(info.validation?.loss ?? info.loss);
        const go = await watch.epochEnd(info);
        const user = options.onEpochEnd ? await options.onEpochEnd(info) : undefined;
        return go && user !== false;
      },
      yieldEvery,
    });
    watch.finish();
    return history;
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
