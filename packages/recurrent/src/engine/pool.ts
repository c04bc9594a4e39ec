/**
 * Starts the pool workers of the threaded build: each instantiates the same module on the
 * same shared memory (wasm-bindgen gives it its own stack and TLS) and parks inside wasm in
 * `pool_worker_main`. In Node they are `worker_threads`, unref'd so a script exits by itself;
 * in browsers, module Workers.
 */
import { InitError } from '../errors.js';
import type { BuildName, WasmVariant } from './bindings.js';
import { isNode } from './features.js';
import { newNodeWorker } from './node-worker.js';

/** Message a pool worker receives to start. */
export interface PoolStartMessage {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** The build the engine loaded: the workers must run the same glue. */
  build: BuildName;
  /** The variant the engine loaded: the workers must run the same glue. */
  variant: WasmVariant;
}

/** A started pool worker, as the loader keeps it. */
export interface PoolWorkerHandle {
  /**
   * Resolves when the worker has left the pool and ended (call after `pool_shutdown`); a
   * worker that has not ended within a second is terminated.
   */
  stopped(): Promise<void>;
}

const STOP_GRACE_MS = 1000;

// A variable, not a literal: bundlers (Vite) turn `new Worker(new URL('literal', import.meta.url))`
// into a browser worker chunk, and the Node entry must not become one.
const NODE_POOL_ENTRY = './pool-worker-node.js';

const START_TIMEOUT_MS = 30_000;

/** The pool's controls in wasm, to undo a start that failed half-way. */
export interface PoolControl {
  /** Asks the workers that entered the pool to leave it. */
  shutdown(): void;
  /** Readies the pool for new workers once those have left. */
  reset(): void;
}

/**
 * Starts `count` workers and resolves when each has instantiated the module. If one cannot
 * start, those already started leave the pool and end, and the error is an {@link InitError}.
 */
export async function startPoolWorkers(count: number, start: PoolStartMessage, pool: PoolControl): Promise<PoolWorkerHandle[]> {
  const spawn = isNode() ? spawnNode : spawnBrowser;
  const workers: PoolWorkerHandle[] = [];
  try {
    for (let i = 0; i < count; i++) workers.push(await spawn(start));
  } catch (e) {
    pool.shutdown();
    await Promise.all(workers.map((w) => w.stopped()));
    pool.reset();
    throw e instanceof InitError ? e : new InitError(`could not start a pool worker: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  return workers;
}

interface Endpoint {
  postMessage(message: unknown): void;
  on?(event: string, listener: (value: unknown) => void): void;
  addEventListener?(event: string, listener: (value: unknown) => void): void;
}

function whenReady(target: Endpoint, describe: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new InitError(`${describe} did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (m: unknown) => {
      const data = (m as { data?: unknown })?.data ?? m;
      const msg = data as { ready?: boolean; error?: string };
      clearTimeout(timer);
      if (msg.ready) resolve();
      else reject(new InitError(`${describe} failed to start: ${msg.error ?? 'unknown error'}`));
    };
    const onError = (e: unknown) => {
      clearTimeout(timer);
      const err = (e as { message?: string; error?: { message?: string } }) ?? {};
      reject(new InitError(`${describe} failed to start: ${err.error?.message ?? err.message ?? String(e)}`));
    };
    if (target.on) {
      target.on('message', onMessage);
      target.on('error', onError);
    } else if (target.addEventListener) {
      target.addEventListener('message', onMessage);
      target.addEventListener('error', onError);
    }
  });
}

async function spawnNode(start: PoolStartMessage): Promise<PoolWorkerHandle> {
  const worker = await newNodeWorker(new URL(NODE_POOL_ENTRY, import.meta.url), { workerData: start }, 'a pool worker (worker_threads)');
  const ready = whenReady(worker as unknown as Endpoint, 'a pool worker (worker_threads)');
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await ready;
  // Parked workers must not keep the process alive: a script that used threads exits by itself.
  worker.unref();
  return {
    stopped: async () => {
      const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function spawnBrowser(start: PoolStartMessage): Promise<PoolWorkerHandle> {
  const worker = new Worker(new URL('./pool-worker-browser.js', import.meta.url), { type: 'module' });
  const ready = whenReady(worker as unknown as Endpoint, 'a pool worker (Web Worker)');
  const exited = new Promise<void>((resolve) =>
    worker.addEventListener('message', (e: MessageEvent<{ exited?: boolean }>) => {
      if (e.data?.exited) resolve();
    }),
  );
  worker.postMessage(start);
  await ready;
  return {
    stopped: async () => {
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
      worker.terminate();
    },
  };
}
