/**
 * A {@link Seq2Seq} in the worker: its methods as promises (pairs and token-id arrays cross as
 * they are), `translate` with its beam options (`beamWidth`, `lengthPenalty`, `maxLength`).
 */
import type { History } from '../model/fit.js';
import type { Seq2SeqPair, Translations } from '../tasks/seq2seq.js';
import { type RemoteKind, RemoteHandle } from './remote-handle.js';
import type { Caller } from './remote-model.js';
import type { RemoteSeq2SeqFitOptions, Seq2SeqMethod, TranslateOptions } from './seq2seq-service.js';

const KIND: RemoteKind<Seq2SeqMethod> = {
  name: 'Seq2Seq',
  call: (api, id, method, values) => api.callSeq2Seq(id, method, ...values),
  dispose: (api, id) => api.disposeSeq2Seq(id),
};

export class RemoteSeq2Seq extends RemoteHandle<Seq2SeqMethod> {
  /** @internal Made by `RecurrentWorker.seq2seq` and `loadSeq2Seq`. */
  constructor(caller: Caller, id: number) {
    super(caller, id, KIND);
  }

  /**
   * For each source, the decoded target ids (without `eos`), as `Seq2Seq.translate`: greedy by
   * default; `beamWidth > 1` keeps that many hypotheses per source, ranked with GNMT's length
   * normalisation `lengthPenalty`; `returnAttention` (attention models) also the weights each
   * token was produced with.
   */
  translate(sources: readonly ArrayLike<number>[], options?: TranslateOptions & { returnAttention?: false }): Promise<number[][]>;
  translate(sources: readonly ArrayLike<number>[], options: TranslateOptions & { returnAttention: true }): Promise<Translations>;
  translate(sources: readonly ArrayLike<number>[], options: TranslateOptions = {}): Promise<number[][] | Translations> {
    return this.call('translate', { sources, options });
  }

  /** Teacher-forced loss and per-token accuracy on `pairs`. */
  evaluate(pairs: readonly Seq2SeqPair[], options: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number; count: number }> {
    return this.call('evaluate', { pairs, options });
  }

  /** Trains in the worker (as `Seq2Seq.fit`; `onEpochEnd` and `signal` cannot cross). */
  fit(pairs: readonly Seq2SeqPair[], options: RemoteSeq2SeqFitOptions = {}): Promise<History> {
    return this.call('fit', { pairs, options });
  }

  /** Every parameter, `encoder.<name>` and `decoder.<name>` (copies). */
  stateDict(): Promise<Map<string, Float32Array>> {
    return this.call('stateDict', {});
  }

  loadStateDict(dict: ReadonlyMap<string, ArrayLike<number>>): Promise<void> {
    return this.call('loadStateDict', { dict });
  }

  /** The model's file (`saveSeq2Seq`). */
  save(): Promise<Uint8Array> {
    return this.call('save', {});
  }
}
