// recurrent/worker in Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
// browser download): a plain static page with an import map loads the package, trains a
// small GRU language model in a module Worker asking for 2 threads, generates text and
// reports which build ran. Served with COOP/COEP the worker runs the threaded build with its
// own pool; without them, the single-threaded build with exactly one console warning that
// names cross-origin isolation.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';

import { type BrowserContext, chromium } from 'playwright-core';

import { startServer } from './server.js';

import assert from '../support/assert.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// The machine's closed network refuses Chromium's background connections; these flags stop
// it from trying (see the environment notes).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

interface PageResult {
  ok: boolean;
  error?: string;
  engine: { build: string; threads: number; maxThreads: number; simd: boolean; runtime: string; crossOriginIsolated: boolean };
  pageIsolated: boolean;
  losses: number[];
  epochLosses: number[];
  generated: string;
  errorKept: boolean;
  spawnMs: number;
  totalMs: number;
}

let context: BrowserContext;
let profile: string;
const groupStarted = performance.now();
const results = new Map<string, PageResult>();

beforeAll(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (never a Playwright browser download)`);
  profile = await mkdtemp(join(tmpdir(), 'recurrent-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
});

afterAll(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  console.log(`# browser group: ${((performance.now() - groupStarted) / 1000).toFixed(1)} s (Chromium start, two pages, shutdown)`);
});

/** Loads the page from a server with or without COOP/COEP; returns its result and console warnings. */
async function runPage(isolated: boolean): Promise<{ result: PageResult; warnings: string[]; errors: string[] }> {
  const server = await startServer({ isolated });
  const page = await context.newPage();
  const warnings: string[] = [];
  const errors: string[] = [];
  // Worker consoles arrive here too (Chromium reports dedicated workers' messages to the page).
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${server.origin}/pages/worker.html?threads=2`);
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 60_000 });
    const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as PageResult;
    assert.ok(result.ok, `the page failed: ${result.error}; console errors: ${errors.join(' | ')}`);
    return { result, warnings, errors };
  } finally {
    await page.close();
    await server.close();
  }
}

function checkTraining(result: PageResult): void {
  assert.equal(result.engine.runtime, 'browser');
  assert.ok(result.engine.simd);
  assert.ok(result.losses.length >= 20, `${result.losses.length} batches`);
  assert.ok(result.losses.every(Number.isFinite));
  const [first, last] = [result.epochLosses[0]!, result.epochLosses.at(-1)!];
  assert.ok(last < first - 0.5, `the loss went from ${first} to ${last}`);
  assert.equal(typeof result.generated, 'string');
  assert.equal(result.generated.length, 40);
  assert.ok(result.errorKept, 'an InvalidArgumentError thrown in the worker arrived as an InvalidArgumentError');
}

test('with COOP/COEP: the worker runs the threaded build with 2 threads', async () => {
  const { result, warnings } = await runPage(true);
  assert.equal(result.pageIsolated, true);
  assert.equal(result.engine.crossOriginIsolated, true);
  assert.equal(result.engine.build, 'threads');
  assert.equal(result.engine.threads, 2);
  assert.equal(result.engine.maxThreads, 2);
  checkTraining(result);
  assert.deepEqual(warnings.filter((w) => /cross-origin isolat/i.test(w)), []);
  results.set('threads', result);
  console.log(`# isolated page: ${result.engine.build} x${result.engine.threads}, worker up in ${result.spawnMs.toFixed(0)} ms, whole run ${result.totalMs.toFixed(0)} ms, generated ${JSON.stringify(result.generated)}`);
});

test('without the headers: the single-threaded build, with one warning naming cross-origin isolation', async () => {
  const { result, warnings } = await runPage(false);
  assert.equal(result.pageIsolated, false);
  assert.equal(result.engine.crossOriginIsolated, false);
  assert.equal(result.engine.build, 'simd');
  assert.equal(result.engine.threads, 1);
  checkTraining(result);
  const coi = warnings.filter((w) => /cross-origin isolat/i.test(w));
  assert.equal(coi.length, 1, `warnings: ${JSON.stringify(warnings)}`);
  assert.match(coi[0]!, /single-threaded/);
  const threaded = results.get('threads');
  if (threaded) {
    // Fixed tiles: the two builds compute the same numbers, whatever the thread count.
    assert.deepEqual(result.losses, threaded.losses);
    assert.equal(result.generated, threaded.generated);
  }
  console.log(`# plain page: ${result.engine.build} x${result.engine.threads}, worker up in ${result.spawnMs.toFixed(0)} ms, whole run ${result.totalMs.toFixed(0)} ms`);
});
