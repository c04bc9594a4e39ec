// Issue 11, item 4: a worker call that transferred a buffer, then a second call with the same
// (now detached) array, hung the worker's queue for ever: comlink kept the transfer list by
// the array, Node posted the detached buffer and the worker failed to read the message, with
// a `messageerror` nobody listened to. Now such a call rejects with InvalidArgumentError
// naming the argument, any message that arrives unreadable settles its own call with an
// error, and the queue goes on.
import * as nodeModule from 'node:module';
import * as nodeUrl from 'node:url';
import * as workerThreads from 'node:worker_threads';
import { afterAll, beforeAll, test } from 'vitest';

import { dense, embedding, gru, InvalidArgumentError, saveModel, sequential, init, Vocab } from 'recurrent';
import { type RecurrentWorker, type RemoteModel, spawnWorker } from 'recurrent/worker';

import assert from '../support/assert.js';
import { inNode, nodeOnly, onlyIf } from '../support/env.js';

// comlink is the package's dependency, not the workspace's: its types by path.
type Comlink = typeof import('../../packages/recurrent/node_modules/comlink/dist/umd/comlink.js');

const TEXT = 'the time traveller for so it will be convenient to speak of him ';
const vocab = new Vocab([...TEXT]);
const corpus = () => Int32Array.from(vocab.encode([...TEXT.repeat(2)]));
const layers = [embedding({ vocabSize: vocab.size, dim: 4 }), gru({ units: 8 }), dense({ units: vocab.size })];
// The worker's internal modules, as built (tests run against dist).
const DIST = new URL('../../packages/recurrent/dist/worker', import.meta.url).href;
const DETACHED = /argument `([^`]+)` cannot be sent to the worker: its buffer was transferred to the worker by an earlier call/;

/** The comlink module the package itself loads (its transfer cache is per module). */
async function loadComlink(): Promise<Comlink> {
  const require = nodeModule.createRequire(nodeUrl.fileURLToPath(import.meta.resolve('recurrent/package.json')));
  return (await import(/* @vite-ignore */ nodeUrl.pathToFileURL(require.resolve('comlink')).href)) as Comlink;
}

/** Fails instead of waiting for ever: the bug was a promise that never settled. */
function settlesWithin<T>(p: Promise<T>, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the call did not settle within ${ms} ms (the queue hangs)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function detachedArgument(name: string) {
  return (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
    assert.equal(DETACHED.exec(e.message)?.[1], name, e.message);
    return true;
  };
}

/**
 * Whether postMessage here sends a message whose transfer list holds a detached buffer, which
 * the receiver then cannot read (Node 20 does). Node 24, like browsers, refuses it at
 * postMessage with a DataCloneError, so no unreadable message can ever arrive.
 */
function postsDetachedBuffers(): boolean {
  const { port1, port2 } = new MessageChannel();
  const buffer = new ArrayBuffer(4);
  structuredClone(buffer, { transfer: [buffer] });
  try {
    port1.postMessage(buffer, [buffer]);
    return true;
  } catch {
    return false;
  } finally {
    port1.close();
    port2.close();
  }
}

const POSTS_DETACHED = inNode && postsDetachedBuffers();
/** The tests below load the package's own comlink module (its transfer cache is per module) with node:module. */
const COMLINK = "loads the package's comlink module through node:module";
/** Tests of a message that arrives unreadable (messageerror). */
const unreadableArrives = inNode
  ? onlyIf(POSTS_DETACHED, `Node ${process.versions.node} refuses a detached buffer in a transfer list at postMessage (DataCloneError), so no unreadable message can arrive (the request-refused-at-postMessage test covers this Node)`)
  : nodeOnly(`browsers refuse a detached buffer in a transfer list at postMessage, so no unreadable message can arrive; and the test ${COMLINK}`);
/** Tests of a message postMessage refuses at once. */
const refusedAtPost = inNode
  ? onlyIf(!POSTS_DETACHED, `Node ${process.versions.node} posts a detached buffer in a transfer list: the messageerror tests cover it`)
  : nodeOnly(COMLINK);

let remote: RecurrentWorker;
let model: RemoteModel;

beforeAll(async () => {
  remote = await spawnWorker({ threads: 1 });
  model = await remote.sequential(layers, { seed: 1, vocab });
});

afterAll(async () => {
  // Ends the worker even with a call still pending (before the fix, one never settled).
  await remote?.terminate();
});

test('predict: a second call with an array an earlier call transferred rejects naming `x`, and the queue goes on', async () => {
  const x = new Int32Array(2 * 3).fill(1);
  const first = await settlesWithin(model.predict(x, { seqLen: 3, batchSize: 2, transfer: true }));
  assert.equal(first.length, 2 * 3 * vocab.size);
  assert.equal(x.byteLength, 0, 'the first call transferred the buffer');
  await assert.rejects(settlesWithin(model.predict(x, { seqLen: 3, batchSize: 2, transfer: true })), detachedArgument('x'));
  // Without transfer: the same array is still refused (not sent with the old transfer list).
  await assert.rejects(settlesWithin(model.predict(x, { seqLen: 3, batchSize: 2 })), detachedArgument('x'));
  // The queue goes on, and the worker is unharmed.
  assert.equal((await settlesWithin(model.generate([1, 2], { length: 4, temperature: 0 }))).length, 4);
  assert.equal((await settlesWithin(model.predict(new Int32Array(6).fill(1), { seqLen: 3, batchSize: 2 }))).length, first.length);
});

test('two calls queued together, the first transferring: the second is refused when it is sent, not left pending', async () => {
  const x = new Int32Array(2).fill(2);
  const first = model.predict(x, { seqLen: 1, batchSize: 2, transfer: true });
  const second = model.predict(x, { seqLen: 1, batchSize: 2 });
  const third = model.generate([1], { length: 2, temperature: 0 });
  assert.equal((await settlesWithin(first)).length, 2 * vocab.size);
  await assert.rejects(settlesWithin(second), detachedArgument('x'));
  assert.equal((await settlesWithin(third)).length, 2);
});

test('fit and loadModel: transferred data used again is refused naming the part, and a reused data object sends its new arrays', async () => {
  const batch = { x: new Int32Array(8).fill(1), y: new Int32Array(8).fill(2), seqLen: 4, batchSize: 2 };
  await settlesWithin(model.fit({ batches: [batch] }, { epochs: 1, transfer: true }));
  assert.equal(batch.x.byteLength, 0);
  await assert.rejects(settlesWithin(model.fit({ batches: [batch] }, { epochs: 1 })), detachedArgument('data.batches[0].x'));

  // The same data object, given fresh arrays after a transferring call, is sent with them:
  // no transfer list left over from the earlier call.
  const data = { corpus: corpus(), order: 'sequential' as const, batchSize: 2, seqLen: 4 };
  await settlesWithin(model.fit(data, { epochs: 1, transfer: true }));
  data.corpus = corpus();
  assert.equal((await settlesWithin(model.fit(data, { epochs: 1 }))).epochs.length, 1);
  assert.equal(data.corpus.length, corpus().length, 'copied, not transferred');

  await init({ threads: 1 });
  const bytes = saveModel(sequential(layers, { seed: 2, vocab }));
  const copy = await settlesWithin(remote.loadModel(bytes, { transfer: true }));
  await copy.dispose();
  await assert.rejects(settlesWithin(remote.loadModel(bytes, { transfer: true })), detachedArgument('bytes'));
  assert.equal((await settlesWithin(model.generate([1], { length: 3, temperature: 0 }))).length, 3);
});

unreadableArrives.test('a request the worker receives but cannot read (messageerror) rejects its call, and the queue goes on', async () => {
  const Comlink = await loadComlink();
  const gone = new Int32Array(4);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  // Past the client's checks: a message whose transfer list holds a detached buffer, which
  // Node posts and the worker then fails to read.
  const call = remote.call('probe', (api) => (api.engineInfo as unknown as (x: unknown) => Promise<unknown>)(Comlink.transfer({ gone }, [gone.buffer])));
  await assert.rejects(settlesWithin(call), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `got ${String(e)}`);
    assert.match(e.message, /^probe: an argument cannot be sent to the worker: the worker received this call but could not read its arguments/);
    return true;
  });
  assert.equal((await settlesWithin(remote.engineInfo())).build, 'simd');
  assert.equal((await settlesWithin(model.generate([1], { length: 2, temperature: 0 }))).length, 2);
});

// Where postMessage refuses the same request at once: comlink rejects the call itself, with the
// DataCloneError the client turns into an InvalidArgumentError.
refusedAtPost.test('a request postMessage refuses (a detached buffer in its transfer list) rejects its call with InvalidArgumentError, and the queue goes on', async () => {
  const Comlink = await loadComlink();
  const gone = new Int32Array(4);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  const call = remote.call('probe', (api) => (api.engineInfo as unknown as (x: unknown) => Promise<unknown>)(Comlink.transfer({ gone }, [gone.buffer])));
  await assert.rejects(settlesWithin(call), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `got ${String(e)}`);
    assert.match(e.message, /^probe: an argument cannot be sent to the worker: /);
    assert.equal((e.cause as Error | undefined)?.name, 'DataCloneError');
    return true;
  });
  assert.equal((await settlesWithin(remote.engineInfo())).build, 'simd');
  assert.equal((await settlesWithin(model.generate([1], { length: 2, temperature: 0 }))).length, 2);
});

unreadableArrives.test('a reply that arrives unreadable rejects its call, on both sides of a sequenced endpoint', async () => {
  const Comlink = await loadComlink();
  const { sequencedEndpoint } = (await import(/* @vite-ignore */ `${DIST}/sequenced-endpoint.js`)) as typeof import('../../packages/recurrent/dist/worker/sequenced-endpoint.js');
  const { nodeEndpoint } = (await import(/* @vite-ignore */ `${DIST}/node-endpoint.js`)) as typeof import('../../packages/recurrent/dist/worker/node-endpoint.js');
  const { port1, port2 } = new workerThreads.MessageChannel();
  try {
    const service = {
      ok: (n: number) => n + 1,
      // A reply whose transfer list holds a detached buffer: Node posts it, the caller cannot read it.
      broken: () => {
        const gone = new Float32Array(2);
        structuredClone(gone.buffer, { transfer: [gone.buffer] });
        return Comlink.transfer({ gone }, [gone.buffer]);
      },
    };
    Comlink.expose(service, sequencedEndpoint(await nodeEndpoint(port2), (l) => void port2.on('messageerror', l)));
    const api = Comlink.wrap<typeof service>(sequencedEndpoint(await nodeEndpoint(port1), (l) => void port1.on('messageerror', l)));
    await assert.rejects(settlesWithin(api.broken() as Promise<unknown>), (e: unknown) => {
      assert.equal((e as Error).name, 'RecurrentError');
      assert.match((e as Error).message, /reply to this call arrived but could not be read/);
      return true;
    });
    assert.equal(await settlesWithin(api.ok(41)), 42);
  } finally {
    port1.close();
    port2.close();
  }
});
