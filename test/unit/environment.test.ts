// Each vitest project runs where it says it does (see vitest.config.ts): Node's main thread, a
// Node worker_threads worker, Chromium with cross-origin isolation (the threaded build, 2
// threads), Chromium without (the SIMD build); and the Node version asked for
// ($RECURRENT_EXPECT_NODE, set by scripts/test.sh for its Node 20 and Node 24 runs).
import { afterAll, test } from 'vitest';

import { dispose, engine, Float32Buffer, gemm, init } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, environment, inBrowser, inNode, onlyIf, threadsOnly } from '../support/env.js';

afterAll(() => dispose());

const DESCRIPTIONS: Record<string, string> = {
  node: "a Node process's main thread",
  'node-worker': 'a Node worker_threads worker',
  'chromium-isolated': 'a cross-origin-isolated Chromium page, the threaded build with 2 threads',
  chromium: 'a Chromium page without isolation, the SIMD build',
};

/** What each project promises (vitest.config.ts), checked from inside a test. */
const checks: Record<string, () => Promise<void>> = {
  async node() {
    const { isMainThread } = await import('node:worker_threads');
    assert.equal(isMainThread, true, "a Node process's main thread");
  },
  async 'node-worker'() {
    const { isMainThread, threadId } = await import('node:worker_threads');
    assert.equal(isMainThread, false, 'inside a worker_threads worker, not on the main thread');
    assert.ok(threadId > 0);
  },
  async 'chromium-isolated'() {
    assert.match(navigator.userAgent, /Chrome\//);
    assert.equal(globalThis.crossOriginIsolated, true);
    assert.equal(typeof SharedArrayBuffer, 'function');
    await dispose();
    const e = await init(engineOptions);
    assert.equal(e.build, 'threads');
    assert.equal(e.maxThreads, 2);
    assert.equal(e.threads, 2);
    assert.ok(e.memory.buffer instanceof SharedArrayBuffer);
  },
  async chromium() {
    assert.match(navigator.userAgent, /Chrome\//);
    assert.equal(globalThis.crossOriginIsolated, false);
    assert.equal(typeof SharedArrayBuffer, 'undefined');
    await dispose();
    const e = await init(engineOptions);
    assert.equal(e.build, 'simd');
    assert.equal(e.threads, 1);
    assert.ok(e.simd);
  },
};

test(`the ${environment} project runs where it says: ${DESCRIPTIONS[environment] ?? environment}`, async () => {
  assert.equal(inBrowser, environment.startsWith('chromium'));
  const check = checks[environment];
  assert.ok(check, `no check for the project ${environment}`);
  await check();
});

const expectNode = inNode ? process.env['RECURRENT_EXPECT_NODE'] : undefined;
onlyIf(expectNode !== undefined, 'no Node major version asked for ($RECURRENT_EXPECT_NODE unset, or a page)').test(
  `runs on the Node major version asked for (${expectNode ?? 'none'})`,
  () => {
    assert.equal(process.versions.node.split('.')[0], expectNode);
  },
);

// Regression: in a page the threaded build ran on the main thread until the caller had to wait
// for a pool worker: `memory.atomic.wait32` traps there ("Atomics.wait cannot be called in this
// context"), so any GEMM whose tiles outlasted the caller's spin failed with an internal error.
threadsOnly.test('long parallel kernels run on the calling thread, even where it may not block (a page\'s main thread)', async () => {
  await dispose();
  await init({ threads: 2 });
  assert.equal(engine().build, 'threads');
  const n = 384;
  const ones = new Float32Array(n * n).fill(1);
  const a = Float32Buffer.from(ones);
  const b = Float32Buffer.from(ones);
  const c = new Float32Buffer(n * n);
  try {
    // Tiles of this size take longer than the caller's spin before it would wait.
    for (let i = 0; i < 10; i++) gemm(n, n, n, a, b, c, { alpha: 1 / n });
    assert.ok(c.read().every((v) => v === 1), 'every element of the product is 1');
  } finally {
    [a, b, c].forEach((x) => x.dispose());
  }
});
