/**
 * What crosses between the client ({@link spawnWorker}) and the worker entry: the worker's
 * API and the plain-data shapes of its arguments and results. Everything here is
 * structured-cloneable; functions cross only as `comlink.proxy` arguments of their own.
 * Arguments the client does not need to look into cross as the caller gave them, so the
 * worker's in-thread code checks them and throws the in-thread errors.
 */
import type { Seq2SeqOptions } from '../tasks/seq2seq.js';
import type { Seq2SeqMethod } from './seq2seq-service.js';
import type { TreeMethod, WireTreeOptions } from './tree-service.js';
import type { BuildKind, BuildName, SimdLevel } from '../engine/bindings.js';
import type { BatchOrder } from '../data/batches.js';
import type { VocabJSON } from '../data/vocab.js';
import type { ArrayDataset } from '../model/dataset.js';
import type { BatchInfo, EpochInfo, FitOptions, History } from '../model/fit.js';
import type { LayerConfig, RecurrentOutput } from '../model/layers.js';
import type { SequenceBatch } from '../model/model-types.js';
import type { OptimizerConfig } from '../model/optimizers.js';
import type { MODEL_METHODS, ModelMethod, STATE_METHODS, StateMethod } from './methods.js';

/** Options of the engine inside the worker (see `init`). */
export interface WorkerInitOptions {
  /**
   * Threads for the kernels inside the worker, its own thread included: `'auto'` (every
   * logical processor), `1`, or a number. Where threads are unavailable (a page that is not
   * cross-origin isolated) the single-threaded build runs, with one console warning.
   * Default `'auto'`.
   */
  threads?: number | 'auto';
  /** Folder URL holding the `simd/`, `threads/`, `relaxed/` and `relaxed-threads/` wasm folders (see `init`). */
  wasmBaseUrl?: string;
  /** The SIMD build: `'relaxed'` or `'baseline'` (see `init`). Default: relaxed where it validates. */
  simd?: SimdLevel;
}

/** Which engine runs in the worker. */
export interface EngineInfo {
  /** `threads` (shared memory + pool) or `simd` (single-threaded). */
  build: BuildKind;
  /** Which of the four builds runs: `simd`, `threads`, `relaxed` or `relaxed-threads`. */
  buildName: BuildName;
  /** `relaxed` (relaxed SIMD, fused multiply-add) or `baseline` (SIMD128 only). */
  simdLevel: SimdLevel;
  /** Threads the kernels use, the worker's own included. */
  threads: number;
  /** Threads the pool could use (pool workers + 1). */
  maxThreads: number;
  /** Whether the kernels were compiled with SIMD128. */
  simd: boolean;
  /** Where the worker runs. */
  runtime: 'node' | 'browser';
  /** The worker's `crossOriginIsolated` (browsers); `null` in Node. */
  crossOriginIsolated: boolean | null;
  /** Bytes of wasm memory the engine holds. */
  memoryBytes: number;
}

/**
 * Batches described by value, drawn inside the worker: d2l's language-model iterators over a
 * corpus of token ids. For every epoch the worker runs
 * `sequentialBatches(corpus, { batchSize, seqLen, rng, offset })` (or `randomBatches`) with
 * one `rng = new Random(seed)` made when `fit` starts, so in-thread
 * `fit(model, () => sequentialBatches(corpus, { batchSize, seqLen, rng }), options)` gives
 * the same batches.
 */
export interface CorpusData {
  corpus: Int32Array;
  /** `'sequential'` (carry state: use with `bptt: 'truncated'`) or `'random'`. */
  order: BatchOrder;
  batchSize: number;
  seqLen: number;
  /** Seed of the offsets (and shuffles). Default `0`. */
  seed?: number;
  /** A fixed offset instead of a drawn one. */
  offset?: number;
}

/** Explicit batches, the same every epoch. */
export interface BatchesData {
  batches: SequenceBatch[];
}

/** The data of a remote `fit`: a corpus, explicit batches, or a dataset of whole examples `{ x, y }` (as in-thread). */
export type FitData = CorpusData | BatchesData | ArrayDataset;

/** Optimiser configs that cross: the learning rate is a number (a schedule is a function). */
export type WireOptimizerConfig = OptimizerConfig & { lr?: number };

/** `fit` options that cross as data (callbacks and the signal are handled by the client). */
export type WireFitOptions = Omit<FitOptions, 'signal' | 'onBatchEnd' | 'onEpochEnd' | 'optimizer' | 'checkpointBest'> & {
  optimizer?: WireOptimizerConfig;
};

/** Options of a remote `sequential`: the vocabulary crosses as its JSON. */
export interface WireSequentialOptions {
  seed?: number;
  inputSize?: number;
  vocab?: VocabJSON;
  tokenizer?: 'char' | 'word';
}

/** What the client keeps of a model living in the worker. */
export interface ModelInfo {
  id: number;
  configs: LayerConfig[];
  seed: number;
  tokenizer: 'char' | 'word';
  vocab: VocabJSON | null;
  featureSize: number;
  outputSize: number;
  takesTokens: boolean;
  /** A tree encoder comes first: batches hold trees. */
  takesTrees: boolean;
  output: RecurrentOutput;
  parameterCount: number;
  /** Every parameter's PyTorch name and shape. */
  parameters: { name: string; shape: number[] }[];
}

/** A progress callback as the worker sees it (a comlink proxy: calls return promises). */
export type RemoteCallback<T> = (info: T) => Promise<void | boolean>;

/**
 * The object the worker exposes. Model and state objects stay in the worker and are named by
 * ids; results are copies, their buffers transferred. The model and state methods go through
 * `callModel` and `callState`, as the list in `methods.ts` says.
 */
export interface WorkerApi {
  init(options: WorkerInitOptions): Promise<EngineInfo>;
  engineInfo(): EngineInfo;
  sequential(layers: LayerConfig[], options: WireSequentialOptions): ModelInfo;
  loadModel(bytes: Uint8Array): ModelInfo;
  fit(
    modelId: number,
    data: FitData,
    options: WireFitOptions,
    onBatchEnd: RemoteCallback<BatchInfo> | undefined,
    onEpochEnd: RemoteCallback<EpochInfo> | undefined,
    callId: number,
  ): Promise<History>;
  /** Stops the running `fit` with this call id after its current batch (no-op if none). */
  abort(callId: number): void;
  /**
   * Runs method `method` of {@link MODEL_METHODS} on a model, with its arguments as they
   * crossed (state ids in place of states). A method returning a state returns its id. The
   * arguments are the call's own (not an array): comlink transfers what a call marks for
   * transfer only among its top-level arguments.
   */
  callModel(modelId: number, method: ModelMethod, ...args: unknown[]): unknown;
  /** Runs method `method` of {@link STATE_METHODS} on a state. */
  callState(stateId: number, method: StateMethod, ...args: unknown[]): unknown;
  disposeModel(modelId: number): void;
  disposeState(stateId: number): void;
  /** Tree classifiers (issue 16, `tree-service.ts`): create, load, run a method, free. */
  treeClassifier(options: WireTreeOptions): number;
  loadTreeClassifier(bytes: Uint8Array): number;
  callTree(id: number, method: TreeMethod, ...args: unknown[]): unknown;
  disposeTree(id: number): void;
  /** Encoder-decoders (`seq2seq-service.ts`): create, load, run a method, free. */
  seq2seq(options: Seq2SeqOptions): number;
  loadSeq2Seq(bytes: Uint8Array): number;
  callSeq2Seq(id: number, method: Seq2SeqMethod, ...args: unknown[]): unknown;
  disposeSeq2Seq(id: number): void;
  /** Frees every model and state, stops the pool and forgets the engine. */
  shutdown(): Promise<void>;
}

/** The first message a worker posts: started (comlink exposed) or failed. */
export interface ReadyMessage {
  recurrentWorker: 'ready' | 'failed';
  error?: string;
}

/** The first message a browser worker receives: where comlink is, if a bare import fails. */
export interface HelloMessage {
  recurrentWorker: 'hello';
  comlinkUrl?: string;
}
