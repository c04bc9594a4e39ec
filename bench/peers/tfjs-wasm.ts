/**
 * TensorFlow.js with its wasm backend (XNNPACK kernels), loaded from node_modules: the
 * `.wasm` binaries ship inside `@tensorflow/tfjs-backend-wasm/dist/`, so `setWasmPaths` points
 * at that folder as a file path and nothing is fetched.
 *
 * Threads: tfjs-backend-wasm 4.x answers `WASM_HAS_MULTITHREAD_SUPPORT = false` whenever it
 * runs in Node (tensorflow/tfjs#3830), so Node gets `tfjs-backend-wasm-simd.wasm` and one
 * thread. Forcing the flag does not help: its Emscripten pthread glue starts workers from
 * `blob:` URLs, which Node's `worker_threads` refuses (ERR_WORKER_PATH). The info this
 * returns says which binary and thread count really ran.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

import type { SubjectInfo } from '../lib/types.js';

export interface TfjsWasmHandle {
  kind: 'tfjs-wasm';
  tf: typeof tf;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

/** The folder of the backend's `.wasm` files inside node_modules, with a trailing slash. */
export function tfjsWasmDist(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

export async function openTfjsWasm(threads: number): Promise<TfjsWasmHandle> {
  tfwasm.setWasmPaths(tfjsWasmDist());
  tfwasm.setThreadsCount(threads);
  const ok = await tf.setBackend('wasm');
  if (!ok || tf.getBackend() !== 'wasm') throw new Error('tfjs: could not start the wasm backend');
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const mt = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const binary = simd && mt ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  const real = tfwasm.getThreadsCount();
  const info: SubjectInfo = {
    engine: 'tfjs-wasm',
    tfjsCore: tf.version_core,
    tfjsBackendWasm: tfwasm.version_wasm,
    binary,
    simd,
    threads: real,
  };
  if (!mt && threads > 1) {
    info['note'] = 'tfjs-backend-wasm disables its threaded binary in Node; ran single-threaded';
  }
  return {
    kind: 'tfjs-wasm',
    tf,
    threads: real,
    info,
    close: async () => {
      tf.disposeVariables();
      tf.engine().reset();
    },
  };
}
