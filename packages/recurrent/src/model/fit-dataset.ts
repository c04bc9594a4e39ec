/**
 * What `fit` adds for a dataset of whole examples (batching, shuffling, a validation split or
 * validation data evaluated per epoch) and for watching a loss across epochs (early stopping,
 * putting back the best parameters, saving the best model).
 */
import type { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkOptionalBoolean, checkRange, type SequenceBatch, type TreesBatch } from '../validate/index.js';
import { type ArrayDataset, type ExampleShape, type Examples, exampleBatches, sliceExamples, toExamples } from './dataset.js';
import { type Evaluation, evaluateExamples, exampleShape } from './evaluation.js';
import type { EpochInfo } from './loop.js';
import type { Model } from './model.js';
import type { Loss } from './model-types.js';
import { saveModel } from './serialize.js';

/** A dataset ready for `fit`: its batches per epoch, and its validation part. */
export interface PreparedDataset {
  batches(rng: Random): Iterable<SequenceBatch | TreesBatch>;
  /** Undefined without validation data. */
  readonly validation: Examples | undefined;
  evaluate(): Evaluation;
}

/** The options of `fit` that a dataset reads. */
interface DatasetOptions {
  batchSize?: number;
  shuffle?: boolean;
  timeMajor?: boolean;
  validationData?: ArrayDataset;
  validationSplit?: number;
}

/** Checks and splits `data` (and the validation options) for `model` and `loss`. */
export function prepareDataset(op: string, model: Model, data: ArrayDataset, loss: Loss, o: DatasetOptions): PreparedDataset {
  const batchSize = checkInt(op, 'batchSize', o.batchSize ?? 32, 1);
  checkOptionalBoolean(op, 'shuffle', o.shuffle);
  checkOptionalBoolean(op, 'timeMajor', o.timeMajor);
  const split = checkRange(op, 'validationSplit', o.validationSplit ?? 0, { min: 0, max: 1, maxOpen: true });
  if (split > 0 && o.validationData !== undefined) throw new InvalidArgumentError(`${op}: give \`validationData\` or \`validationSplit\`, not both`);
  const shape: ExampleShape = exampleShape(model, loss);
  const timeMajor = o.timeMajor ?? false;
  let train = toExamples(op, data, shape, timeMajor);
  let validation: Examples | undefined;
  if (o.validationData !== undefined) validation = toExamples(`${op}: validationData`, o.validationData, shape, timeMajor);
  else if (split > 0) {
    const n = train.x.length;
    const held = Math.floor(n * split);
    if (held < 1 || held >= n) throw new InvalidArgumentError(`${op}: \`validationSplit\` ${split} of ${n} examples leaves no validation or no training example`);
    validation = sliceExamples(train, n - held, n);
    train = sliceExamples(train, 0, n - held);
  }
  const shuffle = o.shuffle ?? true;
  return {
    batches: (rng) => exampleBatches(train, shape, batchSize, shuffle ? rng : undefined),
    validation,
    evaluate: () => evaluateExamples(model, validation!, shape, loss, batchSize),
  };
}

/** Checked early-stopping options with their defaults, or undefined. */
export interface Stopping {
  readonly monitor: 'loss' | 'valLoss';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
}

export function checkEarlyStopping(op: string, o: unknown, hasValidation: boolean): Stopping | undefined {
  if (o === undefined) return undefined;
  checkObject(op, 'earlyStopping', o, 'an options object { monitor, patience, minDelta, restoreBest }');
  checkKnownKeys(`${op}: earlyStopping`, o as object, ['monitor', 'patience', 'minDelta', 'restoreBest'], { restoreBestWeights: '`restoreBest`', min_delta: '`minDelta`' });
  const e = o as { monitor?: unknown; patience?: unknown; minDelta?: unknown; restoreBest?: unknown };
  const monitor = checkOneOf(op, 'earlyStopping.monitor', e.monitor ?? (hasValidation ? 'valLoss' : 'loss'), ['loss', 'valLoss'] as const);
  if (monitor === 'valLoss' && !hasValidation) throw new InvalidArgumentError(`${op}: earlyStopping monitors 'valLoss' but there is no validationData or validationSplit`);
  checkOptionalBoolean(op, 'earlyStopping.restoreBest', e.restoreBest);
  return {
    monitor,
    patience: checkInt(op, 'earlyStopping.patience', e.patience ?? 0, 0),
    minDelta: checkNumber(op, 'earlyStopping.minDelta', e.minDelta ?? 0, 0, Number.MAX_VALUE),
    restoreBest: (e.restoreBest as boolean | undefined) ?? false,
  };
}

/** Tracks the best epoch of a monitored loss: stops, restores, checkpoints. */
export class BestWatch {
  #best = Number.POSITIVE_INFINITY;
  #since = 0;
  #snapshot: Map<string, Float32Array> | undefined;

  constructor(
    private readonly model: Model,
    private readonly stopping: Stopping | undefined,
    private readonly checkpoint: ((bytes: Uint8Array, info: EpochInfo) => void | Promise<void>) | undefined,
  ) {}

  /** After an epoch: whether to go on. */
  async epochEnd(info: EpochInfo): Promise<boolean> {
    if (!this.stopping && !this.checkpoint) return true;
    const monitor = this.stopping?.monitor ?? (info.validation ? 'valLoss' : 'loss');
    const value = monitor === 'valLoss' ? info.validation!.loss : info.loss;
    if (value < this.#best - (this.stopping?.minDelta ?? 0)) {
      this.#best = value;
      this.#since = 0;
      if (this.stopping?.restoreBest) this.#snapshot = this.model.stateDict();
      if (this.checkpoint) await this.checkpoint(saveModel(this.model), info);
      return true;
    }
    this.#since++;
    // As Keras: stop once `patience` epochs in a row have not improved.
    return !this.stopping || this.#since < this.stopping.patience;
  }

  /** When training ends: the best epoch's parameters back, if asked. */
  finish(): void {
    if (this.#snapshot) this.model.loadStateDict(this.#snapshot);
  }
}
