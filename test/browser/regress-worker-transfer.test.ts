// Issue 11, items 4 and 17, in Chromium, where an argument that cannot cross fails at
// `postMessage` (a raw DataCloneError) rather than as Node's unreadable message: a detached
// array is refused naming it, a data object reused after a transferring call is sent with its
// new arrays (comlink used to keep the old transfer list by that object, which Chromium then
// refused), a function in the arguments is an InvalidArgumentError, and the queue goes on.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';

import { type BrowserContext, chromium } from 'playwright-core';

import { startServer } from './server.js';

import assert from '../support/assert.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

interface Outcome {
  outcome: string;
  message?: string;
}

let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (never a Playwright browser download)`);
  profile = await mkdtemp(join(tmpdir(), 'recurrent-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
});

afterAll(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

test('in a browser worker: detached arrays and functions are refused naming the argument; reused data is sent as it is now', async () => {
  const server = await startServer({ isolated: false });
  const page = await context.newPage();
  try {
    await page.goto(`${server.origin}/pages/regress-worker-transfer.html`);
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 120_000 });
    const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as { ok: boolean; error?: string; results: Record<string, Outcome> };
    assert.ok(result.ok, `the page failed: ${result.error}`);
    const r = result.results;
    const show = (o: Outcome | undefined) => JSON.stringify(o);
    assert.equal(r.firstTransfer?.outcome, 'ok', show(r.firstTransfer));
    for (const name of ['detachedAgain', 'detachedCopy']) {
      assert.equal(r[name]?.outcome, 'InvalidArgumentError', `${name}: ${show(r[name])}`);
      assert.match(r[name]!.message!, /argument `x` cannot be sent to the worker: its buffer was transferred to the worker by an earlier call/);
    }
    assert.equal(r.transferFit?.outcome, 'ok', show(r.transferFit));
    assert.equal(r.reusedData?.outcome, 'ok', `a data object reused after a transferring call: ${show(r.reusedData)}`);
    assert.equal(r.functionArgument?.outcome, 'InvalidArgumentError', show(r.functionArgument));
    assert.match(r.functionArgument!.message!, /argument `options\.temperature` cannot be sent to the worker: it is a function/);
    assert.equal(r.after?.outcome, 'ok', `the queue goes on: ${show(r.after)}`);
  } finally {
    await page.close();
    await server.close();
  }
});
