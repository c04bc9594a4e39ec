/**
 * An instantiated wasm build: its exports, its memory, and (threaded build) its pool.
 * Created by {@link init}; everything in the package that computes goes through one.
 */
import { wasmCall } from '../errors.js';
import type { BuildKind, WasmExports } from './bindings.js';
import type { PoolWorkerHandle } from './pool.js';

export class Engine {
  /** @internal */
  constructor(
    /** Which build is running: `simd` (single thread) or `threads` (shared memory + pool). */
    readonly build: BuildKind,
    /** @internal */ readonly wasm: WasmExports,
    /** @internal */ readonly memory: WebAssembly.Memory,
    /** @internal */ readonly module: WebAssembly.Module,
    private readonly workers: PoolWorkerHandle[],
  ) {}

  /** Threads kernels may use, the caller's included (pool workers + 1). */
  get maxThreads(): number {
    return this.wasm.pool_workers() + 1;
  }

  /** Threads kernels use now (see {@link Engine.setThreads}). */
  get threads(): number {
    return this.wasm.pool_threads();
  }

  /**
   * Limits the threads kernels use, between 1 and {@link Engine.maxThreads}. Results are
   * bit-identical for every count (work is cut in fixed tiles); only speed changes.
   */
  setThreads(threads: number): void {
    const n = Math.max(1, Math.min(this.maxThreads, Math.floor(threads)));
    this.wasm.pool_set_threads(n);
  }

  /** Whether this build's kernels were compiled with SIMD128. */
  get simd(): boolean {
    return this.wasm.build_simd();
  }

  /** Bytes of wasm linear memory in use by the instance (it only grows). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** A `Float32Array` view of `len` floats at byte address `ptr`; valid until memory grows. */
  f32View(ptr: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, len);
  }

  /** Calls into wasm, mapping boundary errors to typed errors. */
  call<T>(f: (wasm: WasmExports) => T): T {
    return wasmCall(() => f(this.wasm));
  }

  /** @internal Stops the pool workers (they leave wasm, then are terminated). */
  async stopWorkers(): Promise<void> {
    if (this.workers.length === 0) return;
    this.wasm.pool_shutdown();
    await Promise.all(this.workers.splice(0).map((w) => w.stopped()));
    this.wasm.pool_reset();
  }
}
