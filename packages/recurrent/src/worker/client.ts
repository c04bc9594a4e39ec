/**
 * The client of the recurrent worker: {@link spawnWorker} starts a worker (Node
 * `worker_threads` or a browser module Worker), loads the engine inside it, and returns a
 * {@link RecurrentWorker} whose methods are the model API as promises.
 *
 * As squoosh's worker bridge does: every call goes through one serial queue, so calls run in
 * the order they were made; a `fit` takes an `AbortSignal` (forwarded as a message the worker
 * checks between batches, since signals cannot cross); a worker that ends for any reason
 * rejects every pending and queued call with {@link WorkerExitedError}, so nothing hangs.
 * Arguments that cannot cross (functions, buffers an earlier call transferred) reject their
 * call with `InvalidArgumentError` naming the argument, and the queue goes on.
 */
import type { TreeClassifierOptions } from '../trees/options.js';
import { RemoteTreeClassifier } from './remote-tree.js';
import { RemoteSeq2Seq } from './remote-seq2seq.js';
import type { Seq2SeqOptions } from '../tasks/seq2seq.js';
import * as Comlink from 'comlink';

import { describe } from '../validate/index.js';
import { DisposedError, InitError, InvalidArgumentError } from '../errors.js';
import type { VocabJSON } from '../data/vocab.js';
import type { LayerConfig } from '../model/layers.js';
import { registerErrorTransfer, type WorkerExitedError } from './errors.js';
import type { EngineInfo, WorkerApi, WireSequentialOptions } from './protocol.js';
import { type SimdLevel, simdFromEnvironment } from '../engine/bindings.js';
import { type Caller, RemoteModel, transferArg } from './remote-model.js';
import { checkSendable } from './sendable.js';
import { sequencedEndpoint } from './sequenced-endpoint.js';
import { startWorker, type WorkerHandle } from './spawn.js';

registerErrorTransfer(Comlink as unknown as Parameters<typeof registerErrorTransfer>[0]);

/** Options of {@link spawnWorker}. */
export interface SpawnWorkerOptions {
  /**
   * Threads for the kernels inside the worker, its own included: `'auto'` (every logical
   * processor), `1`, or a number. In a page that is not cross-origin isolated the
   * single-threaded build runs instead, with one console warning. Default `'auto'`.
   */
  threads?: number | 'auto';
  /** Folder URL holding the `simd/`, `threads/`, `relaxed/` and `relaxed-threads/` wasm folders, if a bundler moved them. */
  wasmBaseUrl?: string | URL;
  /**
   * The SIMD build inside the worker: `'relaxed'` (fused multiply-add; an `InitError` where the
   * runtime lacks relaxed SIMD) or `'baseline'` (see `init`). Default: `RECURRENT_SIMD` of the
   * spawning page or process when set, else relaxed where it validates.
   */
  simd?: SimdLevel;
  /**
   * Browsers without a bundler: the URL of comlink's ES module (`comlink/dist/esm/comlink.mjs`)
   * for the worker, which cannot see the page's import map. Default: resolved from the page's
   * import map with `import.meta.resolve`.
   */
  comlinkUrl?: string | URL;
  /** How long starting the worker and loading the engine may take. Default 30 000 ms. */
  timeoutMs?: number;
}

/** The vocabulary as a remote `sequential` takes it: a `Vocab`, its JSON, or its tokens. */
export type VocabLike = { toJSON(): VocabJSON } | VocabJSON | readonly string[];

/** Options of a remote {@link RecurrentWorker.sequential}. */
export interface RemoteSequentialOptions {
  /** Seed of the parameter initialisation (and of dropout masks). Default `0`. */
  seed?: number;
  /** Features per step when there is no input layer. */
  inputSize?: number;
  /** A vocabulary to keep with the model. */
  vocab?: VocabLike;
  /** How `generate` splits text into tokens. Default `'char'`. */
  tokenizer?: 'char' | 'word';
}

/**
 * Starts a worker that owns its own engine (and, with threads, its own pool), and returns
 * its client. Rejects with `InitError` if the worker or the engine cannot start.
 *
 * ```ts
 * const remote = await spawnWorker({ threads: 2 });
 * const model = await remote.sequential([embedding({ vocabSize, dim: 32 }), lstm({ units: 128 }), dense({ units: vocabSize })], { seed: 1, vocab });
 * await model.fit({ corpus, order: 'sequential', batchSize: 32, seqLen: 35 }, { bptt: 'truncated', signal, onBatchEnd: (b) => console.log(b.loss) });
 * console.log(await model.generate('time traveller', { length: 50 }));
 * await remote.dispose();
 * ```
 */
export async function spawnWorker(options: SpawnWorkerOptions = {}): Promise<RecurrentWorker> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new InvalidArgumentError(`spawnWorker: option \`timeoutMs\` expected a number > 0, got ${String(options.timeoutMs)}`);
  }
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new InvalidArgumentError(`spawnWorker: option \`threads\` expected 'auto' or an integer in [1, 256], got ${String(threads)}`);
  }
  if (options.simd !== undefined && options.simd !== 'relaxed' && options.simd !== 'baseline') {
    throw new InvalidArgumentError(`spawnWorker: option \`simd\` expected 'relaxed' or 'baseline', got ${String(options.simd)}`);
  }
  // RECURRENT_SIMD of this page or process applies to the worker's engine too: a browser
  // worker does not see the page's globals (a Node worker inherits the environment anyway).
  const fromEnv = options.simd === undefined ? simdFromEnvironment() : undefined;
  if (fromEnv !== undefined && fromEnv !== 'relaxed' && fromEnv !== 'baseline') {
    throw new InitError(`spawnWorker: the environment variable RECURRENT_SIMD expected 'relaxed' or 'baseline', got '${fromEnv}'`);
  }
  const simd: SimdLevel | undefined = options.simd ?? fromEnv;
  const handle = await startWorker({
    timeoutMs,
    ...(options.comlinkUrl !== undefined ? { comlinkUrl: new URL(options.comlinkUrl.toString(), baseHref()).href } : {}),
  });
  const client = new RecurrentWorker(handle);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InitError(`spawnWorker: the engine did not load within ${timeoutMs} ms`)), timeoutMs);
    });
    const info = await Promise.race([
      client.call('init', (api) =>
        api.init({
          threads,
          ...(simd !== undefined ? { simd } : {}),
          ...(options.wasmBaseUrl !== undefined ? { wasmBaseUrl: new URL(options.wasmBaseUrl.toString(), baseHref()).href } : {}),
        }),
      ),
      timeout,
    ]);
    client.engine = info;
    return client;
  } catch (e) {
    await client.terminate();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function baseHref(): string | undefined {
  return typeof location === 'undefined' ? undefined : location.href;
}

const noop = () => undefined;

/**
 * A worker running the engine, and the model API through it. Every method returns a promise
 * and runs after the calls made before it. Dispose it (`await remote.dispose()`, or
 * `await using`) to free the worker's memory and end it; an idle worker does not keep a Node
 * process alive.
 */
export class RecurrentWorker implements Caller {
  /** What was loaded in the worker when it started (see {@link RecurrentWorker.engineInfo}). */
  engine!: EngineInfo;
  readonly #handle: WorkerHandle;
  readonly #api: Comlink.Remote<WorkerApi>;
  readonly #died: Promise<never>;
  #exit: WorkerExitedError | undefined;
  #closing: Promise<void> | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #nextCallId = 1;

  /** @internal Use {@link spawnWorker}. */
  constructor(handle: WorkerHandle) {
    this.#handle = handle;
    this.#api = Comlink.wrap<WorkerApi>(sequencedEndpoint(handle.endpoint, (l) => handle.onMessageError(l)));
    this.#died = new Promise<never>((_, reject) => {
      handle.onExit((e) => {
        this.#exit = e;
        reject(e);
      });
    });
    this.#died.catch(noop);
    handle.unref();
  }

  /** The underlying worker: a Node `worker_threads` Worker or a browser `Worker`. */
  get worker(): unknown {
    return this.#handle.worker;
  }

  /** Whether the worker is running and not disposed. */
  get alive(): boolean {
    return this.#exit === undefined && this.#closing === undefined;
  }

  /** Which build runs in the worker, with how many threads, and its memory now. */
  engineInfo(): Promise<EngineInfo> {
    return this.call('engineInfo', (api) => api.engineInfo());
  }

  /** A model in the worker, from layer configs (as `sequential` in-thread). */
  async sequential(layers: readonly LayerConfig[], options: RemoteSequentialOptions = {}): Promise<RemoteModel> {
    // Anything but an options object goes as it is, for the worker's `sequential` to refuse
    // with its own error.
    let wire = options as WireSequentialOptions;
    if (typeof options === 'object' && options !== null && options.vocab !== undefined) {
      const { vocab, ...rest } = options;
      wire = { ...rest, vocab: vocabJSON(vocab) };
    }
    const wireLayers = Array.isArray(layers) ? [...(layers as LayerConfig[])] : layers;
    const info = await this.call('sequential', (api) => api.sequential(wireLayers as LayerConfig[], wire), { layers: wireLayers, options: wire });
    return new RemoteModel(this, info);
  }

  /**
   * A model in the worker from the bytes of a model file (`save()`, `saveModel`). With
   * `transfer: true` the bytes' buffer is handed over (and detached here) instead of copied.
   */
  async loadModel(bytes: Uint8Array, options: { transfer?: boolean } = {}): Promise<RemoteModel> {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('loadModel: expected the bytes of a model file (Uint8Array)');
    const arg = options.transfer ? transferArg(bytes, [bytes]) : bytes;
    const info = await this.call('loadModel', (api) => api.loadModel(arg), { bytes });
    return new RemoteModel(this, info);
  }

  /** A tree classifier in the worker (as `new TreeClassifier(options)` in-thread; `vocab` as for {@link RecurrentWorker.sequential}). */
  async treeClassifier(options: Omit<TreeClassifierOptions, 'vocab'> & { vocab: VocabLike }): Promise<RemoteTreeClassifier> {
    const wire = { ...options, vocab: vocabJSON(options.vocab) };
    return new RemoteTreeClassifier(this, await this.call('treeClassifier', (api) => api.treeClassifier(wire), { options: wire }));
  }

  /** An encoder-decoder in the worker (as `new Seq2Seq(options)` in-thread). */
  async seq2seq(options: Seq2SeqOptions): Promise<RemoteSeq2Seq> {
    return new RemoteSeq2Seq(this, await this.call('seq2seq', (api) => api.seq2seq(options), { options }));
  }

  /** An encoder-decoder in the worker from the bytes of `saveSeq2Seq`. */
  async loadSeq2Seq(bytes: Uint8Array): Promise<RemoteSeq2Seq> {
    return new RemoteSeq2Seq(this, await this.call('loadSeq2Seq', (api) => api.loadSeq2Seq(bytes), { bytes }));
  }

  /** A tree classifier in the worker from the bytes of `saveTreeClassifier`. */
  async loadTreeClassifier(bytes: Uint8Array): Promise<RemoteTreeClassifier> {
    return new RemoteTreeClassifier(this, await this.call('loadTreeClassifier', (api) => api.loadTreeClassifier(bytes), { bytes }));
  }

  /**
   * Frees every model in the worker and the engine (its wasm memory and pool), then ends the
   * worker. Runs after the calls queued before it; later calls reject with `DisposedError`.
   */
  dispose(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#enqueue('dispose', (api) => api.shutdown());
      } catch {
        // The worker is gone already or failed to clean up: ending it frees everything anyway.
      }
      await this.#handle.terminate('the recurrent worker was disposed');
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * Ends the worker now, without waiting for running calls: they and every queued call
   * reject with {@link WorkerExitedError}.
   */
  async terminate(): Promise<void> {
    this.#closing ??= Promise.resolve();
    await this.#handle.terminate('the recurrent worker was terminated');
  }

  /**
   * @internal Runs `f` after every call made before, unless the worker is closed or gone.
   * `args` (argument name to what `f` sends) are checked to be sendable just before `f` runs.
   */
  call<T>(what: string, f: (api: Comlink.Remote<WorkerApi>) => Promise<T>, args?: Readonly<Record<string, unknown>>): Promise<T> {
    if (this.#closing) return Promise.reject(new DisposedError(`${what}: this recurrent worker was disposed or terminated`));
    if (this.#exit) return Promise.reject(this.#exit);
    return this.#enqueue(what, f, args);
  }

  /** @internal The proxy itself, bypassing the queue (for aborts). */
  get direct(): Comlink.Remote<WorkerApi> {
    return this.#api;
  }

  /** @internal */
  nextCallId(): number {
    return this.#nextCallId++;
  }

  #enqueue<T>(what: string, f: (api: Comlink.Remote<WorkerApi>) => Promise<T>, args?: Readonly<Record<string, unknown>>): Promise<T> {
    if (this.#pending++ === 0) this.#handle.ref();
    const run = async (): Promise<T> => {
      if (this.#exit) throw this.#exit;
      if (args) checkSendable(what, args);
      try {
        return await Promise.race([f(this.#api), this.#died]);
      } catch (e) {
        throw cloneErrorAsArgumentError(what, e);
      }
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.then(noop, noop);
    return result.finally(() => {
      if (--this.#pending === 0) this.#handle.unref();
    });
  }
}

/**
 * A `DataCloneError` (thrown by `postMessage`, or the worker's answer to a message it could
 * not read), or Node's error for a port outside the transfer list, means an argument could
 * not cross: an `InvalidArgumentError`, as in-thread.
 */
function cloneErrorAsArgumentError(what: string, e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return e;
  const { name, code } = e as { name?: unknown; code?: unknown };
  if (name !== 'DataCloneError' && code !== 'ERR_MISSING_TRANSFERABLE_IN_TRANSFER_LIST') return e;
  return new InvalidArgumentError(`${what}: an argument cannot be sent to the worker: ${(e as Error).message}`, { cause: e });
}

function vocabJSON(vocab: VocabLike): VocabJSON {
  if (Array.isArray(vocab)) return { tokens: [...(vocab as readonly string[])] };
  const v = vocab as { toJSON?: unknown; tokens?: unknown } | null;
  if (typeof v === 'object' && v !== null) {
    if (typeof v.toJSON === 'function') return (v as { toJSON(): VocabJSON }).toJSON();
    if (Array.isArray(v.tokens)) return { tokens: [...(v.tokens as string[])] };
  }
  throw new InvalidArgumentError(`sequential: option \`vocab\` expected a Vocab, its JSON { tokens } or an array of tokens, got ${describe(vocab)}`);
}
