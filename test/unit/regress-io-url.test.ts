// Issue 11, item 9: reading from a URL had no timeout, size cap or cancel. A server sending a
// byte a second kept `loadModel(url)` pending forever, and a 512 MiB body whose first 8 bytes
// cannot be a safetensors header was read in full before being refused. Against the routes of
// test/support/url-routes.ts: a local HTTP server on 127.0.0.1 in Node, the vitest server in a
// page; every wait is bounded.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  dense,
  dispose,
  FormatError,
  init,
  InvalidArgumentError,
  loadModel,
  loadSafetensors,
  loadTorch,
  lstm,
  oneHot,
  readBytes,
  readText,
  ReadAbortedError,
  RecurrentError,
  saveModel,
  sequential,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { withTempFile } from '../support/files.js';
import { startUrlServer, type UrlServer } from '../support/url-server.js';

/** How long any single read below may take before the test calls it hung. */
const HUNG_MS = 5000;

interface Settled {
  error?: unknown;
  value?: unknown;
  ms: number;
}

/** Waits for `p` at most `ms`; fails the test if it is still pending then. */
async function settle(p: Promise<unknown>, ms = HUNG_MS): Promise<Settled> {
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = Symbol('pending');
  const outcome = await Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<typeof pending>((resolve) => {
      timer = setTimeout(() => resolve(pending), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === pending) assert.fail(`still pending after ${ms} ms`);
  return { ...outcome, ms: performance.now() - start };
}

/** Asserts a ReadAbortedError for `limit`. */
function assertAborted(s: Settled, limit: string, pattern?: RegExp): void {
  const e = s.error;
  assert.ok(e instanceof ReadAbortedError, `expected a ReadAbortedError, got ${String(s.error ?? 'a value')}`);
  assert.ok(e instanceof RecurrentError);
  assert.equal(e.name, 'ReadAbortedError');
  assert.equal(e.limit, limit);
  if (pattern) assert.match(e.message, pattern);
}

let server: UrlServer;
let base: string;
let modelBytes: Uint8Array;

beforeAll(async () => {
  await init(engineOptions);
  const model = sequential([oneHot({ vocabSize: 6 }), lstm({ units: 4 }), dense({ units: 6 })], { seed: 3 });
  modelBytes = saveModel(model);
  model.dispose();
  server = await startUrlServer(modelBytes);
  base = server.base;
});

afterAll(async () => {
  await server?.close();
  await dispose();
});

describe('limits of reading a URL', () => {
  test('a server sending a byte a second: loadModel rejects after timeoutMs with ReadAbortedError', async () => {
    // Timed from before the call: the read's clock starts inside loadModel, before `settle` runs.
    const started = performance.now();
    const s = await settle(loadModel(`${base}/slow`, { timeoutMs: 400 }));
    const ms = performance.now() - started;
    assertAborted(s, 'timeoutMs', /took longer than timeoutMs = 400 ms/);
    assert.ok(ms >= 395 && ms < 3000, `rejected after ${ms.toFixed(0)} ms`);
  });

  test('the same for readBytes, loadSafetensors, and loadTorch (one deadline for its two files)', async () => {
    assertAborted(await settle(readBytes(`${base}/slow`, { timeoutMs: 300 })), 'timeoutMs');
    assertAborted(await settle(loadSafetensors(`${base}/slow`, { timeoutMs: 300 })), 'timeoutMs');
    assertAborted(await settle(loadTorch(`${base}/folder`, { timeoutMs: 300 })), 'timeoutMs');
  });

  test('a signal cancels the read: ReadAbortedError with the reason as cause; an aborted signal sends no request', async () => {
    const controller = new AbortController();
    const reason = new Error('user went away');
    setTimeout(() => controller.abort(reason), 300);
    const s = await settle(loadModel(`${base}/slow`, { signal: controller.signal }));
    assertAborted(s, 'signal', /aborted by the signal/);
    assert.equal((s.error as Error).cause, reason);
    const before = await server.requests();
    assertAborted(await settle(loadModel(`${base}/model.safetensors`, { signal: AbortSignal.abort() })), 'signal');
    assert.equal(await server.requests(), before);
  });

  test('a 512 MiB body whose first 8 bytes are no header length: FormatError at once, the download stopped', async () => {
    const s = await settle(loadModel(`${base}/bogus-512mib`));
    assert.ok(s.error instanceof FormatError, String(s.error));
    assert.match((s.error as Error).message, /header length 18446744073709551615 exceeds the limit/);
    assert.ok(s.ms < 3000, `rejected after ${s.ms.toFixed(0)} ms`);
    await settle(server.bogusClosed(), 3000);
    const bogusSent = await server.bogusSent();
    assert.ok(bogusSent >= 0 && bogusSent < 64 * 2 ** 20, `the server sent ${bogusSent} bytes before the client closed`);
    // A length that fits, followed by no '{': refused without waiting for the rest.
    const t = await settle(loadSafetensors(`${base}/no-brace`));
    assert.ok(t.error instanceof FormatError, String(t.error));
    assert.match((t.error as Error).message, /starting with '\{', got "\[not an object/);
  });

  test('maxBytes: a declared size is refused before the body, an undeclared one once the bytes pass it', async () => {
    const n = modelBytes.byteLength;
    assertAborted(await settle(loadModel(`${base}/model.safetensors`, { maxBytes: n - 1 })), 'maxBytes', new RegExp(`is ${n} bytes, more than maxBytes = ${n - 1}`));
    assertAborted(await settle(loadModel(`${base}/chunked`, { maxBytes: 1000 })), 'maxBytes', /more than 1000 bytes/);
    // exactly the limit is fine, by URL and without Content-Length
    (await loadModel(`${base}/model.safetensors`, { maxBytes: n })).dispose();
    (await loadModel(`${base}/chunked`, { maxBytes: n })).dispose();
  });

  test('files (blob: URLs in a page) obey maxBytes and an aborted signal too', () =>
    withTempFile('m.safetensors', modelBytes, async (path) => {
      assertAborted(await settle(readBytes(path, { maxBytes: 100 })), 'maxBytes');
      assertAborted(await settle(loadModel(path, { signal: AbortSignal.abort() })), 'signal');
      await withTempFile('bogus.safetensors', new Uint8Array(4096).fill(0xff), async (bogus) => {
        await assert.rejects(loadModel(bogus), /header length 18446744073709551615/);
      });
      (await loadModel(path)).dispose();
    }));

  nodeOnly('reads /dev/zero and /proc/self/status').test('files whose size stat does not declare are read as they come: a device is cut at maxBytes, a procfs file (size 0) read whole', async () => {
    assertAborted(await settle(readBytes('/dev/zero', { maxBytes: 2 ** 20 })), 'maxBytes', /more than 1048576 bytes/);
    assert.match(await readText('/proc/self/status'), /^Name:/);
  });

  test('defaults are finite (5 minutes, 1 GiB) and options are checked', async () => {
    assert.equal(DEFAULT_TIMEOUT_MS, 300_000);
    assert.equal(DEFAULT_MAX_BYTES, 2 ** 30);
    const bad: [unknown, RegExp][] = [
      [{ timeout: 5 }, /unknown option `timeout`/],
      [{ timeoutMs: 0 }, /`timeoutMs` expected a number > 0/],
      [{ timeoutMs: Number.NaN }, /`timeoutMs`/],
      [{ maxBytes: -1 }, /`maxBytes` expected an integer >= 0/],
      [{ maxBytes: 1.5 }, /`maxBytes`/],
      [{ signal: {} }, /`signal` expected an AbortSignal/],
      [null, /`options` expected an object/],
    ];
    for (const [options, pattern] of bad) {
      await assert.rejects(loadModel(`${base}/model.safetensors`, options as never), (e: unknown) => e instanceof InvalidArgumentError && pattern.test(e.message));
      await assert.rejects(readBytes(`${base}/model.safetensors`, options as never), InvalidArgumentError);
    }
    await assert.rejects(loadSafetensors(`${base}/model.safetensors`, { int64: 'int32', nope: 1 } as never), /unknown option `nope`/);
    // a working read with every option given
    const file = await loadSafetensors(`${base}/model.safetensors`, { int64: 'int32', timeoutMs: Infinity, maxBytes: 2 ** 40, signal: new AbortController().signal });
    assert.ok(file.tensors.size > 0);
  });
});
