/**
 * Starting recurrent's own Node `worker_threads` workers (the pool's, and the one
 * `spawnWorker()` runs): with the parent's Node options when a worker accepts them, and with
 * none when it does not.
 *
 * A worker refuses per-process options (`--max-old-space-size`, `--stack-size`, `--no-opt`,
 * `--expose-gc` and other V8 flags, `--title`) when they are passed to it explicitly, and
 * Node has no list of which options those are. recurrent's workers need none of the parent's
 * options, so when Node refuses the set it is dropped. (Passing nothing at all would make
 * Node copy the parent's options itself, `--input-type` included, which breaks the worker.)
 */
import type { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';

import { InitError } from '../errors.js';

/** The parent's Node options minus `--input-type` (a worker that inherits it fails to load). */
export function workerExecArgv(): string[] {
  const p = (globalThis as { process?: { execArgv?: string[] } }).process;
  const args = p?.execArgv ?? [];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) out.push(a);
  }
  return out;
}

/**
 * A new worker running `url`; `what` names it in errors. Any failure to create it is an
 * {@link InitError}.
 */
export async function newNodeWorker(url: URL, options: Omit<WorkerOptions, 'execArgv'>, what: string): Promise<NodeWorker> {
  const { Worker } = await import(/* @vite-ignore */ 'node:worker_threads');
  try {
    return new Worker(url, { ...options, execArgv: workerExecArgv() });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') {
      throw new InitError(`could not start ${what}: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    return new Worker(url, { ...options, execArgv: [] });
  } catch (e) {
    throw new InitError(`could not start ${what}: ${(e as Error).message}`, { cause: e });
  }
}
