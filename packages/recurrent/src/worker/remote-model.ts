/**
 * `RemoteModel` and `RemoteState`: handles on a model and a recurrent state that live in the
 * worker, with the in-thread methods as promises. What they return are copies (their buffers
 * transferred from the worker); what they take is copied, unless a call says `transfer: true`.
 */
import * as Comlink from 'comlink';

import { describe } from '../validate/index.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import type { VocabJSON } from '../data/vocab.js';
import type { BatchInfo, EpochInfo, FitOptions, History } from '../model/fit.js';
import type { GenerateOptions } from '../model/generate.js';
import type { LayerConfig, RecurrentOutput } from '../model/layers.js';
import type { GradientFlow, LossKind, SequenceBatch } from '../model/model-types.js';
import type { LayerStateArrays } from '../model/state.js';
import { startTraining } from '../model/training-lock.js';
import { isAbortError } from './errors.js';
import type { FitData, ModelInfo, WireFitOptions, WorkerApi } from './protocol.js';
import { isDetached } from './sendable.js';
import { freshForTransfer, transferablesOf } from './transfer.js';

/** @internal What a remote handle needs of its client. */
export interface Caller {
  /** Runs `f` in turn; `args` (argument name to what `f` sends) are checked to be sendable first. */
  call<T>(what: string, f: (api: Comlink.Remote<WorkerApi>) => Promise<T>, args?: Readonly<Record<string, unknown>>): Promise<T>;
  readonly direct: Comlink.Remote<WorkerApi>;
  nextCallId(): number;
}

/**
 * @internal `value` marked for comlink to transfer the buffers under `arrays` instead of
 * copying them (a fresh object is marked: see `freshForTransfer`). A buffer already detached
 * is not marked: the call is refused when it is sent, naming the argument.
 */
export function transferArg<T extends object>(value: T, arrays: readonly unknown[]): T {
  const buffers = transferablesOf(arrays);
  if (buffers.length === 0 || buffers.some(isDetached)) return value;
  return Comlink.transfer(freshForTransfer(value), buffers);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Options of a remote `fit`: the in-thread options, plus `transfer`. */
export interface RemoteFitOptions extends FitOptions {
  /**
   * Hand the buffers of the data's typed arrays to the worker instead of copying them; they
   * are detached here afterwards. Default `false`.
   */
  transfer?: boolean;
}

/** Options of a remote `predict`. */
export interface RemotePredictOptions {
  seqLen: number;
  batchSize: number;
  lengths?: ArrayLike<number>;
  logSoftmax?: boolean;
  /** A state from {@link RemoteModel.zeroState} to start from (it receives the final state). */
  state?: RemoteState;
  /** Hand `x`'s buffer to the worker instead of copying it. Default `false`. */
  transfer?: boolean;
}

function dataArrays(data: FitData): unknown[] {
  if ('corpus' in data) return [data.corpus];
  if ('batches' in data && Array.isArray(data.batches)) return data.batches.flatMap((b: unknown) => (isObject(b) ? [b.x, b.y, b.lengths] : []));
  return [];
}

/** The worker's id of `state` (a {@link RemoteState} of `model`), or undefined when not given. */
function stateIdOf(state: unknown, model: RemoteModel, op: string): number | undefined {
  if (state === undefined) return undefined;
  if (!(state instanceof RemoteState)) {
    throw new InvalidArgumentError(`${op}: argument \`state\` expected a RemoteState (from model.zeroState), got ${describe(state)}`);
  }
  return state.idFor(model, op);
}

/** A model living in the worker. */
export class RemoteModel {
  readonly #caller: Caller;
  readonly #id: number;
  #disposed = false;
  /** The layer configs it was built from. */
  readonly configs: readonly LayerConfig[];
  readonly seed: number;
  readonly tokenizer: 'char' | 'word';
  /** The vocabulary kept with the model, as JSON. */
  readonly vocab: VocabJSON | null;
  readonly featureSize: number;
  readonly outputSize: number;
  readonly takesTokens: boolean;
  readonly output: RecurrentOutput;
  readonly parameterCount: number;
  /** Every parameter's PyTorch name and shape. */
  readonly parameters: readonly { name: string; shape: number[] }[];

  /** @internal Made by `RecurrentWorker.sequential` and `loadModel`. */
  constructor(caller: Caller, info: ModelInfo) {
    this.#caller = caller;
    this.#id = info.id;
    this.configs = info.configs;
    this.seed = info.seed;
    this.tokenizer = info.tokenizer;
    this.vocab = info.vocab;
    this.featureSize = info.featureSize;
    this.outputSize = info.outputSize;
    this.takesTokens = info.takesTokens;
    this.output = info.output;
    this.parameterCount = info.parameterCount;
    this.parameters = info.parameters;
  }

  /** Whether {@link RemoteModel.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #call<T>(what: string, f: (api: Comlink.Remote<WorkerApi>, id: number) => Promise<T>, args: Readonly<Record<string, unknown>>): Promise<T> {
    if (this.#disposed) return Promise.reject(new DisposedError(`${what}: this model was disposed and cannot be used`));
    return this.#caller.call(what, (api) => f(api, this.#id), args);
  }

  /**
   * Trains in the worker (as `fit` in-thread). `data` is described by value: a corpus of
   * token ids with the iterator's options, or explicit batches. `onBatchEnd`/`onEpochEnd`
   * are called here (returning `false` stops, as in-thread); `signal` stops training after
   * the current batch, and the promise rejects with the signal's reason. A learning-rate
   * schedule (a function) cannot cross: give a number. As in-thread, one `fit` per model at
   * a time: while one is queued or running, another rejects with `InvalidArgumentError`.
   */
  fit(data: FitData, options: RemoteFitOptions = {}): Promise<History> {
    if (!isObject(options)) {
      // The worker's `fit` refuses it, with the in-thread error.
      return this.#startFit(data, options as WireFitOptions, undefined, undefined, undefined, false);
    }
    const { signal, onBatchEnd, onEpochEnd, transfer, ...rest } = options;
    if (typeof (rest.optimizer as { lr?: unknown } | undefined)?.lr === 'function') {
      return Promise.reject(new InvalidArgumentError('fit: a learning-rate schedule is a function and cannot cross to a worker; give `lr` as a number'));
    }
    if (typeof data !== 'object' || data === null) {
      return Promise.reject(new InvalidArgumentError('fit: argument `data` expected { corpus, order, batchSize, seqLen, seed? } or { batches }'));
    }
    // What is not what it should be (a callback that is not a function, a signal that is not
    // an AbortSignal) goes to the worker as it is, for its `fit` to refuse with its own error.
    const wire: Record<string, unknown> = { ...rest };
    if (onBatchEnd !== undefined && typeof onBatchEnd !== 'function') wire.onBatchEnd = onBatchEnd;
    if (onEpochEnd !== undefined && typeof onEpochEnd !== 'function') wire.onEpochEnd = onEpochEnd;
    const abortSignal = signal instanceof AbortSignal ? signal : undefined;
    if (signal !== undefined && !abortSignal) wire.signal = signal;
    if (abortSignal?.aborted) return Promise.reject(abortSignal.reason);
    // Only `false` crosses back (to stop): whatever else a callback returns stays here, as
    // in-thread, instead of failing to be copied.
    const batchCb = typeof onBatchEnd === 'function' ? Comlink.proxy(async (info: BatchInfo) => ((await onBatchEnd(info)) === false ? false : undefined)) : undefined;
    const epochCb = typeof onEpochEnd === 'function' ? Comlink.proxy(async (info: EpochInfo) => ((await onEpochEnd(info)) === false ? false : undefined)) : undefined;
    return this.#startFit(data, wire as WireFitOptions, batchCb, epochCb, abortSignal, transfer === true);
  }

  #startFit(
    data: FitData,
    wire: WireFitOptions,
    batchCb: Parameters<WorkerApi['fit']>[3],
    epochCb: Parameters<WorkerApi['fit']>[4],
    signal: AbortSignal | undefined,
    transfer: boolean,
  ): Promise<History> {
    if (this.#disposed) return Promise.reject(new DisposedError('fit: this model was disposed and cannot be used'));
    let done: () => void;
    try {
      done = startTraining(this);
    } catch (e) {
      return Promise.reject(e);
    }
    const arg = transfer && isObject(data) ? transferArg(data, dataArrays(data)) : data;
    const callId = this.#caller.nextCallId();
    const result = this.#call(
      'fit',
      async (api, id) => {
        if (signal?.aborted) throw signal.reason;
        const onAbort = () => void this.#caller.direct.abort(callId).catch(() => undefined);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          return await api.fit(id, arg, wire, batchCb, epochCb, callId);
        } catch (e) {
          if (signal?.aborted && isAbortError(e)) throw signal.reason;
          throw e;
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      },
      { data: arg, options: wire },
    );
    return result.finally(done);
  }

  /** Loss (and accuracy counts) of a batch, changing nothing. */
  evaluate(batch: SequenceBatch, loss: LossKind = 'crossEntropy', options: { carryState?: boolean; state?: RemoteState } = {}): Promise<{ loss: number; count: number; correct: number }> {
    let wire: unknown = options;
    if (isObject(options)) {
      const { state, ...rest } = options;
      try {
        const stateId = stateIdOf(state, this, 'evaluate');
        wire = { ...rest, ...(stateId !== undefined ? { stateId } : {}) };
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#call('evaluate', (api, id) => api.evaluate(id, batch, loss, wire as Parameters<WorkerApi['evaluate']>[3]), { batch, loss, options: wire });
  }

  /** The model's output for a batch (as `predict` in-thread). */
  predict(x: ArrayLike<number>, options: RemotePredictOptions): Promise<Float32Array> {
    let wire: unknown = options;
    let arg: unknown = x;
    if (isObject(options)) {
      const { state, transfer, ...rest } = options;
      try {
        const stateId = stateIdOf(state, this, 'predict');
        wire = { ...rest, ...(stateId !== undefined ? { stateId } : {}) };
      } catch (e) {
        return Promise.reject(e);
      }
      if (transfer === true && isObject(x)) arg = transferArg(x, [x]);
    }
    return this.#call('predict', (api, id) => api.predict(id, arg as ArrayLike<number>, wire as Parameters<WorkerApi['predict']>[2]), { x: arg, options: wire });
  }

  /** Per-step norms of dL/dh_t on one batch (no update). */
  gradientFlow(batch: SequenceBatch, loss: LossKind = 'crossEntropy'): Promise<GradientFlow[]> {
    return this.#call('gradientFlow', (api, id) => api.gradientFlow(id, batch, loss), { batch, loss });
  }

  /** Generates a continuation of a text prefix (text back) or of token ids (ids back). */
  generate(prefix: string, options: GenerateOptions): Promise<string>;
  generate(prefix: ArrayLike<number>, options: GenerateOptions): Promise<number[]>;
  generate(prefix: string | ArrayLike<number>, options: GenerateOptions): Promise<string | number[]> {
    return this.#call('generate', (api, id) => api.generate(id, prefix, options) as Promise<string | number[]>, { prefix, options });
  }

  /** A zero recurrent state for `batchSize` sequences, for {@link RemoteModel.step}. */
  async zeroState(batchSize: number): Promise<RemoteState> {
    const stateId = await this.#call('zeroState', (api, id) => api.zeroState(id, batchSize), { batchSize });
    return new RemoteState(this.#caller, this, stateId, batchSize);
  }

  /** One streaming step; `state` is updated in the worker. Returns the output `[B, O]`. */
  step(x: ArrayLike<number>, state: RemoteState, options: { logSoftmax?: boolean } = {}): Promise<Float32Array> {
    let stateId: number | undefined;
    try {
      stateId = stateIdOf(state, this, 'step');
    } catch (e) {
      return Promise.reject(e);
    }
    if (stateId === undefined) {
      return Promise.reject(new InvalidArgumentError('step: argument `state` expected a RemoteState (from model.zeroState), got undefined'));
    }
    const id = stateId;
    return this.#call('step', (api, modelId) => api.step(modelId, id, x, options), { x, options });
  }

  /** Forgets the state carried between batches. */
  resetState(): Promise<void> {
    return this.#call('resetState', (api, id) => api.resetState(id), {});
  }

  /** The bytes of a model file (safetensors with the config), transferred from the worker. */
  save(): Promise<Uint8Array> {
    return this.#call('save', (api, id) => api.save(id), {});
  }

  /** Every parameter by its PyTorch name (copies). */
  stateDict(): Promise<Map<string, Float32Array>> {
    return this.#call('stateDict', (api, id) => api.stateDict(id), {});
  }

  /** Sets parameters from a state dict (as `loadStateDict` in-thread, which checks it in the worker). */
  loadStateDict(dict: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>, options: { strict?: boolean } = {}): Promise<void> {
    return this.#call('loadStateDict', (api, id) => api.loadStateDict(id, dict, options), { dict, options });
  }

  /** Frees the model (and its states) in the worker. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#caller.call('dispose', (api) => api.disposeModel(this.#id)).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** A recurrent state living in the worker (see `ModelState`). */
export class RemoteState {
  #disposed = false;

  /** @internal */
  constructor(
    private readonly caller: Caller,
    private readonly model: RemoteModel,
    private readonly id: number,
    /** Sequences B this state is for. */
    readonly batchSize: number,
  ) {}

  /** @internal The worker-side id, checked to belong to `model`. */
  idFor(model: RemoteModel, what: string): number {
    if (this.#disposed) throw new DisposedError(`${what}: this state was disposed and cannot be used`);
    if (model !== this.model) throw new InvalidArgumentError(`${what}: this state belongs to another model`);
    return this.id;
  }

  #call<T>(what: string, f: (api: Comlink.Remote<WorkerApi>) => Promise<T>, args: Readonly<Record<string, unknown>>): Promise<T> {
    if (this.#disposed) return Promise.reject(new DisposedError(`${what}: this state was disposed and cannot be used`));
    return this.caller.call(what, f, args);
  }

  /** A copy of recurrent layer `index`'s state. */
  get(index: number): Promise<LayerStateArrays> {
    return this.#call('ModelState.get', (api) => api.getState(this.id, index), { index });
  }

  /** Overwrites recurrent layer `index`'s state. */
  set(index: number, value: Partial<LayerStateArrays>): Promise<void> {
    return this.#call('ModelState.set', (api) => api.setState(this.id, index, value), { index, value });
  }

  /** Sets every value to zero. */
  reset(): Promise<void> {
    return this.#call('ModelState.reset', (api) => api.zeroStateValues(this.id), {});
  }

  /** Frees the state in the worker. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.caller.call('ModelState.dispose', (api) => api.disposeState(this.id)).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
