/** Entry of a pool worker in a browser (module Worker): instantiate, report ready, park. */
import { importGlue } from './bindings.js';
import type { PoolStartMessage } from './pool.js';

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<PoolStartMessage>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

scope.onmessage = (e) => {
  scope.onmessage = null;
  const start = e.data;
  importGlue(start.build, start.variant)
    .then((glue) => {
      glue.initSync({ module: start.module, memory: start.memory });
      scope.postMessage({ ready: true });
      glue.pool_worker_main();
      // Back from the pool: shutdown. Give this thread's stack and TLS back, then end.
      glue.__wbindgen_thread_destroy?.();
      scope.postMessage({ exited: true });
      scope.close();
    })
    .catch((err: unknown) => scope.postMessage({ ready: false, error: (err as Error).message }));
};
