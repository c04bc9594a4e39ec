/**
 * One `recurrent/worker` for all the tests of a file: spawned before them, disposed after.
 * Works in every project where the file's tests run (`nodeOnly(...)` hooks for files gated to
 * Node, vitest's own otherwise).
 */
import { dispose, init, type InitOptions } from 'recurrent';
import { type RecurrentWorker, spawnWorker } from 'recurrent/worker';

/** The file-level hooks to register with: vitest's, or those of a `Gate` from `env.js`. */
export interface FileHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}

/**
 * In `beforeAll`: `init(engine)` for the in-thread side when `engine` is given, then
 * `spawnWorker({ threads })`; in `afterAll`: the worker's `dispose()`, then the engine's when it
 * was initialised here. Returns the worker, to call inside the tests.
 */
export function workerPerFile(hooks: FileHooks, options: { threads: number; engine?: InitOptions }): () => RecurrentWorker {
  let remote: RecurrentWorker | undefined;
  hooks.beforeAll(async () => {
    if (options.engine) await init(options.engine);
    remote = await spawnWorker({ threads: options.threads });
  });
  hooks.afterAll(async () => {
    await remote?.dispose();
    if (options.engine) dispose();
  });
  return () => {
    if (remote === undefined) throw new Error('workerPerFile: the worker is read before beforeAll ran');
    return remote;
  };
}
