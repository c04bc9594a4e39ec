/**
 * Starting the worker, per runtime: a Node `worker_threads` Worker (with comlink's node
 * adapter) or a browser module Worker. Both wait for the entry's ready message, and both
 * report the worker's end (exit, crash, uncaught error, termination) exactly once.
 */
import type { Endpoint } from 'comlink';

import { InitError } from '../errors.js';
import { isNode } from '../engine/features.js';
import { newNodeWorker } from '../engine/node-worker.js';
import { WorkerExitedError } from './errors.js';
import { nodeEndpoint } from './node-endpoint.js';
import type { HelloMessage, ReadyMessage } from './protocol.js';

/** A started worker, whatever the runtime. */
export interface WorkerHandle {
  /** Where comlink talks to the worker. */
  readonly endpoint: Endpoint;
  /** The Node `Worker` or the browser `Worker`. */
  readonly worker: unknown;
  /** Called once, when the worker has ended or failed for good. */
  onExit(listener: (error: WorkerExitedError) => void): void;
  /** Called for each message from the worker that arrived but could not be read. */
  onMessageError(listener: () => void): void;
  /** Ends the worker now; resolves when it is gone. */
  terminate(reason: string): Promise<void>;
  /** Node: let (or stop letting) the worker keep the process alive. No-op in browsers. */
  ref(): void;
  unref(): void;
}

export interface StartOptions {
  /** URL of comlink's ES module, for an unbundled page whose worker cannot resolve `comlink`. */
  comlinkUrl?: string;
  /** How long the worker may take to start. */
  timeoutMs: number;
}

// A variable, not a literal: bundlers that turn `new Worker(new URL('literal', import.meta.url))`
// into a browser worker chunk must not pick up the Node entry.
const NODE_ENTRY = './entry-node.js';

/** Starts a worker running the recurrent entry for this runtime. */
export function startWorker(options: StartOptions): Promise<WorkerHandle> {
  return isNode() ? startNode(options) : startBrowser(options);
}

/** One-shot exit reporting shared by both runtimes. */
class ExitSignal {
  #error: WorkerExitedError | undefined;
  readonly #listeners: ((e: WorkerExitedError) => void)[] = [];

  get error(): WorkerExitedError | undefined {
    return this.#error;
  }

  fire(error: WorkerExitedError): void {
    if (this.#error) return;
    this.#error = error;
    for (const l of this.#listeners.splice(0)) l(error);
  }

  listen(listener: (e: WorkerExitedError) => void): void {
    if (this.#error) listener(this.#error);
    else this.#listeners.push(listener);
  }
}

function isReady(data: unknown): data is ReadyMessage {
  return typeof data === 'object' && data !== null && 'recurrentWorker' in data;
}

async function startNode(options: StartOptions): Promise<WorkerHandle> {
  const worker = await newNodeWorker(new URL(NODE_ENTRY, import.meta.url), { name: 'recurrent' }, 'the recurrent worker');
  const exit = new ExitSignal();
  let lastError: Error | undefined;
  let terminating: string | undefined;
  worker.on('error', (e: Error) => {
    lastError = e;
  });
  worker.on('exit', (code: number) => {
    const why = terminating ?? `the recurrent worker exited with code ${code}${lastError ? ` after an uncaught error: ${lastError.message}` : ''}`;
    exit.fire(new WorkerExitedError(`${why}; start a new one with spawnWorker()`));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      terminating = `the recurrent worker did not start within ${options.timeoutMs} ms`;
      void worker.terminate();
    }, options.timeoutMs);
    const onMessage = (data: unknown) => {
      if (!isReady(data)) return;
      worker.off('message', onMessage);
      clearTimeout(timer);
      if (data.recurrentWorker === 'ready') resolve();
      else {
        terminating = `the recurrent worker failed to start: ${data.error ?? 'unknown error'}`;
        void worker.terminate();
      }
    };
    worker.on('message', onMessage);
    exit.listen((e) => {
      clearTimeout(timer);
      reject(new InitError(e.message, { cause: e }));
    });
  });
  return {
    endpoint: await nodeEndpoint(worker),
    worker,
    onExit: (l) => exit.listen(l),
    onMessageError: (l) => void worker.on('messageerror', l),
    terminate: async (reason) => {
      terminating ??= reason;
      await worker.terminate();
      await exited;
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}

function resolveComlinkUrl(explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  try {
    // An unbundled page maps `comlink` in its import map; module workers do not see import
    // maps, so the client resolves it here and the worker imports it by URL if it must.
    return import.meta.resolve?.('comlink');
  } catch {
    return undefined;
  }
}

async function startBrowser(options: StartOptions): Promise<WorkerHandle> {
  const worker = new Worker(new URL('./entry-browser.js', import.meta.url), { type: 'module', name: 'recurrent' });
  const exit = new ExitSignal();
  let terminating: string | undefined;
  const end = (why: string) => {
    worker.terminate();
    exit.fire(new WorkerExitedError(`${why}; start a new one with spawnWorker()`));
  };
  worker.addEventListener('error', (e: ErrorEvent) => {
    // An uncaught error (or a script that failed to load): the worker cannot be trusted to
    // answer, so it is ended and every pending call rejects.
    e.preventDefault?.();
    end(terminating ?? `the recurrent worker failed with an uncaught error: ${e.message || 'the worker script did not load'}`);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => end(`the recurrent worker did not start within ${options.timeoutMs} ms`), options.timeoutMs);
    const onMessage = (e: MessageEvent) => {
      if (!isReady(e.data)) return;
      worker.removeEventListener('message', onMessage);
      clearTimeout(timer);
      if (e.data.recurrentWorker === 'ready') resolve();
      else end(`the recurrent worker failed to start: ${e.data.error ?? 'unknown error'}`);
    };
    worker.addEventListener('message', onMessage);
    exit.listen((e) => {
      clearTimeout(timer);
      reject(new InitError(e.message, { cause: e }));
    });
    const comlinkUrl = resolveComlinkUrl(options.comlinkUrl);
    const hello: HelloMessage = { recurrentWorker: 'hello', ...(comlinkUrl !== undefined ? { comlinkUrl } : {}) };
    worker.postMessage(hello);
  });
  return {
    endpoint: worker,
    worker,
    onExit: (l) => exit.listen(l),
    // An unreadable reply fails its call only (see sequenced-endpoint.ts); the worker is fine.
    onMessageError: (l) => worker.addEventListener('messageerror', l),
    terminate: async (reason) => {
      terminating ??= reason;
      end(terminating);
    },
    ref: () => undefined,
    unref: () => undefined,
  };
}
