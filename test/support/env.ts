/**
 * Where a test runs, and gates for tests that need what only some environments have. The same
 * files run in Node (forks), in Node worker_threads, and in Chromium with and without
 * cross-origin isolation; vitest.config.ts provides each project's name and the number of
 * threads its tests' engine uses.
 *
 * A gated test is still registered everywhere: where the condition fails it is reported as
 * skipped with the reason (vitest prints it after the test's name, and the summary reporter
 * lists every skip), never left out silently.
 */
import { afterAll, afterEach, beforeAll, beforeEach, inject, test, type TestAPI } from 'vitest';

import { hasThreads, type InitOptions } from 'recurrent';

/** The vitest project running this file (see vitest.config.ts). */
export type Environment = 'node' | 'node-worker' | 'chromium-isolated' | 'chromium' | 'readme' | 'parity' | 'interop' | 'chromium-pages';

export const environment = inject('environment') as Environment;

/** Node (main thread or worker_threads), as opposed to a browser page. */
export const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** A browser page (vitest browser mode). */
export const inBrowser = !inNode;

/**
 * A test knob from the environment (e.g. `PROP_RUNS`): `process.env` in Node; in a page, the
 * value the vitest process saw (vitest.config.ts passes on `PROP_*` and `RECURRENT_*`).
 */
export function testEnv(name: string): string | undefined {
  return inNode ? process.env[name] : inject('env')[name];
}

/**
 * `init()` options for tests that do not test a particular build: one thread (the SIMD build)
 * in Node and the plain page, two threads (the threaded build) in the cross-origin-isolated
 * page. Results are bit-identical either way (fixed tiles), so expectations do not change.
 */
export const engineOptions: InitOptions = { threads: inject('threads') };

/** Hooks and `test` that run only where a condition holds. */
export interface Gate {
  /** vitest's `test` (with `.each`, options, ...); elsewhere each test is skipped with the reason. */
  readonly test: TestAPI;
  readonly beforeAll: typeof beforeAll;
  readonly afterAll: typeof afterAll;
  readonly beforeEach: typeof beforeEach;
  readonly afterEach: typeof afterEach;
}

const noHook = (() => undefined) as never;

/** Tests that run only where `condition` holds, and are skipped with `reason` elsewhere. */
export function onlyIf(condition: boolean, reason: string): Gate {
  if (condition) return { test, beforeAll, afterAll, beforeEach, afterEach };
  // An automatic fixture runs before each test's body and skips it with the reason as its note.
  const skipped = test.extend<{ gate: undefined }>({
    gate: [
      async ({ skip }, use) => {
        skip(reason);
        await use(undefined);
      },
      { auto: true },
    ],
  });
  return { test: skipped, beforeAll: noHook, afterAll: noHook, beforeEach: noHook, afterEach: noHook };
}

/** Tests that need `node:` modules, the file system or child processes. */
export function nodeOnly(reason: string): Gate {
  return onlyIf(inNode, `Node only: ${reason}`);
}

/**
 * Tests of the threaded build: it needs SharedArrayBuffer, which a browser page has only when
 * cross-origin isolated (Node always has it).
 */
export const threadsOnly: Gate = onlyIf(
  hasThreads(),
  'needs the threaded build: SharedArrayBuffer exists only in a cross-origin-isolated page',
);
