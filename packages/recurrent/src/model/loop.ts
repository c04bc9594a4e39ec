/**
 * The training loop every `fit` runs (a model's, an encoder-decoder's): epochs over batches,
 * per-batch and per-epoch reports (loss, perplexity, accuracy, tokens per second),
 * cancellation by signal or by a callback returning `false`, a non-finite step stopping
 * training with where it happened, and yields to the event loop so pages and workers stay
 * responsive. What a batch is and how it trains is the caller's.
 *
 * A metric that does not apply to the loss (perplexity and accuracy of an MSE, MAE, Huber or
 * binary cross-entropy model) is left out of the reports, never NaN or 0: a caller reading
 * `info.accuracy` sees `undefined`, and a report printed or sent to a page has no such field.
 */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import type { Evaluation } from './evaluation.js';

export interface BatchInfo {
  epoch: number;
  batch: number;
  /** Mean loss over the batch's counted positions (over all its segments with bptt 'random'). */
  loss: number;
  /** exp(loss). Cross-entropy only: absent for other losses. */
  perplexity?: number;
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
  /** exp(loss). Cross-entropy only: absent for other losses. */
  perplexity?: number;
  /** Fraction of counted positions whose arg-max is the target. Cross-entropy only: absent for other losses. */
  accuracy?: number;
  tokensPerSecond: number;
  batches: number;
  skippedBatches: number;
  seconds: number;
  /** Loss and metrics on the validation data (`fit` with `validationData` or `validationSplit`). */
  validation?: Evaluation;
}

/** What `fit` returns: one entry per epoch. */
export interface History {
  epochs: EpochInfo[];
}

/** What training on one batch did (it may be several steps: segments of randomized truncation). */
export interface BatchOutcome {
  /** Sum over its steps of loss x weight (counted positions, or their sample weights). */
  sum: number;
  /** Counted positions. */
  count: number;
  /** Sum of the weights of `sum` (its counted positions without sample weights). */
  weight: number;
  /** Counted positions predicted right. */
  correct: number;
  /** Positions it covers, for tokens per second. */
  positions: number;
  /** The last step's gradient norm before clipping (NaN when every step was skipped). */
  gradNorm: number;
  /** Whether clipping scaled the gradient of any step. */
  clipped: boolean;
  /** Whether a non-finite step was skipped. */
  skipped: boolean;
}

/** What {@link runEpochs} runs. */
export interface EpochLoop<B> {
  /** Names the caller in errors (`fit`, `Seq2Seq.fit`). */
  readonly op: string;
  readonly epochs: number;
  /** The batches of `epoch` (from 1, as everywhere: reports, errors, schedules, the CLI). */
  batches(epoch: number): Iterable<B>;
  /** Called before each epoch's first batch. */
  startEpoch?(epoch: number): void;
  /**
   * Trains on one batch. A {@link NonFiniteError} it throws stops training, rethrown with the
   * epoch, the batch and `nonFiniteHint`.
   */
  train(batch: B, epoch: number): BatchOutcome;
  readonly nonFiniteHint: string;
  /** Added to the error when an epoch has no batch. */
  readonly emptyEpochHint: string;
  /**
   * The loss is a cross-entropy over classes: report exp(loss) as perplexity and the arg-max
   * accuracy. Otherwise neither is reported (the properties are absent).
   */
  readonly classes: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly onBatchEnd?: ((info: BatchInfo) => void | boolean | Promise<void | boolean>) | undefined;
  readonly onEpochEnd?: ((info: EpochInfo) => void | boolean | Promise<void | boolean>) | undefined;
  /** Yield to the event loop every this many batches. */
  readonly yieldEvery: number;
}

/** Runs the epochs of `loop`; rejects with the signal's reason when it is aborted. */
export async function runEpochs<B>(loop: EpochLoop<B>): Promise<History> {
  const history: History = { epochs: [] };
  // Spread into a report: the metrics of a class loss, nothing at all otherwise.
  const perplexity = (loss: number): { perplexity?: number } => (loop.classes ? { perplexity: Math.exp(loss) } : {});
  const accuracy = (correct: number, count: number): { accuracy?: number } => (loop.classes && count > 0 ? { accuracy: correct / count } : {});
  for (let epoch = 1; epoch <= loop.epochs; epoch++) {
    const started = performance.now();
    let sum = 0;
    let count = 0;
    let weight = 0;
    let correct = 0;
    let positions = 0;
    let batches = 0;
    let skipped = 0;
    const source = loop.batches(epoch);
    loop.startEpoch?.(epoch);
    for (const batch of source) {
      loop.signal?.throwIfAborted();
      const t0 = performance.now();
      let o: BatchOutcome;
      try {
        o = loop.train(batch, epoch);
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        throw new NonFiniteError(`${loop.op}: epoch ${epoch}, batch ${batches}: ${e.message}. ${loop.nonFiniteHint}`, { cause: e });
      }
      sum += o.sum;
      count += o.count;
      weight += o.weight;
      correct += o.correct;
      positions += o.positions;
      batches++;
      if (o.skipped) skipped++;
      if (loop.onBatchEnd) {
        const seconds = (performance.now() - t0) / 1000;
        const loss = o.weight > 0 ? o.sum / o.weight : Number.NaN;
        const info: BatchInfo = {
          epoch,
          batch: batches - 1,
          loss,
          ...perplexity(loss),
          gradNorm: o.gradNorm,
          clipped: o.clipped,
          tokensPerSecond: o.positions / Math.max(seconds, 1e-9),
          skipped: o.skipped,
        };
        if ((await loop.onBatchEnd(info)) === false) return history;
      }
      if (batches % loop.yieldEvery === 0) await yieldToEventLoop();
    }
    if (batches === 0) throw new InvalidArgumentError(`${loop.op}: the data gave no batch in epoch ${epoch}${loop.emptyEpochHint}`);
    const seconds = (performance.now() - started) / 1000;
    const mean = weight > 0 ? sum / weight : Number.NaN;
    const info: EpochInfo = {
      epoch,
      loss: mean,
      ...perplexity(mean),
      ...accuracy(correct, count),
      tokensPerSecond: positions / Math.max(seconds, 1e-9),
      batches,
      skippedBatches: skipped,
      seconds,
    };
    history.epochs.push(info);
    if (loop.onEpochEnd && (await loop.onEpochEnd(info)) === false) break;
  }
  loop.signal?.throwIfAborted();
  return history;
}

/**
 * Lets the event loop run (timers, I/O, messages, rendering) and resumes as soon as it has:
 * `setImmediate` in Node, a message in browsers. Not `setTimeout(0)`, which waits at least
 * 1 ms (4 ms when nested in browsers): with small batches that was most of the time spent.
 */
export function yieldToEventLoop(): Promise<void> {
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
