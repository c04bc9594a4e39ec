// recurrent/worker in Node: the model API through comlink in a worker_threads Worker.
// Same numbers as in-thread (bit-identical losses), calls in order, abort within one batch,
// errors keep their class, a dead worker rejects what is pending, and a script ends by itself.
import * as childProcess from 'node:child_process';
import type { Worker as NodeWorker } from 'node:worker_threads';

import {
  dense, DisposedError, embedding, fit, FormatError, gru, init, InvalidArgumentError, Random, sequential,
  sequentialBatches, Vocab,
} from 'recurrent';
import { type RecurrentWorker, spawnWorker, WorkerExitedError } from 'recurrent/worker';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

// In pages the same bridge runs in a module Worker: test/browser/worker.test.ts (project chromium-pages).
const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads, child processes)');

const TEXT = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us ';
const vocab = new Vocab([...TEXT]);
const corpus = Int32Array.from(vocab.encode([...TEXT.repeat(6)]));
const layers = [embedding({ vocabSize: vocab.size, dim: 8 }), gru({ units: 16 }), dense({ units: vocab.size })];
const DATA = { order: 'sequential', batchSize: 4, seqLen: 8, seed: 7 } as const;
const OPTIONS = { epochs: 2, bptt: 'truncated', optimizer: { type: 'adam', lr: 0.01 }, clipNorm: 1 } as const;

let remote: RecurrentWorker;

beforeAll(async () => {
  remote = await spawnWorker({ threads: 2 });
});

afterAll(async () => {
  await remote?.dispose();
});

test('the worker owns a threaded engine with its own pool', async () => {
  const info = await remote.engineInfo();
  assert.equal(info.build, 'threads');
  assert.equal(info.threads, 2);
  assert.equal(info.maxThreads, 2);
  assert.equal(info.runtime, 'node');
  assert.ok(info.simd);
  assert.deepEqual(remote.engine.build, 'threads');
});

test('training through the worker gives the in-thread loss sequence bit for bit (same seed, same threads)', async () => {
  await init({ threads: 2 });
  const local = sequential(layers, { seed: 3, vocab });
  const localLosses: number[] = [];
  const rng = new Random(DATA.seed);
  const localHistory = await fit(local, () => sequentialBatches(corpus, { batchSize: DATA.batchSize, seqLen: DATA.seqLen, rng }), {
    ...OPTIONS,
    onBatchEnd: (b) => void localLosses.push(b.loss),
  });
  const localText = local.generate('the t', { length: 30, temperature: 0.8, seed: 5 });
  local.dispose();

  const model = await remote.sequential(layers, { seed: 3, vocab });
  assert.equal(model.parameterCount, sequential(layers, { seed: 3, vocab }).parameterCount);
  const remoteLosses: number[] = [];
  const remoteHistory = await model.fit({ corpus, ...DATA }, { ...OPTIONS, onBatchEnd: (b) => void remoteLosses.push(b.loss) });
  assert.ok(localLosses.length >= 10, `only ${localLosses.length} batches`);
  assert.deepEqual(remoteLosses, localLosses);
  assert.deepEqual(remoteHistory.epochs.map((e) => e.loss), localHistory.epochs.map((e) => e.loss));
  assert.ok(remoteLosses.at(-1)! < remoteLosses[0]!, 'the loss went down');
  assert.equal(await model.generate('the t', { length: 30, temperature: 0.8, seed: 5 }), localText);
  await model.dispose();
});

test('calls run in the order they were made (a serial queue), with results transferred', async () => {
  const model = await remote.sequential(layers, { seed: 4, vocab });
  const order: string[] = [];
  const before = model.generate([1, 2, 3], { length: 8, temperature: 0 }).then((ids) => (order.push('generate-before'), ids));
  const trained = model.fit({ corpus, ...DATA }, { epochs: 1 }).then(() => void order.push('fit'));
  const afterFit = model.generate([1, 2, 3], { length: 8, temperature: 0 }).then((ids) => (order.push('generate-after'), ids));
  const state = await model.zeroState(1);
  await Promise.all([before, trained, afterFit]);
  assert.deepEqual(order, ['generate-before', 'fit', 'generate-after']);
  assert.notDeepEqual(await before, await afterFit, 'generate after fit saw the trained weights');

  const out = await model.step([1], state);
  assert.equal(out.length, vocab.size);
  const x = new Int32Array(8 * 2).fill(1);
  const logits = await model.predict(x, { seqLen: 8, batchSize: 2, transfer: true });
  assert.equal(x.byteLength, 0, 'the input was transferred, not copied');
  assert.equal(logits.length, 8 * 2 * vocab.size);

  const bytes = await model.save();
  const copy = await remote.loadModel(bytes);
  assert.deepEqual(await copy.generate('the', { length: 20, temperature: 0 }), await model.generate('the', { length: 20, temperature: 0 }));
  await copy.dispose();
  await model.dispose();
});

test('errors keep their class and message across the boundary', async () => {
  await assert.rejects(remote.sequential([dense({ units: 3 })]), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `got ${String(e)}`);
    assert.equal(e.name, 'InvalidArgumentError');
    assert.match(e.message, /inputSize/);
    return true;
  });
  await assert.rejects(remote.loadModel(new Uint8Array([1, 2, 3])), FormatError);
  const model = await remote.sequential(layers, { seed: 1 });
  await assert.rejects(model.generate('abc', { length: 3 }), (e: unknown) => e instanceof InvalidArgumentError && /vocab/.test(e.message));
  await model.dispose();
  await assert.rejects(model.generate([1], { length: 3 }), DisposedError);
  await assert.rejects(
    model.fit({ corpus, ...DATA }, { optimizer: { type: 'sgd', lr: () => 0.1 } }),
    (e: unknown) => e instanceof InvalidArgumentError && /schedule/.test(e.message),
  );
});

test('aborting a fit stops it within one batch and rejects with the signal\'s reason', async () => {
  const model = await remote.sequential(layers, { seed: 2, vocab });
  const controller = new AbortController();
  const reason = new Error('stop now');
  const seen: number[] = [];
  await assert.rejects(
    model.fit({ corpus, ...DATA }, {
      epochs: 50,
      signal: controller.signal,
      onBatchEnd: (b) => {
        seen.push(b.batch);
        if (seen.length === 3) controller.abort(reason);
      },
    }),
    (e: unknown) => e === reason,
  );
  // The batch that saw the abort was the last one: the worker checks the flag before each batch.
  assert.equal(seen.length, 3, `ran ${seen.length} batches`);
  // Already aborted: nothing runs.
  await assert.rejects(model.fit({ corpus, ...DATA }, { signal: AbortSignal.abort(reason) }), (e: unknown) => e === reason);
  // Aborted while queued behind another call (another model's fit: a model runs one fit at a
  // time): it never starts.
  const other = await remote.sequential(layers, { seed: 5, vocab });
  const queuedAbort = new AbortController();
  let queuedRan = false;
  const blocker = other.fit({ corpus, ...DATA }, { epochs: 1 });
  const queued = model.fit({ corpus, ...DATA }, { signal: queuedAbort.signal, onBatchEnd: () => void (queuedRan = true) });
  queuedAbort.abort(reason);
  await blocker;
  await assert.rejects(queued, (e: unknown) => e === reason);
  assert.equal(queuedRan, false);
  await other.dispose();
  // The worker is fine afterwards.
  assert.equal((await model.generate([1, 2], { length: 4, temperature: 0 })).length, 4);
  await model.dispose();
});

test('a worker that dies mid-fit rejects the pending and queued calls at once, and a new one starts', async () => {
  const doomed = await spawnWorker({ threads: 2 });
  const model = await doomed.sequential(layers, { seed: 2, vocab });
  let killedAt = 0;
  const training = model.fit({ corpus, ...DATA }, {
    epochs: 1000,
    onBatchEnd: () => {
      // Killed from outside, as a crash or an out-of-memory kill would end it.
      if (killedAt === 0) {
        killedAt = performance.now();
        void (doomed.worker as NodeWorker).terminate();
      }
    },
  });
  const queued = model.generate([1], { length: 2 });
  await assert.rejects(training, WorkerExitedError);
  assert.ok(performance.now() - killedAt < 1000, `rejected after ${performance.now() - killedAt} ms`);
  await assert.rejects(queued, WorkerExitedError);
  await assert.rejects(doomed.engineInfo(), WorkerExitedError);
  assert.equal(doomed.alive, false);

  const fresh = await spawnWorker({ threads: 1 });
  assert.equal(fresh.engine.build, 'simd');
  await fresh.dispose();
  await assert.rejects(fresh.engineInfo(), DisposedError);
});

test('a script exits by itself after dispose() (and an idle worker does not hold it)', async () => {
  const script = `
    import { dense, embedding, gru } from 'recurrent';
    import { spawnWorker } from 'recurrent/worker';
    const remote = await spawnWorker({ threads: 2 });
    const model = await remote.sequential([embedding({ vocabSize: 5, dim: 4 }), gru({ units: 8 }), dense({ units: 5 })]);
    const corpus = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 5);
    let batches = 0;
    await model.fit({ corpus, order: 'random', batchSize: 2, seqLen: 5 }, { onBatchEnd: () => void batches++ });
    console.log('batches', batches, (await model.generate([1], { length: 3 })).length);
    if (process.argv[2] === 'dispose') await remote.dispose();
  `;
  for (const mode of ['dispose', 'idle']) {
    const started = performance.now();
    const child = childProcess.spawn(process.execPath, ['--input-type=module', '-e', script, mode], {
      cwd: repoPath(''),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, `${mode}: the child did not exit by itself within 10 s (output: ${out})`);
    assert.match(out, /batches \d+ 3/);
    assert.ok(performance.now() - started < 10_000);
  }
});
