/**
 * The training worker: started with the thread count chosen in the page, restarted when it
 * changes, and described in the header badge (which build runs, with how many threads and
 * which SIMD level: relaxed or baseline).
 */
import { spawnWorker, type EngineInfo, type RecurrentWorker } from 'recurrent/worker';

export type Threads = number | 'auto';

/** `'auto'` or a thread count, from the threads select's value. */
export function parseThreads(value: string): Threads {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Threads: expected 'auto' or a count, got ${JSON.stringify(value)}`);
  return n;
}

/** One line about the engine, for the badge. */
export function describeEngine(info: EngineInfo): string {
  const parts =
    info.build === 'threads'
      ? [`${info.buildName} build`, `${info.threads} thread${info.threads === 1 ? '' : 's'}`]
      : [`single-threaded build (${info.buildName})`];
  if (info.simd) parts.push(info.simdLevel === 'relaxed' ? 'relaxed SIMD (FMA)' : 'SIMD128');
  if (info.crossOriginIsolated === false) parts.push('page not cross-origin isolated');
  return parts.join(' · ');
}

export class EngineHost {
  #remote: RecurrentWorker | undefined;
  #threads: Threads | undefined;
  readonly #badge: HTMLElement;

  constructor(badge: HTMLElement) {
    this.#badge = badge;
  }

  /** The running worker, if it is alive. */
  get remote(): RecurrentWorker | undefined {
    return this.#remote?.alive ? this.#remote : undefined;
  }

  /** Whether the running worker was started with `threads`. */
  matches(threads: Threads): boolean {
    return this.remote !== undefined && this.#threads === threads;
  }

  /** Ends the running worker (if any) and starts one with `threads`. */
  async restart(threads: Threads): Promise<RecurrentWorker> {
    const old = this.#remote;
    this.#remote = undefined;
    this.#badge.dataset['build'] = '';
    this.#badge.textContent = 'starting the worker…';
    await old?.dispose();
    try {
      const remote = await spawnWorker({ threads });
      this.#remote = remote;
      this.#threads = threads;
      const info = remote.engine;
      this.#badge.dataset['build'] = info.build;
      this.#badge.dataset['threads'] = String(info.threads);
      this.#badge.dataset['simd'] = info.simdLevel;
      this.#badge.textContent = describeEngine(info);
      this.#badge.title = `wasm memory ${(info.memoryBytes / 2 ** 20).toFixed(0)} MiB; the pool could use up to ${info.maxThreads} threads`;
      return remote;
    } catch (e) {
      this.#badge.dataset['build'] = 'failed';
      this.#badge.textContent = 'the worker did not start';
      throw e;
    }
  }
}
