/**
 * Workers for the tests: one `recurrent/worker` for all the tests of a file (spawned before
 * them, disposed after; `nodeOnly(...)` hooks for files gated to Node, vitest's own otherwise),
 * and the same model in the thread and in a worker, trained alike.
 */
import { dispose, fit, type FitOptions, init, type InitOptions, type LayerConfig, type Model, sequential, type SequentialOptions } from 'recurrent';
import { type RecurrentWorker, type RemoteModel, spawnWorker } from 'recurrent/worker';

import assert from './assert.js';

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

/**
 * `sequential(layers, options)` in the thread and in a fresh 1-thread worker, handed to `use`;
 * both models and the worker are disposed after, whatever `use` does.
 */
export async function withTwinModels(layers: LayerConfig[], options: SequentialOptions, use: (local: Model, remote: RemoteModel) => Promise<void>): Promise<void> {
  const worker = await spawnWorker({ threads: 1 });
  const local = sequential(layers, options);
  try {
    const remote = await worker.sequential(layers, options);
    try {
      await use(local, remote);
    } finally {
      await remote.dispose();
    }
  } finally {
    local.dispose();
    await worker.dispose();
  }
}

/** Fits `local`, then `remote`, on `data` with `options`: each epoch's loss must be the same, bit for bit. */
export async function assertSameFit(local: Model, remote: RemoteModel, data: { x: number[][][]; y: number[] }, options: FitOptions): Promise<void> {
  const mine = await fit(local, data, options);
  const theirs = await remote.fit(data, options);
  assert.deepEqual(theirs.epochs.map((e) => e.loss), mine.epochs.map((e) => e.loss));
}
