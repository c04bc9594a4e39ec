/**
 * The worker side: owns the engine (and its pool of threads), the models and their states,
 * and runs the model API on requests from the client. Models and states are named by ids;
 * results are fresh copies whose buffers are transferred, not copied again.
 */
import { randomBatches, sequentialBatches } from '../data/batches.js';
import { Random } from '../data/random.js';
import { Vocab } from '../data/vocab.js';
import { dispose as disposeEngine, engine, init } from '../engine/loader.js';
import { isNode } from '../engine/features.js';
import { InvalidArgumentError, DisposedError } from '../errors.js';
import { isArrayDataset } from '../model/dataset.js';
import { fit, type BatchSource, type FitOptions, type History } from '../model/fit.js';
import type { LayerConfig } from '../model/layers.js';
import { sequential, type Model } from '../model/model.js';
import { beamSearch, type BeamOptions } from '../model/beam.js';
import { modelFromBytes, saveModel } from '../model/serialize.js';
import type { ModelState } from '../model/state.js';
import { registerErrorTransfer } from './errors.js';
import { type MethodSpec, MODEL_METHODS, type ModelMethod, STATE_METHODS, type StateMethod } from './methods.js';
import { transferablesOf, typedArraysIn } from './transfer.js';
import type { Seq2SeqOptions } from '../tasks/seq2seq.js';
import { type Seq2SeqMethod, Seq2SeqService } from './seq2seq-service.js';
import { type TreeMethod, TreeService, type WireTreeOptions } from './tree-service.js';
import type { EngineInfo, FitData, ModelInfo, RemoteCallback, WireFitOptions, WireSequentialOptions, WorkerApi, WorkerInitOptions } from './protocol.js';

/** The entries of the list that are functions of a model (and the call's arguments) rather than its methods. */
const MODEL_FUNCTIONS = {
  save: (model: Model): Uint8Array => saveModel(model),
  beamSearch: (model: Model, prefix: unknown, options: unknown): number[] => beamSearch(model, prefix as ArrayLike<number>, options as BeamOptions),
};
import type { BatchInfo, EpochInfo } from '../model/fit.js';

/** The parts of comlink the worker uses (the module itself, however it was loaded). */
export type ComlinkModule = typeof import('comlink');

/** The object a worker entry exposes with comlink. */
export function createService(comlink: ComlinkModule): WorkerApi {
  registerErrorTransfer(comlink as unknown as Parameters<typeof registerErrorTransfer>[0]);
  return new WorkerService(comlink);
}

class WorkerService implements WorkerApi {
  readonly #comlink: ComlinkModule;
  readonly #models = new Map<number, Model>();
  readonly #states = new Map<number, { model: number; state: ModelState }>();
  readonly #fits = new Map<number, AbortController>();
  readonly #trees = new TreeService();
  readonly #seq2seqs = new Seq2SeqService();
  #nextId = 1;

  constructor(comlink: ComlinkModule) {
    this.#comlink = comlink;
  }

  async init(options: WorkerInitOptions): Promise<EngineInfo> {
    // A count above 1 where threads are unavailable (a page without cross-origin isolation)
    // falls back to the single-threaded build with the loader's one warning.
    await init({
      threads: options.threads ?? 'auto',
      noThreads: 'warn',
      ...(options.simd !== undefined ? { simd: options.simd } : {}),
      ...(options.wasmBaseUrl !== undefined ? { wasmBaseUrl: options.wasmBaseUrl } : {}),
    });
    return this.engineInfo();
  }

  engineInfo(): EngineInfo {
    const e = engine();
    const coi = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return {
      build: e.build,
      buildName: e.buildName,
      simdLevel: e.simdLevel,
      threads: e.threads,
      maxThreads: e.maxThreads,
      simd: e.simd,
      runtime: isNode() ? 'node' : 'browser',
      crossOriginIsolated: isNode() ? null : coi ?? false,
      memoryBytes: e.memoryBytes,
    };
  }

  sequential(layers: LayerConfig[], options: WireSequentialOptions): ModelInfo {
    if (!isObject(options) || options.vocab === undefined) return this.#register(sequential(layers, options as Omit<WireSequentialOptions, 'vocab'>));
    const { vocab, ...rest } = options;
    return this.#register(sequential(layers, { ...rest, vocab: Vocab.fromJSON(vocab) }));
  }

  loadModel(bytes: Uint8Array): ModelInfo {
    return this.#register(modelFromBytes(bytes));
  }

  async fit(
    modelId: number,
    data: FitData,
    options: WireFitOptions,
    onBatchEnd: RemoteCallback<BatchInfo> | undefined,
    onEpochEnd: RemoteCallback<EpochInfo> | undefined,
    callId: number,
  ): Promise<History> {
    // Registered before the first await, so an abort message that follows finds it.
    const controller = new AbortController();
    this.#fits.set(callId, controller);
    try {
      const model = this.#model(modelId, 'fit');
      // Options that are not an object, and a `signal` that is not an AbortSignal, reach
      // `fit` as they are, to be refused with its own errors.
      if (!isObject(options)) return await fit(model, batchSource(data), options as FitOptions);
      const fitOptions: FitOptions = { ...options };
      if (!('signal' in options)) fitOptions.signal = controller.signal;
      if (onBatchEnd) fitOptions.onBatchEnd = (info) => onBatchEnd(info);
      if (onEpochEnd) fitOptions.onEpochEnd = (info) => onEpochEnd(info);
      return await fit(model, batchSource(data), fitOptions);
    } finally {
      this.#fits.delete(callId);
      // Close the callbacks' channels now rather than when the GC finds them, so neither side
      // keeps a port open (an open port keeps a Node process alive).
      for (const cb of [onBatchEnd, onEpochEnd]) {
        if (cb) (cb as unknown as Record<symbol, () => void>)[this.#comlink.releaseProxy]?.();
      }
    }
  }

  abort(callId: number): void {
    this.#fits.get(callId)?.abort(new DOMException('fit was aborted', 'AbortError'));
  }

  callModel(modelId: number, method: ModelMethod, ...args: unknown[]): unknown {
    const spec: MethodSpec | undefined = Object.hasOwn(MODEL_METHODS, method) ? MODEL_METHODS[method] : undefined;
    if (!spec) throw new InvalidArgumentError(`the worker has no model method ${String(method)}`);
    const model = this.#model(modelId, method);
    const real = this.#withStates(spec, args, method);
    const result = spec.fn
      ? (MODEL_FUNCTIONS[method as keyof typeof MODEL_FUNCTIONS] as (m: Model, ...a: unknown[]) => unknown)(model, ...real)
      : (model[method as Exclude<ModelMethod, keyof typeof MODEL_FUNCTIONS>] as (...a: unknown[]) => unknown)(...real);
    if (spec.returnsState) {
      const state = result as ModelState;
      const id = this.#nextId++;
      this.#states.set(id, { model: modelId, state });
      return { id, batchSize: state.batchSize };
    }
    return spec.transferResult ? this.#comlink.transfer(result, transferablesOf(typedArraysIn(result))) : result;
  }

  callState(stateId: number, method: StateMethod, ...args: unknown[]): unknown {
    const spec: MethodSpec | undefined = Object.hasOwn(STATE_METHODS, method) ? STATE_METHODS[method] : undefined;
    if (!spec) throw new InvalidArgumentError(`the worker has no state method ${String(method)}`);
    const state = this.#state(stateId, `ModelState.${method}`);
    const result = (state[method] as (...a: unknown[]) => unknown)(...args);
    return spec.transferResult ? this.#comlink.transfer(result, transferablesOf(typedArraysIn(result))) : result;
  }

  disposeModel(modelId: number): void {
    const model = this.#models.get(modelId);
    if (!model) return;
    for (const [id, s] of this.#states) {
      if (s.model === modelId) {
        s.state.dispose();
        this.#states.delete(id);
      }
    }
    model.dispose();
    this.#models.delete(modelId);
  }

  disposeState(stateId: number): void {
    this.#states.get(stateId)?.state.dispose();
    this.#states.delete(stateId);
  }

  treeClassifier(options: WireTreeOptions): number {
    return this.#trees.create(options);
  }

  loadTreeClassifier(bytes: Uint8Array): number {
    return this.#trees.load(bytes);
  }

  callTree(id: number, method: TreeMethod, ...args: unknown[]): unknown {
    const result = this.#trees.call(id, method, args);
    return ArrayBuffer.isView(result) ? this.#comlink.transfer(result, transferablesOf([result])) : result;
  }

  disposeTree(id: number): void {
    this.#trees.dispose(id);
  }

  seq2seq(options: Seq2SeqOptions): number {
    return this.#seq2seqs.create(options);
  }

  loadSeq2Seq(bytes: Uint8Array): number {
    return this.#seq2seqs.load(bytes);
  }

  async callSeq2Seq(id: number, method: Seq2SeqMethod, ...args: unknown[]): Promise<unknown> {
    const result = await this.#seq2seqs.call(id, method, args);
    return ArrayBuffer.isView(result) ? this.#comlink.transfer(result, transferablesOf([result])) : result;
  }

  disposeSeq2Seq(id: number): void {
    this.#seq2seqs.dispose(id);
  }

  async shutdown(): Promise<void> {
    this.#trees.disposeAll();
    this.#seq2seqs.disposeAll();
    for (const c of this.#fits.values()) c.abort(new DOMException('the worker is shutting down', 'AbortError'));
    for (const s of this.#states.values()) s.state.dispose();
    this.#states.clear();
    for (const m of this.#models.values()) m.dispose();
    this.#models.clear();
    await disposeEngine();
  }

  #register(model: Model): ModelInfo {
    const id = this.#nextId++;
    this.#models.set(id, model);
    return {
      id,
      configs: [...model.configs],
      seed: model.seed,
      tokenizer: model.tokenizer,
      vocab: model.vocab ? model.vocab.toJSON() : null,
      featureSize: model.featureSize,
      outputSize: model.outputSize,
      takesTokens: model.takesTokens,
      takesTrees: model.takesTrees,
      output: model.output,
      parameterCount: model.parameterCount,
      parameters: model.parameters().map((p) => ({ name: p.name, shape: [...p.shape] })),
    };
  }

  /** The arguments with each state id (where `spec` says one stands) replaced by its state. */
  #withStates(spec: MethodSpec, args: readonly unknown[], what: string): unknown[] {
    const st = spec.state;
    if (!st) return [...args];
    const real = [...args];
    if (st.in === 'arg') {
      real[st.arg] = this.#state(args[st.arg] as number, what);
    } else if (isObject(args[st.arg])) {
      // Anything but an options object goes as it is, for the model to refuse.
      const { stateId, ...rest } = args[st.arg] as { stateId?: number };
      real[st.arg] = { ...rest, ...(stateId !== undefined ? { state: this.#state(stateId, what) } : {}) };
    }
    return real;
  }

  #model(id: number, what: string): Model {
    const model = this.#models.get(id);
    if (!model) throw new DisposedError(`${what}: the model was disposed (or never existed in this worker)`);
    return model;
  }

  #state(id: number, what: string): ModelState {
    const s = this.#states.get(id);
    if (!s) throw new DisposedError(`${what}: the state was disposed (or never existed in this worker)`);
    return s.state;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** The batch source of a remote `fit`, built from data sent by value. */
function batchSource(data: FitData): BatchSource {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidArgumentError('fit: argument `data` expected { corpus, order, batchSize, seqLen, seed? } or { batches }');
  }
  if ('corpus' in data) {
    const { corpus, order, batchSize, seqLen, seed, offset } = data;
    if (order !== 'sequential' && order !== 'random') {
      throw new InvalidArgumentError(`fit: data option \`order\` expected 'sequential' or 'random', got ${String(order)}`);
    }
    const iterate = order === 'random' ? randomBatches : sequentialBatches;
    const rng = new Random(seed ?? 0);
    const options = { batchSize, seqLen, rng, ...(offset !== undefined ? { offset } : {}) };
    return () => iterate(corpus, options);
  }
  if ('batches' in data && Array.isArray(data.batches)) return data.batches;
  if (isArrayDataset(data)) return data;
  throw new InvalidArgumentError('fit: argument `data` expected { corpus, order, batchSize, seqLen, seed? }, { batches: [...] } or { x, y }');
}
