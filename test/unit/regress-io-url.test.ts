// Issue 11, item 9: reading from a URL had no timeout, size cap or cancel. A server sending a
// byte a second kept `loadModel(url)` pending forever, and a 512 MiB body whose first 8 bytes
// cannot be a safetensors header was read in full before being refused. Against a local HTTP
// server on 127.0.0.1; every wait is bounded.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

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

let server: Server;
let base: string;
let modelBytes: Uint8Array;
let dir: string;
const timers = new Set<ReturnType<typeof setInterval>>();
/** Bytes the /bogus-512mib route managed to send before the client hung up. */
let bogusSent = -1;
let bogusClosed: Promise<void> = Promise.resolve();
let requests = 0;

/** Sends one byte a second for as long as the client listens. */
function dribble(res: ServerResponse, length: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
  res.write(Uint8Array.of(8));
  const t = setInterval(() => res.write(Uint8Array.of(0)), 1000);
  timers.add(t);
  res.on('close', () => {
    clearInterval(t);
    timers.delete(t);
  });
}

before(async () => {
  await init({ threads: 1 });
  const model = sequential([oneHot({ vocabSize: 6 }), lstm({ units: 4 }), dense({ units: 6 })], { seed: 3 });
  modelBytes = saveModel(model);
  model.dispose();
  dir = await mkdtemp(join(tmpdir(), 'regress-io-url-'));
  server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/model.safetensors':
      case '/folder/model.safetensors':
        res.writeHead(200, { 'content-length': String(modelBytes.byteLength) });
        res.end(modelBytes);
        return;
      case '/chunked': {
        // No Content-Length: the size is only known as bytes arrive.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let at = 0; at < modelBytes.byteLength; at += 256) res.write(modelBytes.subarray(at, at + 256));
        res.end();
        return;
      }
      case '/slow':
      case '/folder/meta.json':
        dribble(res, 1000);
        return;
      case '/bogus-512mib': {
        // Claims 512 MiB; the first 8 bytes say the header is 2^64 - 1 bytes long.
        const total = 512 * 2 ** 20;
        res.writeHead(200, { 'content-length': String(total) });
        let sent = 0;
        const chunk = new Uint8Array(64 * 1024);
        const first = new Uint8Array(64 * 1024).fill(0xff, 0, 8);
        bogusClosed = new Promise((resolve) => res.on('close', () => {
          bogusSent = sent;
          resolve();
        }));
        const pump = (): void => {
          while (sent < total && !res.destroyed) {
            const ok = res.write(sent === 0 ? first : chunk);
            sent += chunk.byteLength;
            if (!ok) {
              res.once('drain', pump);
              return;
            }
          }
          if (sent >= total) res.end();
        };
        pump();
        return;
      }
      case '/no-brace': {
        // A plausible header length, then not a JSON object.
        const bytes = new Uint8Array(1 << 20);
        new DataView(bytes.buffer).setUint32(0, 16, true);
        bytes.set(new TextEncoder().encode('[not an object]'), 8);
        res.writeHead(200, { 'content-length': String(64 * 2 ** 20) });
        res.write(bytes);
        return; // never ends: only an early check can answer
      }
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const t of timers) clearInterval(t);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
  await dispose();
});

describe('limits of reading a URL', () => {
  test('a server sending a byte a second: loadModel rejects after timeoutMs with ReadAbortedError', async () => {
    const s = await settle(loadModel(`${base}/slow`, { timeoutMs: 400 }));
    assertAborted(s, 'timeoutMs', /took longer than timeoutMs = 400 ms/);
    assert.ok(s.ms >= 350 && s.ms < 3000, `rejected after ${s.ms.toFixed(0)} ms`);
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
    const before = requests;
    assertAborted(await settle(loadModel(`${base}/model.safetensors`, { signal: AbortSignal.abort() })), 'signal');
    assert.equal(requests, before);
  });

  test('a 512 MiB body whose first 8 bytes are no header length: FormatError at once, the download stopped', async () => {
    const s = await settle(loadModel(`${base}/bogus-512mib`));
    assert.ok(s.error instanceof FormatError, String(s.error));
    assert.match((s.error as Error).message, /header length 18446744073709551615 exceeds the limit/);
    assert.ok(s.ms < 3000, `rejected after ${s.ms.toFixed(0)} ms`);
    await settle(bogusClosed, 3000);
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

  test('files obey maxBytes and an aborted signal too; undeclared sizes are read as they come', async () => {
    const path = join(dir, 'm.safetensors');
    await writeFile(path, modelBytes);
    assertAborted(await settle(readBytes(path, { maxBytes: 100 })), 'maxBytes');
    assertAborted(await settle(loadModel(path, { signal: AbortSignal.abort() })), 'signal');
    const bogus = join(dir, 'bogus.safetensors');
    await writeFile(bogus, new Uint8Array(4096).fill(0xff));
    await assert.rejects(loadModel(bogus), /header length 18446744073709551615/);
    (await loadModel(path)).dispose();
    // Sizes not declared by stat: a device is cut at maxBytes, a procfs file (size 0) read whole.
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
