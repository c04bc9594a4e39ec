/**
 * The worker side of encoder-decoders: `Seq2Seq` models the worker owns by id, their methods
 * run on request (`translate` with its beam options, `evaluate`, `fit`, state dicts, the file).
 * The model's own checks refuse bad arguments (typed errors cross with their class, see
 * `errors.ts`); what cannot cross (`fit`'s callbacks and signal, functions) is refused here by
 * name before anything runs.
 */
import { InvalidArgumentError } from '../errors.js';
import type { History } from '../model/fit.js';
import { Seq2Seq, type Seq2SeqFitOptions, type Seq2SeqOptions, type Seq2SeqPair, type TranslateOptions } from '../tasks/seq2seq.js';
import { saveSeq2Seq, seq2seqFromBytes } from '../tasks/seq2seq-file.js';

/** The methods a remote encoder-decoder offers, each run as `Seq2Seq.<name>` (`save`: `saveSeq2Seq`). */
export const SEQ2SEQ_METHODS = ['translate', 'evaluate', 'fit', 'stateDict', 'loadStateDict', 'save'] as const;
export type Seq2SeqMethod = (typeof SEQ2SEQ_METHODS)[number];

/** Options of a remote `fit`: the in-thread ones that can cross (no `onEpochEnd`, no `signal`). */
export type RemoteSeq2SeqFitOptions = Omit<Seq2SeqFitOptions, 'onEpochEnd' | 'signal'>;

/**
 * Options of `translate` (in-thread and remote): greedy by default, beam search with
 * `beamWidth > 1`, the attention weights with `returnAttention`. The task's own type (taken
 * from `Seq2Seq['translate']` it would be the last overload's, `returnAttention: true`).
 */
export type { TranslateOptions };

export class Seq2SeqService {
  readonly #models = new Map<number, Seq2Seq>();
  #nextId = 1;

  create(options: Seq2SeqOptions): number {
    return this.#register(new Seq2Seq(options));
  }

  load(bytes: Uint8Array): number {
    return this.#register(seq2seqFromBytes(bytes));
  }

  call(id: number, method: Seq2SeqMethod, args: unknown[]): unknown {
    const m = this.#models.get(id);
    if (!m) throw new InvalidArgumentError(`Seq2Seq.${String(method)}: the model was disposed`);
    switch (method) {
      case 'translate': {
        // The overload is picked by `returnAttention`; the options reach translate as given,
        // so it still checks them.
        const options = args[1] as TranslateOptions | undefined;
        const sources = args[0] as ArrayLike<number>[];
        return options?.returnAttention === true
          ? m.translate(sources, options as TranslateOptions & { returnAttention: true })
          : m.translate(sources, options as (TranslateOptions & { returnAttention?: false }) | undefined);
      }
      case 'evaluate':
        return m.evaluate(args[0] as Seq2SeqPair[], args[1] as { batchSize?: number } | undefined);
      case 'fit':
        return this.#fit(m, args[0] as Seq2SeqPair[], args[1]);
      case 'stateDict':
        return m.stateDict();
      case 'loadStateDict':
        return m.loadStateDict(args[0] as ReadonlyMap<string, ArrayLike<number>>);
      case 'save':
        return saveSeq2Seq(m);
      default:
        throw new InvalidArgumentError(`the worker has no Seq2Seq method ${String(method)}`);
    }
  }

  #fit(m: Seq2Seq, pairs: Seq2SeqPair[], options: unknown): Promise<History> {
    if (typeof options === 'object' && options !== null) {
      for (const name of ['onEpochEnd', 'signal'] as const) {
        if (name in options) throw new InvalidArgumentError(`Seq2Seq.fit: option \`${name}\` cannot cross to a worker; train in epochs and evaluate between them`);
      }
    }
    return m.fit(pairs, options as Seq2SeqFitOptions | undefined);
  }

  dispose(id: number): void {
    this.#models.get(id)?.dispose();
    this.#models.delete(id);
  }

  disposeAll(): void {
    for (const id of [...this.#models.keys()]) this.dispose(id);
  }

  #register(model: Seq2Seq): number {
    const id = this.#nextId++;
    this.#models.set(id, model);
    return id;
  }
}
