/**
 * Starts `recurrent` with a given thread count: 1 loads the single-threaded SIMD build, more
 * loads the threaded build with a parked pool. `init` is a singleton, so each configuration
 * runs in its own child process (see `lib/child.ts`), and is disposed at the end.
 */
import * as recurrent from 'recurrent';

import type { SubjectInfo } from '../lib/types.js';

export interface OursHandle {
  kind: 'ours';
  lib: typeof recurrent;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

export async function openOurs(threads: number): Promise<OursHandle> {
  const engine = await recurrent.init({ threads });
  engine.setThreads(threads);
  const info: SubjectInfo = {
    engine: 'recurrent',
    build: engine.build,
    simd: engine.simd,
    threads: engine.threads,
    maxThreads: engine.maxThreads,
  };
  if (engine.threads !== threads) {
    info['warning'] = `asked for ${threads} threads, running ${engine.threads}`;
  }
  return {
    kind: 'ours',
    lib: recurrent,
    threads: engine.threads,
    info,
    close: () => recurrent.dispose(),
  };
}
