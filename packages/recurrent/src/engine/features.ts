/**
 * What the runtime supports, probed the way onnxruntime-web and wasm-feature-detect do:
 * `WebAssembly.validate` on the smallest module that uses the feature.
 */

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
  15, 253, 98, 11,
]);

// (module (memory 1 1 shared) (func i32.const 0 i32.atomic.load drop))
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0,
  65, 0, 254, 16, 2, 0, 26, 11,
]);

// (module (func (result v128) i32.const 0 i32x4.splat i32.const 0 i32x4.splat i32.const 0
//   i32x4.splat f32x4.relaxed_madd)): relaxed_madd is opcode 0xfd 0x105 (LEB128 0x85 0x02).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253,
  17, 65, 0, 253, 17, 65, 0, 253, 17, 253, 133, 2, 11,
]);

/** Whether the runtime validates a module that uses SIMD128. */
export function hasSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Whether the runtime validates a module that uses relaxed SIMD (`f32x4.relaxed_madd`): on by
 * default in Chrome/Edge >= 114, Firefox >= 145, Node >= 22 and Deno; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/**
 * Whether threads can be used here: shared-memory atomics validate, `SharedArrayBuffer`
 * exists, and in a browser the page is cross-origin isolated (otherwise shared memory cannot
 * be posted to workers).
 */
export function hasThreads(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return false;
  try {
    return WebAssembly.validate(THREADS_PROBE);
  } catch {
    return false;
  }
}

/**
 * Whether this thread may block on an atomic wait. A browser page's main thread may not:
 * `Atomics.wait` throws there (and `memory.atomic.wait32` traps) before it compares values,
 * so a wait on a value that differs probes it without blocking.
 */
export function canBlock(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this is Node.js (as opposed to a browser or a browser worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Logical processors, as the runtime reports them (at least 1). */
export async function hardwareThreads(): Promise<number> {
  if (isNode()) {
    const os = await import(/* @vite-ignore */ 'node:os');
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n ?? 1);
}
