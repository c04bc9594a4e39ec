/**
 * An instantiated wasm build: its exports, its memory, and (threaded build) its pool.
 * Created by {@link init}; everything in the package that computes goes through one.
 *
 * Each `init()` after a `dispose()` makes a new `Engine` (numbered: engine #1, #2, ...). The
 * one `dispose()` ended refuses every call with a {@link DisposedError} that names it, and so
 * do the objects made with it, since they reach wasm only through their engine. Here, in one
 * place, and not in every object: see {@link Engine.call}.
 */
import { DisposedError, wasmCall } from '../errors.js';
import { type AbiCallHook, type HookSlot, wrapExports } from './abi.js';
import { type BuildKind, type BuildName, buildName, type GlueModule, type SimdLevel, type WasmExports, type WasmVariant } from './bindings.js';
import type { PoolWorkerHandle } from './pool.js';

let engines = 0;

export class Engine {
  /** Which engine of this process: 1 for the first `init()`, 2 after `dispose()` and `init()` again, ... */
  readonly id: number;
  /** Bytes wasm linear memory can grow to (4 GiB, what 32-bit addresses reach). */
  readonly maxMemoryBytes: number;
  readonly #wasm: WasmExports;
  readonly #hook: HookSlot = { hook: undefined };
  #disposed = false;

  /** @internal */
  constructor(
    /** Which build is running: `simd` (single thread) or `threads` (shared memory + pool). */
    readonly build: BuildKind,
    glue: GlueModule,
    /** @internal */ readonly memory: WebAssembly.Memory,
    /** @internal */ readonly module: WebAssembly.Module,
    private readonly workers: PoolWorkerHandle[],
    /** @internal `release` (what the package ships) or `test` (with the test-only exports). */
    readonly variant: WasmVariant = 'release',
  ) {
    this.id = ++engines;
    this.#wasm = wrapExports(glue, this.#hook);
    this.maxMemoryBytes = this.#wasm.memory_max_bytes();
  }

  /**
   * @internal Calls `hook` with the export's name before every call into wasm this engine
   * makes (tests count the calls of a training batch with it). Returns a function that
   * removes it (restoring the hook before it).
   */
  onAbiCall(hook: AbiCallHook): () => void {
    const previous = this.#hook.hook;
    this.#hook.hook = hook;
    return () => {
      this.#hook.hook = previous;
    };
  }

  /** Whether `dispose()` has ended this engine. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal The wasm exports (each call goes through `abi.ts`); {@link DisposedError} once the engine is disposed. */
  get wasm(): WasmExports {
    this.assertLive();
    return this.#wasm;
  }

  /** @internal Throws {@link DisposedError}, naming this engine, once it is disposed. */
  assertLive(): void {
    if (this.#disposed) {
      throw new DisposedError(
        `engine #${this.id} was disposed (dispose() was called), so the objects made with it cannot be used; ` +
          'make them again after init()',
      );
    }
  }

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

  /**
   * The SIMD instructions of this build: `relaxed` (relaxed SIMD, fused multiply-add in the
   * kernels) or `baseline` (SIMD128 only). Chosen by `init({ simd })`.
   */
  get simdLevel(): SimdLevel {
    return this.wasm.build_relaxed() ? 'relaxed' : 'baseline';
  }

  /** Which of the four builds runs: `simd`, `threads`, `relaxed` or `relaxed-threads`. */
  get buildName(): BuildName {
    return buildName(this.build, this.simdLevel);
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
    this.assertLive();
    return new Float32Array(this.memory.buffer, ptr, len);
  }

  /** Calls into wasm, mapping boundary errors to typed errors; {@link DisposedError} once disposed. */
  call<T>(f: (wasm: WasmExports) => T): T {
    this.assertLive();
    return wasmCall(() => f(this.#wasm));
  }

  /**
   * @internal Frees a wasm object, also after `dispose()`: the instance outlives its engines
   * (a later `init()` of the same build gets the same instance back), and a handle is never
   * given out twice by an instance, so freeing an old object can only free that object.
   */
  free(f: (wasm: WasmExports) => void): void {
    wasmCall(() => f(this.#wasm));
  }

  /** @internal Stops the pool workers (they leave wasm, then are terminated). */
  async stopWorkers(): Promise<void> {
    if (this.workers.length === 0) return;
    this.#wasm.pool_shutdown();
    await Promise.all(this.workers.splice(0).map((w) => w.stopped()));
    this.#wasm.pool_reset();
  }

  /** @internal Ends the engine (by `dispose()`): every later use is a {@link DisposedError}. */
  markDisposed(): void {
    this.#disposed = true;
  }

  /** E.g. `Engine #1 (relaxed-threads build, 2 threads, 1.2 MB of wasm memory)`. */
  toString(): string {
    if (this.#disposed) return `Engine #${this.id} (disposed)`;
    const n = this.threads;
    return `Engine #${this.id} (${this.buildName} build, ${n} thread${n === 1 ? '' : 's'}, ${formatBytes(this.memoryBytes)} of wasm memory)`;
  }

  /** How Node's `console.log` and `util.inspect` show it: a summary, not the wasm exports. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    if (this.#disposed) return `Engine { id: ${this.id}, disposed: true }`;
    return `Engine { id: ${this.id}, build: '${this.build}', threads: ${this.threads}, simd: ${this.simd}, simdLevel: '${this.simdLevel}', memory: '${formatBytes(this.memoryBytes)}' }`;
  }
}

/** `1234567` -> `'1.2 MB'` (decimal units). */
function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
