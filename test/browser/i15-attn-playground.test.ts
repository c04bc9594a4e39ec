// Issue 15, the playground's attention view: the page trains a small date-format
// encoder-decoder with attention in its own worker, translates the date in its field, and
// draws the heat map of attention weights: one row per output character, one column per
// source character, every row summing to 1. Debian's Chromium driven by playwright-core, the
// playground's own Vite dev server, as playground.test.ts.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';

import { type BrowserContext, chromium } from 'playwright-core';

import { type PlaygroundServer, startPlayground } from '../../playground/server.js';

import assert from '../support/assert.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let server: PlaygroundServer;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing`);
  profile = await mkdtemp(join(tmpdir(), 'recurrent-playground-attn-'));
  [server, context] = await Promise.all([
    startPlayground(),
    chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1360, height: 1000 } }),
  ]);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

test('the attention panel trains, translates a date and draws its attention heat map', async () => {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    await page.goto(server.url);
    await page.fill('input[name=attentionPairs]', '640');
    await page.fill('input[name=attentionEpochs]', '2');
    await page.fill('input[name=attentionUnits]', '24');
    const date = '03/04/2021';
    await page.fill('#attention-translate input[name=date]', date);
    await page.click('#attention-train');
    await page.waitForFunction(() => document.getElementById('attention-status')?.dataset['kind'] !== undefined && document.getElementById('attention-status')?.dataset['kind'] !== 'info', undefined, { timeout: 120_000 });
    const status = await page.locator('#attention-status').textContent();
    assert.equal(await page.locator('#attention-status').getAttribute('data-kind'), 'done', `status: ${status}`);
    assert.match(status ?? '', /of 200 held-out dates/);
    await page.waitForSelector('#attention-map svg rect.attention-cell', { timeout: 30_000 });
    const result = (await page.locator('#attention-result').textContent()) ?? '';
    assert.ok(result.startsWith(`${date} → `), result);
    const output = result.slice(`${date} → `.length);
    const weights = await page.$$eval('#attention-map rect.attention-cell', (cells) => cells.map((c) => Number(c.getAttribute('data-weight'))));
    assert.equal(weights.length, [...output].length * date.length, `${weights.length} cells for "${output}" x "${date}"`);
    for (let t = 0; t < output.length; t++) {
      const row = weights.slice(t * date.length, (t + 1) * date.length);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-2, `row ${t} sums to ${row.reduce((a, b) => a + b, 0)}`);
    }
    // The user's own date: translate again after an edit.
    await page.fill('#attention-translate input[name=date]', 'May 5, 1999');
    await page.click('#attention-go');
    await page.waitForFunction(() => document.getElementById('attention-result')?.textContent?.startsWith('May 5, 1999'), undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#attention-map rect.attention-cell').count() % 'May 5, 1999'.length, 0);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
