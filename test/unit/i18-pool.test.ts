// Issue 18: the thread pool under contention. A pool worker that is late (descheduled by
// another process: a browser tab, a Node server) must cost the caller little: the caller claims
// every tile itself and closes the job instead of waiting for a worker that has not joined.
// Before the fix the caller waited for every enlisted worker to check in, so each job cost
// at least the worker's delay (2 threads ran a W1 step at 0.56x of 1 thread under load).
import { afterAll } from 'vitest';

import { dispose, Float32Buffer, gemm, init } from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';
import { randomF32, rng } from '../support/random.js';

afterAll(async () => {
  await dispose();
});

const DELAY_MS = 20;
const CALLS = 40;

threadsOnly.test(`a pool worker ${DELAY_MS} ms late to every job costs the caller nothing: ${CALLS} GEMMs of 4 tiles take far less than ${CALLS} x ${DELAY_MS} ms, with the same bits`, async ({ annotate }) => {
  await dispose();
  const e = await init({ threads: 2 });
  assert.equal(e.threads, 2);
  const next = rng(18);
  const n = 128; // 128^3: 4 tiles (blocking.rs), so the worker is enlisted in every job
  const [a, b] = [Float32Buffer.from(randomF32(n * n, next)), Float32Buffer.from(randomF32(n * n, next))];
  const c = new Float32Buffer(n * n);
  try {
    e.setThreads(1);
    gemm(n, n, n, a, b, c);
    const want = new Uint32Array(c.read().buffer);
    e.setThreads(2);
    e.wasm.pool_test_late_worker(DELAY_MS * 1000);
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) gemm(n, n, n, a, b, c);
    const ms = performance.now() - t0;
    e.wasm.pool_test_late_worker(0);
    assert.deepEqual(new Uint32Array(c.read().buffer), want);
    await annotate(`${CALLS} GEMMs with a worker ${DELAY_MS} ms late: ${ms.toFixed(1)} ms (waiting for it would take >= ${CALLS * DELAY_MS} ms)`);
    assert.ok(ms < (CALLS * DELAY_MS) / 2, `${ms.toFixed(0)} ms: the caller waited for the late worker`);
    // The pool still works with both threads once the worker is on time again.
    const t1 = performance.now();
    for (let i = 0; i < 5; i++) gemm(n, n, n, a, b, c);
    assert.ok(performance.now() - t1 < 1000);
    assert.deepEqual(new Uint32Array(c.read().buffer), want);
  } finally {
    e.wasm.pool_test_late_worker(0);
    for (const x of [a, b, c]) x.dispose();
  }
});
