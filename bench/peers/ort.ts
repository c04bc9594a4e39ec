/**
 * ONNX Runtime: `onnxruntime-web` (its wasm build, SIMD, 1 or n threads) and `onnxruntime-node`
 * (the native CPU library shipped inside the npm package; its postinstall, which downloads
 * optional GPU binaries, is skipped: `bench/.npmrc` and pnpm's `onlyBuiltDependencies`).
 * Both take the same ONNX models (`onnx/models.ts`) and expose the same `InferenceSession`
 * API, so the workloads drive them through one handle.
 *
 * Threads: onnxruntime-web runs its pthread build in Node's worker_threads when
 * `env.wasm.numThreads > 1` (its `.wasm` files are loaded from the package's `dist/`);
 * onnxruntime-node gets `intraOpNumThreads` / `interOpNumThreads` per session. Graph
 * optimisations are at their default (all).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

import type { SubjectInfo } from '../lib/types.js';

/** The parts of the two packages' common API the workloads use. */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtApi {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

export interface OrtHandle {
  kind: 'ort-web' | 'ort-node';
  threads: number;
  info: SubjectInfo;
  api: OrtApi;
  /** A session for `model` with this subject's thread settings. */
  session(model: Uint8Array): Promise<OrtSession>;
  close(): Promise<void>;
}

export async function openOrtWeb(threads: number): Promise<OrtHandle> {
  const ort = await import('onnxruntime-web');
  const require = createRequire(import.meta.url);
  // The package's `exports` hide package.json; its main entry lives in `dist/`, beside the .wasm files.
  const dist = dirname(require.resolve('onnxruntime-web')) + '/';
  ort.env.wasm.wasmPaths = dist;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const sessions: OrtSession[] = [];
  const info: SubjectInfo = { engine: 'onnxruntime-web', version: ort.env.versions.web ?? '?', backend: 'wasm', threads };
  return {
    kind: 'ort-web',
    threads,
    info,
    api: ort as unknown as OrtApi,
    async session(model) {
      const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      sessions.push(s as unknown as OrtSession);
      // What really ran: numThreads is fixed at the first session's creation.
      info['threads'] = ort.env.wasm.numThreads ?? threads;
      return s as unknown as OrtSession;
    },
    async close() {
      for (const s of sessions) await s.release();
    },
  };
}

export async function openOrtNode(threads: number): Promise<OrtHandle> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  ort.env.logLevel = 'error';
  const sessions: OrtSession[] = [];
  const info: SubjectInfo = { engine: 'onnxruntime-node', version: ort.env.versions.node ?? '?', backend: 'cpu (native)', threads };
  return {
    kind: 'ort-node',
    threads,
    info,
    api: ort as unknown as OrtApi,
    async session(model) {
      const s = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      });
      sessions.push(s as unknown as OrtSession);
      return s as unknown as OrtSession;
    },
    async close() {
      for (const s of sessions) await s.release();
    },
  };
}
