/**
 * `RemoteModel` and `RemoteState`: handles on a model and a recurrent state that live in the
 * worker, with the in-thread methods as promises. What they return are copies (their buffers
 * transferred from the worker); what they take is copied, unless a call says `transfer: true`.
 */
import * as Comlink from 'comlink';

import { describe, isDetached } from '../validate/index.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import type { VocabJSON } from '../data/vocab.js';
import type { BatchInfo, EpochInfo, FitOptions, History } from '../model/fit.js';
import type { LayerConfig, RecurrentOutput } from '../model/layers.js';
import { startTraining } from '../model/training-lock.js';
import { isAbortError } from './errors.js';
import { type MethodSpec, MODEL_METHODS, type ModelMethod, type RemoteModelMethods, type RemoteStateMethods, STATE_METHODS, type StateMethod } from './methods.js';
import type { FitData, ModelInfo, WireFitOptions, WorkerApi } from './protocol.js';
import { freshForTransfer, transferablesOf } from './transfer.js';

export type { RemotePredictOptions } from './methods.js';

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

function dataArrays(data: FitData): unknown[] {
  if ('corpus' in data) return [data.corpus];
  if ('x' in data) return [data.x, data.y, data.lengths].flatMap((a) => (isObject(a) && 'data' in a ? [a.data] : [a]));
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

/**
 * A model living in the worker: the in-thread methods of `Model` as promises (the list is
 * {@link MODEL_METHODS}), states by {@link RemoteState} handle.
 */
export interface RemoteModel extends RemoteModelMethods {}

/** A model living in the worker (see the interface of the same name for its derived methods). */
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
  /** Whether a tree encoder comes first (batches hold trees, `predict` takes them). */
  readonly takesTrees: boolean;
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
    this.takesTrees = info.takesTrees;
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
      return Promise.reject(new InvalidArgumentError("fit: a learning-rate schedule is a function and cannot cross to a worker; give `lr` as a number, or the option `schedule: { name: 'cosineWithWarmup', ... }`"));
    }
    if (typeof rest.checkpointBest === 'function') {
      return Promise.reject(new InvalidArgumentError('fit: `checkpointBest` is a function and cannot cross to a worker; use `earlyStopping: { restoreBest: true }` and `model.save()` after `fit`'));
    }
    if (typeof data !== 'object' || data === null) {
      return Promise.reject(new InvalidArgumentError('fit: argument `data` expected { corpus, order, batchSize, seqLen, seed? }, { batches } or { x, y }'));
    }
    // What is not what it should be (a callback that is not a function, a signal that is not
    // an AbortSignal) goes to the worker as it is, for its `fit` to refuse with its own error.
    const { checkpointBest, ...plain } = rest;
    const wire: Record<string, unknown> = { ...plain };
    if (checkpointBest !== undefined) wire.checkpointBest = checkpointBest;
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

  /** The calls of {@link MODEL_METHODS}, each sent as the list says (see {@link RemoteModelMethods}). */
  static {
    for (const name of Object.keys(MODEL_METHODS) as ModelMethod[]) {
      const spec: MethodSpec = MODEL_METHODS[name];
      Object.defineProperty(RemoteModel.prototype, name, {
        value(this: RemoteModel, ...args: unknown[]): Promise<unknown> {
          let wire: unknown[];
          try {
            wire = wireArgs(name, spec, args, this);
          } catch (e) {
            return Promise.reject(e);
          }
          const sent = this.#call(name, (api, id) => api.callModel(id, name, ...wire), namedArgs(spec, wire));
          return spec.returnsState ? sent.then((s) => new RemoteState(this.#caller, this, (s as StateInfo).id, (s as StateInfo).batchSize)) : sent;
        },
        writable: true,
        configurable: true,
      });
    }
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

/** A recurrent state living in the worker (see `ModelState`), with its methods as promises. */
export interface RemoteState extends RemoteStateMethods {}

/** A recurrent state living in the worker (see the interface of the same name for its derived methods). */
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

  /** The calls of {@link STATE_METHODS}: `get`, `set`, `reset` (see {@link RemoteStateMethods}). */
  static {
    for (const name of Object.keys(STATE_METHODS) as StateMethod[]) {
      const spec: MethodSpec = STATE_METHODS[name];
      Object.defineProperty(RemoteState.prototype, name, {
        value(this: RemoteState, ...args: unknown[]): Promise<unknown> {
          const what = `ModelState.${name}`;
          if (this.#disposed) return Promise.reject(new DisposedError(`${what}: this state was disposed and cannot be used`));
          return this.caller.call(what, (api) => api.callState(this.id, name, ...args), namedArgs(spec, args));
        },
        writable: true,
        configurable: true,
      });
    }
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

/** What a call returning a state gets back: the state's id in the worker, and its batch size. */
interface StateInfo {
  id: number;
  batchSize: number;
}

/**
 * The arguments of a model call as they cross (`spec` says how): a state handle replaced by
 * its id (checked: a live {@link RemoteState} of `model`), `transfer: true` turned into a
 * transfer of the argument it names. What is not an options object crosses as it is, for the
 * worker's in-thread code to refuse with its own error.
 */
function wireArgs(what: string, spec: MethodSpec, args: readonly unknown[], model: RemoteModel): unknown[] {
  const wire = [...args];
  const st = spec.state;
  if (st?.in === 'arg') {
    const id = stateIdOf(args[st.arg], model, what);
    if (id === undefined && st.required) throw new InvalidArgumentError(`${what}: argument \`state\` expected a RemoteState (from model.zeroState), got undefined`);
    wire[st.arg] = id;
  } else if (st?.in === 'options' && isObject(args[st.arg])) {
    const { state, ...rest } = args[st.arg] as Record<string, unknown>;
    const id = stateIdOf(state, model, what);
    wire[st.arg] = { ...rest, ...(id !== undefined ? { stateId: id } : {}) };
  }
  const tr = spec.transfer;
  if (tr && isObject(wire[tr.option])) {
    const { transfer, ...rest } = wire[tr.option] as Record<string, unknown>;
    wire[tr.option] = rest;
    if (transfer === true && isObject(wire[tr.arg])) wire[tr.arg] = transferArg(wire[tr.arg] as object, [wire[tr.arg]]);
  }
  return wire;
}

/** Argument name to value, for the check that each can be sent (and for its error's wording). */
function namedArgs(spec: MethodSpec, wire: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(spec.args.map((name, i) => [name, wire[i]]));
}
