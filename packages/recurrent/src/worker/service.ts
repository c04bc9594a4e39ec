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
import { fit, type BatchSource, type FitOptions, type History } from '../model/fit.js';
import type { GenerateOptions } from '../model/generate.js';
import type { LayerConfig } from '../model/layers.js';
import { sequential, type Model } from '../model/model.js';
import type { GradientFlow, LossKind, SequenceBatch } from '../model/model-types.js';
import { modelFromBytes, saveModel } from '../model/serialize.js';
import type { LayerStateArrays, ModelState } from '../model/state.js';
import { registerErrorTransfer } from './errors.js';
import { transferablesOf } from './transfer.js';
import type {
  EngineInfo, FitData, ModelInfo, RemoteCallback, StateDictLike, WireEvaluateOptions, WireFitOptions, WirePredictOptions,
  WireSequentialOptions, WorkerApi, WorkerInitOptions,
} from './protocol.js';
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
      ...(options.wasmBaseUrl !== undefined ? { wasmBaseUrl: options.wasmBaseUrl } : {}),
    });
    return this.engineInfo();
  }

  engineInfo(): EngineInfo {
    const e = engine();
    const coi = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return {
      build: e.build,
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

  save(modelId: number): Uint8Array {
    const bytes = saveModel(this.#model(modelId, 'save'));
    return this.#comlink.transfer(bytes, transferablesOf([bytes]));
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

  evaluate(modelId: number, batch: SequenceBatch, loss: LossKind, options: WireEvaluateOptions): { loss: number; count: number; correct: number } {
    const model = this.#model(modelId, 'evaluate');
    return model.evaluate(batch, loss, this.#withState(options, 'evaluate'));
  }

  predict(modelId: number, x: ArrayLike<number>, options: WirePredictOptions): Float32Array {
    const model = this.#model(modelId, 'predict');
    const out = model.predict(x, this.#withState(options, 'predict'));
    return this.#comlink.transfer(out, transferablesOf([out]));
  }

  gradientFlow(modelId: number, batch: SequenceBatch, loss: LossKind): GradientFlow[] {
    const flow = this.#model(modelId, 'gradientFlow').gradientFlow(batch, loss);
    return this.#comlink.transfer(flow, transferablesOf(flow.map((f) => f.norms)));
  }

  generate(modelId: number, prefix: string | ArrayLike<number>, options: GenerateOptions): string | number[] {
    const model = this.#model(modelId, 'generate');
    return typeof prefix === 'string' ? model.generate(prefix, options) : model.generate(prefix, options);
  }

  resetState(modelId: number): void {
    this.#model(modelId, 'resetState').resetState();
  }

  stateDict(modelId: number): Map<string, Float32Array> {
    const dict = this.#model(modelId, 'stateDict').stateDict();
    return this.#comlink.transfer(dict, transferablesOf([...dict.values()]));
  }

  loadStateDict(modelId: number, dict: StateDictLike, options: { strict?: boolean }): void {
    this.#model(modelId, 'loadStateDict').loadStateDict(dict, options);
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

  zeroState(modelId: number, batchSize: number): number {
    const state = this.#model(modelId, 'zeroState').zeroState(batchSize);
    const id = this.#nextId++;
    this.#states.set(id, { model: modelId, state });
    return id;
  }

  step(modelId: number, stateId: number, x: ArrayLike<number>, options: { logSoftmax?: boolean }): Float32Array {
    const out = this.#model(modelId, 'step').step(x, this.#state(stateId, 'step'), options);
    return this.#comlink.transfer(out, transferablesOf([out]));
  }

  getState(stateId: number, index: number): LayerStateArrays {
    const value = this.#state(stateId, 'ModelState.get').get(index);
    return this.#comlink.transfer(value, transferablesOf([...value.h, ...value.c]));
  }

  setState(stateId: number, index: number, value: Partial<LayerStateArrays>): void {
    this.#state(stateId, 'ModelState.set').set(index, value);
  }

  zeroStateValues(stateId: number): void {
    this.#state(stateId, 'ModelState.reset').reset();
  }

  disposeState(stateId: number): void {
    this.#states.get(stateId)?.state.dispose();
    this.#states.delete(stateId);
  }

  async shutdown(): Promise<void> {
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
      output: model.output,
      parameterCount: model.parameterCount,
      parameters: model.parameters().map((p) => ({ name: p.name, shape: [...p.shape] })),
    };
  }

  /** Options with the state id replaced by the state; anything but an object as it is (for the model to refuse). */
  #withState<T extends { stateId?: number }>(options: T, what: string): Omit<T, 'stateId'> & { state?: ModelState } {
    if (!isObject(options)) return options;
    const { stateId, ...rest } = options;
    return { ...rest, ...(stateId !== undefined ? { state: this.#state(stateId, what) } : {}) };
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
  throw new InvalidArgumentError('fit: argument `data` expected { corpus, order, batchSize, seqLen, seed? } or { batches: [...] }');
}
