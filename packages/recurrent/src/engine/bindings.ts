/**
 * The functions both wasm builds export (through their wasm-bindgen glue). The two glue
 * modules have the same shape; the loader picks one and the rest of the package sees only
 * this interface. Handles are numbers (integers below 2^53, never reused by an instance).
 */
export interface WasmExports {
  buffer_alloc(len: number): number;
  buffer_free(handle: number): void;
  buffer_ptr(handle: number): number;
  buffer_len(handle: number): number;
  buffer_live_count(): number;
  build_simd(): boolean;
  build_threads(): boolean;
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: number, aOffset: number, lda: number, b: number, bOffset: number, ldb: number,
    beta: number, c: number, cOffset: number, ldc: number,
  ): void;
  gemm_reference(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): void;
  rnn_create(kind: string, inputSize: number, hiddenSize: number, layers: number, bidirectional: boolean): number;
  rnn_free(handle: number): void;
  rnn_param_len(handle: number): number;
  rnn_params_buffer(handle: number): number;
  rnn_grads_buffer(handle: number): number;
  rnn_param_table(handle: number): string;
  rnn_tape_floats(handle: number): number;
  rnn_forward(
    handle: number, train: boolean, batchMajor: boolean, seqLen: number, batch: number, x: number,
    lengths: Uint32Array, h0: number, c0: number, y: number, hN: number, cN: number,
  ): void;
  rnn_backward(
    handle: number, gy: number, ghn: number, gcn: number, gx: number, gh0: number, gc0: number, stepNorms: number,
  ): void;
  rnn_step(handle: number, batch: number, x: number, h: number, c: number, y: number): void;
  dense_xent(
    n: number, inDim: number, classes: number, x: number, w: number, b: number, targets: Uint32Array,
    weights: number, ignoreIndex: number, reductionSum: boolean, scratch: number, logitsOut: number,
    dw: number, db: number, dx: number, dxAccumulate: boolean,
  ): Float64Array;
  dense_logits(n: number, inDim: number, classes: number, x: number, w: number, b: number, out: number, logSoftmax: boolean): void;
  dense_forward(n: number, inDim: number, outDim: number, x: number, w: number, b: number, y: number): void;
  dense_backward(
    n: number, inDim: number, outDim: number, x: number, w: number, dy: number, dw: number, db: number,
    dx: number, dxAccumulate: boolean,
  ): void;
  mse(len: number, pred: number, target: number, dpred: number, accumulate: boolean): number;
  embedding_forward(vocab: number, dim: number, ids: Uint32Array, table: number, out: number): void;
  embedding_backward(vocab: number, dim: number, ids: Uint32Array, dout: number, dtable: number): void;
  sum_squares(buf: number): number;
  all_finite(buf: number): boolean;
  scale_buffer(buf: number, s: number): void;
  optim_sgd(params: number, grads: number, lr: number, weightDecay: number, gradScale: number): void;
  optim_momentum(
    params: number, grads: number, velocity: number, step: number, lr: number, momentum: number,
    dampening: number, nesterov: boolean, weightDecay: number, gradScale: number,
  ): void;
  optim_adam(
    params: number, grads: number, m: number, v: number, step: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, gradScale: number, decoupled: boolean,
  ): void;
  dropout(len: number, x: number, out: number, p: number, seedHi: number, seedLo: number): void;
  tree_tape_len(kind: number, inputSize: number, hiddenSize: number, nodes: number): number;
  tree_param_len(kind: number, inputSize: number, hiddenSize: number): number;
  tree_check(kind: number, childOffsets: Uint32Array, children: Uint32Array, xRows: Uint32Array, numInputs: number): number;
  tree_forward(
    kind: number, inputSize: number, hiddenSize: number, levelBatched: boolean, childOffsets: Uint32Array, children: Uint32Array,
    xRows: Uint32Array, numInputs: number, params: number, x: number, tape: number, hOut: number, cOut: number,
  ): void;
  tree_backward(
    kind: number, inputSize: number, hiddenSize: number, levelBatched: boolean, childOffsets: Uint32Array, children: Uint32Array,
    xRows: Uint32Array, numInputs: number, params: number, x: number, tape: number, gh: number, gc: number, grads: number, gx: number,
  ): void;
  pool_worker_main(): void;
  pool_shutdown(): void;
  pool_reset(): void;
  pool_workers(): number;
  pool_set_threads(threads: number): void;
  pool_threads(): number;
  engine_prepare(): void;
  memory_max_bytes(): number;
  pool_set_caller_may_block(mayBlock: boolean): void;
}

/** What the loader keeps of an instantiated build. */
export interface WasmInstance {
  readonly exports: WasmExports;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly build: BuildKind;
}

/** The two builds: `simd` (one thread, plain memory) and `threads` (shared memory, pool). */
export type BuildKind = 'simd' | 'threads';

/** The part of a wasm-bindgen glue module the loader uses. */
export interface Glue extends WasmExports {
  initSync(options: {
    module: WebAssembly.Module;
    memory?: WebAssembly.Memory;
    thread_stack_size?: number;
  }): { memory: WebAssembly.Memory };
  /** Frees the calling worker thread's stack and TLS (threaded build only). */
  __wbindgen_thread_destroy?: () => void;
}

/** Imports the glue of `build`; literal paths so bundlers can see and ship both. */
export async function importGlue(build: BuildKind): Promise<Glue> {
  const glue: unknown =
    build === 'threads'
      ? await import('../../wasm/threads/recurrent_wasm.js')
      : await import('../../wasm/simd/recurrent_wasm.js');
  return glue as Glue;
}

/** URL of the `.wasm` file of `build`, next to its glue. */
export function wasmUrl(build: BuildKind): URL {
  return build === 'threads'
    ? new URL('../../wasm/threads/recurrent_wasm_bg.wasm', import.meta.url)
    : new URL('../../wasm/simd/recurrent_wasm_bg.wasm', import.meta.url);
}
