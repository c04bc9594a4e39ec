/**
 * The TypeScript test suites on vitest, one project per environment (`vitest run --project <name>`):
 *
 *   node               test/unit in Node child processes (run it with Node 20 and with Node 24)
 *   node-worker        the same files inside Node worker_threads
 *   chromium-isolated  the same files in Chromium, cross-origin isolated (COOP/COEP on every
 *                      response): SharedArrayBuffer, so the threaded build with 2 threads, with
 *                      relaxed SIMD (relaxed-threads)
 *   chromium           the same files in Chromium without the headers: the SIMD build, baseline
 *                      SIMD128 (RECURRENT_SIMD=baseline), so the baseline build stays tested
 *                      in a browser; Node 20 runs the baseline builds and Node 24 the relaxed
 *                      ones (the loader's own choice: relaxed SIMD validates from Node 22)
 *   readme             test/readme: every code block of README.md run as written, in child
 *                      processes (one to two minutes, so once per test run, with one Node)
 *   parity             test/parity: every case of a fixtures folder against the public API
 *                      ($PARITY_FIXTURES, default ../shared/fixtures/parity)
 *   interop            test/interop: every ONNX and Keras case of a fixtures folder
 *                      ($INTEROP_FIXTURES, default ../shared/fixtures/interop)
 *   chromium-pages     test/browser: the playground and a static worker page, driven from Node
 *
 * Chromium is Debian's /usr/bin/chromium (or $CHROMIUM_PATH), launched by Playwright; no browser
 * is ever downloaded. The shared fixtures are read from ../shared/fixtures, or $RECURRENT_FIXTURES.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

import type { Environment } from './test/support/env.js';
import { tempFiles } from './test/support/temp-files-plugin.js';
import { urlRoutes } from './test/support/url-routes-plugin.js';

const ROOT = dirname(fileURLToPath(import.meta.url));
// The tests load the test builds (wasm/*-test: the release build plus the exports only tests
// call); the workers and child processes the tests start inherit this.
process.env['RECURRENT_WASM_VARIANT'] ??= 'test';
const FIXTURES = resolve(process.env['RECURRENT_FIXTURES'] ?? join(ROOT, '../shared/fixtures'));
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// The machine's network is closed: these flags stop Chromium's background connections.
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const UNIT = ['test/unit/**/*.test.ts'];
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** What every test can `inject()` (see test/support/env.ts and files.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    environment: Environment;
    /** Threads of the engine the tests use when they do not test a particular build. */
    threads: number;
    /** The SIMD level every `init()` of a browser project loads (`auto`: the loader's choice). */
    simd: 'auto' | 'relaxed' | 'baseline';
    paths: { root: string; fixtures: string };
    /** Test knobs from the environment (`PROP_*`, `RECURRENT_*`), for pages without `process`. */
    env: Record<string, string>;
  }
}

const KNOBS = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => /^(PROP|RECURRENT)_/.test(e[0]) && e[1] !== undefined));

function provide(environment: Environment, threads = 1, simd: 'auto' | 'relaxed' | 'baseline' = 'auto') {
  return { environment, threads, simd, paths: { root: ROOT, fixtures: FIXTURES }, env: KNOBS };
}

if (!existsSync(FIXTURES)) {
  console.warn(`vitest.config: the shared fixtures folder ${FIXTURES} is missing (set RECURRENT_FIXTURES)`);
}

/** The unit tests in Chromium, with or without cross-origin isolation. */
function chromium(name: 'chromium-isolated' | 'chromium', isolated: boolean): TestProjectInlineConfiguration {
  if (!existsSync(CHROMIUM)) {
    console.warn(`vitest.config: ${CHROMIUM} is missing (apt-get install chromium; set CHROMIUM_PATH to use another)`);
  }
  return {
    extends: true,
    plugins: [tempFiles(), urlRoutes()],
    server: { ...(isolated ? { headers: ISOLATION } : {}), fs: { allow: [ROOT, FIXTURES] } },
    // Bundled before the first test file loads, so the page never reloads mid-run; binaryen is
    // imported only by a Node-only test.
    optimizeDeps: { include: ['fast-check'], exclude: ['binaryen'] },
    test: {
      // The project takes its name from its one browser instance; the parent needs another.
      name: `${name} (config)`,
      include: UNIT,
      // The test builds (with the test-only exports): Node finds them by itself.
      setupFiles: ['./test/support/test-build.ts'],
      provide: provide(name, isolated ? 2 : 1, isolated ? 'relaxed' : 'baseline'),
      // One page at a time: an isolated test file runs two threads of its own.
      maxWorkers: isolated ? 1 : 2,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_FLAGS } }),
        instances: [{ browser: 'chromium', name }],
      },
    },
  };
}

export default defineConfig({
  test: {
    // node:test had no per-test limit; training tests take tens of seconds on a busy machine.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts', './test/support/parity-reporter.ts', './test/support/interop-reporter.ts'],
    // `--coverage` (scripts/test.sh passes it to the Node 20 run): the tests import the package's
    // dist/, whose source maps report the figures per src/ file. The CLI is left out: its tests
    // run it in child processes, which V8 coverage of the test process does not see. A figure,
    // not a gate: no thresholds.
    coverage: {
      provider: 'v8',
      include: ['packages/recurrent/dist/**/*.js'],
      exclude: ['packages/recurrent/dist/cli/**'],
      reporter: ['text-summary'],
      reportsDirectory: 'test-results/coverage',
      reportOnFailure: true,
    },
    projects: [
      { extends: true, test: { name: 'node', include: UNIT, pool: 'forks', provide: provide('node') } },
      { extends: true, test: { name: 'node-worker', include: UNIT, pool: 'threads', provide: provide('node-worker') } },
      chromium('chromium-isolated', true),
      chromium('chromium', false),
      // The README's blocks run in child processes of their own, whatever the project: run in a
      // worker thread, a page (where they could not start at all) or with a second Node, they
      // would only repeat those minutes. A project of their own runs them once. The npm tarball
      // test is here too: `pnpm pack` briefly copies files into the package folder, so two
      // projects packing at once would see each other's copies.
      { extends: true, test: { name: 'readme', include: ['test/readme/*.test.ts'], pool: 'forks', provide: provide('readme') } },
      { extends: true, test: { name: 'parity', include: ['test/parity/*.test.ts'], provide: provide('parity') } },
      { extends: true, test: { name: 'interop', include: ['test/interop/*.test.ts'], provide: provide('interop') } },
      {
        extends: true,
        test: { name: 'chromium-pages', include: ['test/browser/*.test.ts'], provide: provide('chromium-pages'), fileParallelism: false },
      },
    ],
  },
});
