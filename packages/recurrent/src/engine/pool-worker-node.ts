/** Entry of a pool worker in Node (`worker_threads`): instantiate, report ready, park. */
import { parentPort, workerData } from 'node:worker_threads';

import { importGlue } from './bindings.js';
import type { PoolStartMessage } from './pool.js';

const start = workerData as PoolStartMessage;
try {
  const glue = await importGlue(start.build, start.variant);
  glue.initSync({ module: start.module, memory: start.memory });
  parentPort?.postMessage({ ready: true });
  glue.pool_worker_main();
  // Back from the pool: shutdown. Give this thread's stack and TLS back to the allocator.
  glue.__wbindgen_thread_destroy?.();
  parentPort?.close();
} catch (e) {
  parentPort?.postMessage({ ready: false, error: (e as Error).message });
}
