// Issue 11, item 17 (the remote part): remote `loadStateDict({ w: null })` and `step(null, …)`
// threw TypeError where the in-thread versions throw InvalidArgumentError, and a function in
// a remote call's arguments gave a raw DataCloneError. Every bad call below must fail through
// a worker with the class it fails with in-thread.
import { afterAll, beforeAll, test } from 'vitest';

import {
  dense, embedding, fit, gru, init, InvalidArgumentError, type Model, type ModelState, Random, sequential, sequentialBatches,
  Vocab,
} from 'recurrent';
import { type RecurrentWorker, type RemoteModel, type RemoteState, spawnWorker } from 'recurrent/worker';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

const vocab = new Vocab([...'abcde']);
const layers = [embedding({ vocabSize: vocab.size, dim: 4 }), gru({ units: 4 }), dense({ units: vocab.size })];
const corpus = Int32Array.from({ length: 200 }, (_, i) => i % vocab.size);
const fn = () => 1;
const batch = { x: [1, 2], y: [1, 2], seqLen: 2, batchSize: 1 };

// Each case: the same call on an in-thread model and state, and on a remote one.
type Target = { model: Model | RemoteModel; state: ModelState | RemoteState };
type Any = any;
const CASES: [string, (t: Target) => unknown][] = [
  ['loadStateDict({ w: null })', ({ model }) => model.loadStateDict({ w: null } as Any)],
  ['loadStateDict({ w: null }, { strict: false })', ({ model }) => model.loadStateDict({ 'embedding.weight': null } as Any, { strict: false })],
  ['loadStateDict(null)', ({ model }) => model.loadStateDict(null as Any)],
  ['loadStateDict({}, null)', ({ model }) => model.loadStateDict({}, null as Any)],
  ['loadStateDict({ w: function })', ({ model }) => model.loadStateDict({ 'embedding.weight': fn } as Any, { strict: false })],
  ['step(null, state)', ({ model, state }) => model.step(null as Any, state as Any)],
  ['step([1], null)', ({ model }) => model.step([1], null as Any)],
  ['step([1], state, null)', ({ model, state }) => model.step([1], state as Any, null as Any)],
  ['step([1], state, { logSoftmax: function })', ({ model, state }) => model.step([1], state as Any, { logSoftmax: fn } as Any)],
  ['step(function, state)', ({ model, state }) => model.step(fn as Any, state as Any)],
  ['predict(x, null)', ({ model }) => model.predict([1], null as Any)],
  ['predict(x, { seqLen: function })', ({ model }) => model.predict([1], { seqLen: fn, batchSize: 1 } as Any)],
  ['predict(x, { state: {} })', ({ model }) => model.predict([1], { seqLen: 1, batchSize: 1, state: {} } as Any)],
  ['generate(null)', ({ model }) => model.generate(null as Any, { length: 2 })],
  ['generate([1], { length: function })', ({ model }) => model.generate([1], { length: fn } as Any)],
  ['evaluate(batch, function)', ({ model }) => model.evaluate(batch, fn as Any)],
  ['evaluate(batch, loss, null)', ({ model }) => model.evaluate(batch, 'crossEntropy', null as Any)],
  ['evaluate({ x: function })', ({ model }) => model.evaluate({ ...batch, x: fn } as Any)],
  ['gradientFlow({ y: function })', ({ model }) => model.gradientFlow({ ...batch, y: fn } as Any)],
  ['zeroState(function)', ({ model }) => model.zeroState(fn as Any)],
  ['state.get(function)', ({ state }) => state.get(fn as Any)],
  ['state.set(0, { h: function })', ({ state }) => state.set(0, { h: fn } as Any)],
  ['state.set(0, null)', ({ state }) => state.set(0, null as Any)],
];

const rng = () => new Random(0);
// fit takes batches in-thread and data by value remotely: the same bad options on both.
const FIT_CASES: [string, unknown][] = [
  ['fit(data, null)', null],
  ['fit(data, { onBatchEnd: 5 })', { onBatchEnd: 5 }],
  ['fit(data, { signal: {} })', { signal: {} }],
  ['fit(data, { epochs: function })', { epochs: fn }],
  ['fit(data, { optimizer: { beta1: function } })', { optimizer: { type: 'adam', lr: 0.1, beta1: fn } }],
];

let remote: RecurrentWorker;
let local: Target;
let far: Target;

beforeAll(async () => {
  await init(engineOptions);
  remote = await spawnWorker({ threads: 1 });
  const model = sequential(layers, { seed: 1, vocab });
  local = { model, state: model.zeroState(1) };
  const remoteModel = await remote.sequential(layers, { seed: 1, vocab });
  far = { model: remoteModel, state: await remoteModel.zeroState(1) };
});

afterAll(async () => {
  await remote?.terminate();
});

async function failure(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function nameOf(e: unknown): string {
  return e === undefined ? 'no error' : `${(e as Error).name}: ${(e as Error).message}`;
}

test('bad arguments of remote model and state calls fail with the in-thread class (InvalidArgumentError)', async () => {
  for (const [name, call] of CASES) {
    const here = await failure(() => call(local));
    const there = await failure(() => call(far));
    assert.ok(here instanceof InvalidArgumentError, `in-thread ${name}: ${nameOf(here)}`);
    assert.ok(there instanceof InvalidArgumentError, `remote ${name}: expected InvalidArgumentError as in-thread, got ${nameOf(there)}`);
  }
  // The worker is fine afterwards.
  assert.equal((await (far.model as RemoteModel).generate([1], { length: 3, temperature: 0 })).length, 3);
});

test('bad fit options and remote sequential arguments fail with the in-thread class', async () => {
  const model = local.model as Model;
  const batches = () => sequentialBatches(corpus, { batchSize: 2, seqLen: 4, rng: rng() });
  for (const [name, options] of FIT_CASES) {
    const here = await failure(() => fit(model, batches, options as Any));
    const there = await failure(() => (far.model as RemoteModel).fit({ corpus, order: 'sequential', batchSize: 2, seqLen: 4 }, options as Any));
    assert.ok(here instanceof InvalidArgumentError, `in-thread ${name}: ${nameOf(here)}`);
    assert.ok(there instanceof InvalidArgumentError, `remote ${name}: expected InvalidArgumentError as in-thread, got ${nameOf(there)}`);
  }
  for (const [name, args] of [
    ['sequential(5)', [5]],
    ['sequential(layers, null)', [layers, null]],
    ['sequential([function])', [[fn]]],
    ['sequential(layers, { seed: function })', [layers, { seed: fn }]],
  ] as [string, unknown[]][]) {
    const here = await failure(() => (sequential as Any)(...args));
    const there = await failure(() => (remote.sequential as Any).apply(remote, args));
    assert.ok(here instanceof InvalidArgumentError, `in-thread ${name}: ${nameOf(here)}`);
    assert.ok(there instanceof InvalidArgumentError, `remote ${name}: expected InvalidArgumentError as in-thread, got ${nameOf(there)}`);
  }
});

test('a function in a remote call is named in the error instead of a raw DataCloneError', async () => {
  const model = far.model as RemoteModel;
  await assert.rejects(model.generate([1], { length: 2, temperature: fn } as Any), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, nameOf(e));
    assert.match(e.message, /^generate: argument `options\.temperature` cannot be sent to the worker: it is a function/);
    return true;
  });
  await assert.rejects(model.loadStateDict(new Map([['fc.bias', fn]]) as Any, { strict: false }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, nameOf(e));
    assert.match(e.message, /argument `dict\.get\("fc\.bias"\)` cannot be sent/);
    return true;
  });
  // Other values structured clone refuses: named too.
  const { port1 } = new MessageChannel();
  try {
    for (const bad of [new WeakMap(), Symbol('s'), port1]) {
      await assert.rejects(model.generate([1], { length: 2, seed: bad } as Any), (e: unknown) => e instanceof InvalidArgumentError && /argument `options\.seed` cannot be sent/.test(e.message));
    }
  } finally {
    port1.close();
  }
  // A callback whose return value cannot be copied does not fail the remote fit (in-thread
  // it is ignored unless it is `false`).
  const history = await model.fit({ corpus, order: 'sequential', batchSize: 2, seqLen: 4 }, { epochs: 1, onBatchEnd: () => fn as Any });
  assert.equal(history.epochs.length, 1);
});
