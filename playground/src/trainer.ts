/**
 * One training run in the worker: builds the model, then for every epoch trains on the next
 * window of the book and generates a sample.
 *
 * Each epoch is its own `fit` call because the worker runs calls one after another: a
 * `generate` asked for while a `fit` runs would wait for the whole run. The optimiser's
 * state (Adam's moments, its step count) carries over between the calls: the model keeps it.
 */
import { batchCount, type BatchInfo, type EpochInfo } from 'recurrent';
import type { RecurrentWorker, RemoteModel } from 'recurrent/worker';

import { batchOrderOf, languageModel, optimizerOf, type SampleSettings, type TrainSettings } from './settings.js';

export interface TrainEvents {
  /** After every batch; `step` counts batches over the whole run, from 1. */
  batch(info: BatchInfo, step: number): void;
  /** After every epoch, with the sample generated then. */
  epoch(info: EpochInfo, step: number, sample: string): void;
}

export interface Corpus {
  ids: Int32Array;
  vocab: { toJSON(): { tokens: string[] }; size: number; unkId: number };
}

/** Batches a full pass over the book gives with these settings (the fewest over the offsets drawn). */
export function batchesInBook(corpus: Corpus, s: Pick<TrainSettings, 'batchSize' | 'seqLen' | 'bptt'>): number {
  return batchCount(corpus.ids.length, { batchSize: s.batchSize, seqLen: s.seqLen, order: batchOrderOf(s.bptt) });
}

/**
 * The tokens epoch `epoch` trains on: the whole book, or, with fewer batches per epoch than
 * a pass holds, consecutive windows just long enough for that many batches, so successive
 * epochs move on through the text.
 */
export function epochWindow(corpus: Corpus, s: TrainSettings, epoch: number): Int32Array {
  const ids = corpus.ids;
  // Enough for `batchesPerEpoch` batches from the largest offset the iterators draw (T).
  const length = s.batchesPerEpoch * s.batchSize * s.seqLen + s.seqLen + 1;
  if (length >= ids.length) return ids;
  const start = (epoch * length) % (ids.length - length);
  return ids.subarray(start, start + length);
}

/** Builds a model in the worker for these settings. */
export function buildModel(remote: RecurrentWorker, corpus: Corpus, s: TrainSettings): Promise<RemoteModel> {
  return remote.sequential(languageModel(s, corpus.vocab.size), { seed: s.seed, vocab: corpus.vocab });
}

/** Trains `model` epoch by epoch; rejects with the signal's reason when stopped. */
export async function train(model: RemoteModel, corpus: Corpus, s: TrainSettings, sample: SampleSettings, signal: AbortSignal, events: TrainEvents): Promise<void> {
  let step = 0;
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    signal.throwIfAborted();
    const history = await model.fit(
      { corpus: epochWindow(corpus, s, epoch), order: batchOrderOf(s.bptt), batchSize: s.batchSize, seqLen: s.seqLen, seed: s.seed + epoch },
      {
        epochs: 1,
        bptt: s.bptt === 'random' ? { mode: 'random', meanLength: s.meanLength } : s.bptt,
        optimizer: optimizerOf(s),
        ...(s.clipNorm > 0 ? { clipNorm: s.clipNorm } : {}),
        seed: s.seed + epoch,
        signal,
        onBatchEnd: (info) => events.batch({ ...info, epoch }, ++step),
      },
    );
    const info = history.epochs[0];
    if (!info) return;
    // `<unk>` stands for no character: never print it.
    const text = await model.generate(sample.prefix, { length: sample.length, temperature: sample.temperature, seed: s.seed + epoch, exclude: [corpus.vocab.unkId] });
    events.epoch({ ...info, epoch }, step, text);
  }
}
