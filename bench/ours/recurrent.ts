/**
 * Starts `recurrent` with a given thread count: 1 loads the single-threaded SIMD build, more
 * loads the threaded build with a parked pool. `init` is a singleton, so each configuration
 * runs in its own child process (see `lib/child.ts`), and is disposed at the end.
 *
 * With a baseline directory (`--baseline DIR`), the same workload code runs against DIR's
 * built package (`DIR/packages/recurrent/dist/index.js`, which loads DIR's own wasm) instead
 * of the workspace's `recurrent`; see `lib/baseline.ts`.
 */
import * as recurrent from 'recurrent';

import { missingApi, missingEngineMembers, type BenchApi } from './api.js';
import { baselineEntry, describeBaseline } from '../lib/baseline-dir.js';
import type { SubjectInfo } from '../lib/types.js';

export interface OursHandle {
  kind: 'ours';
  lib: BenchApi;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

/** DIR's package, checked against the API the bench uses (a clear error naming what differs). */
export async function importBaseline(dir: string): Promise<BenchApi> {
  const mod = (await import(baselineEntry(dir).href)) as Record<string, unknown>;
  const missing = missingApi(mod);
  if (missing.length > 0) {
    throw new Error(`baseline ${dir}: its recurrent lacks ${missing.join(', ')}, which the bench uses (bench/ours/api.ts); its API differs from this checkout's`);
  }
  return mod as unknown as BenchApi;
}

export async function openOurs(threads: number, baseline?: string, simd?: 'relaxed' | 'baseline'): Promise<OursHandle> {
  const lib: BenchApi = baseline === undefined ? recurrent : await importBaseline(baseline);
  const engine = await lib.init(simd === undefined ? { threads } : { threads, simd });
  const missing = missingEngineMembers(engine);
  if (missing.length > 0) throw new Error(`${baseline ?? 'recurrent'}: the engine from init() lacks ${missing.join(', ')} (bench/ours/api.ts)`);
  engine.setThreads(threads);
  const info: SubjectInfo = {
    engine: 'recurrent',
    build: engine.build,
    simd: engine.simd,
    threads: engine.threads,
    maxThreads: engine.maxThreads,
    node: process.version,
  };
  // The build's SIMD level (issue 18); a baseline checkout from before it has none.
  const level = (engine as { simdLevel?: string }).simdLevel;
  if (level !== undefined) info['simdLevel'] = level;
  if (baseline !== undefined) Object.assign(info, describeBaseline(baseline));
  if (engine.threads !== threads) {
    info['warning'] = `asked for ${threads} threads, running ${engine.threads}`;
  }
  return {
    kind: 'ours',
    lib,
    threads: engine.threads,
    info,
    close: () => lib.dispose(),
  };
}
