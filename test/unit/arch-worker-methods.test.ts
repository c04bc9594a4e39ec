// Issue 13 (architecture), item 5: the worker API is derived from one list
// (packages/recurrent/src/worker/methods.ts). Before, a Model method had to be written four
// times (model.ts, worker/protocol.ts, worker/service.ts, worker/remote-model.ts) and nothing
// tied them together. Here: every listed method exists in-thread and on the remote handles,
// and each one, called through a real worker, gives what it gives in-thread on a twin model
// (same seed), states and transfers included.
import { beamSearch, dense, dispose, embedding, init, lstm, Model, ModelState, saveModel, sequential, type SequenceBatch } from 'recurrent';
import { RemoteModel, RemoteState, spawnWorker, type RecurrentWorker } from 'recurrent/worker';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';

// In pages the bridge runs in a module Worker, tested by test/browser/worker.test.ts.
const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const DIST = new URL('../../packages/recurrent/dist/worker', import.meta.url).href;
type Methods = typeof import('../../packages/recurrent/dist/worker/methods.js');

let methods: Methods;
let remote: RecurrentWorker;

beforeAll(async () => {
  await init(engineOptions);
  methods = (await import(`${DIST}/methods.js`)) as Methods;
  remote = await spawnWorker({ threads: 1 });
});
afterAll(async () => {
  await remote?.dispose();
  await dispose();
});

test('every method of the list is on both sides: in-thread (Model, ModelState) and remote (RemoteModel, RemoteState)', () => {
  const model = Object.entries(methods.MODEL_METHODS);
  assert.ok(model.length >= 10);
  for (const [name, spec] of model) {
    assert.equal(typeof (RemoteModel.prototype as unknown as Record<string, unknown>)[name], 'function', `RemoteModel.${name}`);
    if (!(spec as { fn?: boolean }).fn) assert.equal(typeof (Model.prototype as unknown as Record<string, unknown>)[name], 'function', `Model.${name}`);
    assert.ok(Array.isArray(spec.args), `${name}: argument names`);
  }
  for (const name of Object.keys(methods.STATE_METHODS)) {
    assert.equal(typeof (RemoteState.prototype as unknown as Record<string, unknown>)[name], 'function', `RemoteState.${name}`);
    assert.equal(typeof (ModelState.prototype as unknown as Record<string, unknown>)[name], 'function', `ModelState.${name}`);
  }
});

test('each listed method through the worker gives what it gives in-thread', async () => {
  const V = 6;
  const layers = [embedding({ vocabSize: V, dim: 3 }), lstm({ units: 4 }), dense({ units: V })];
  const local = sequential(layers, { seed: 5 });
  const far = await remote.sequential(layers, { seed: 5 });
  const batch: SequenceBatch = { x: [1, 2, 3, 4, 5, 0], y: [2, 3, 4, 5, 0, 1], seqLen: 3, batchSize: 2 };
  const called = new Set<string>();
  const both = async <T>(name: string, here: () => T, there: () => Promise<T>) => {
    called.add(name);
    assert.deepEqual(await there(), here(), name);
  };
  try {
    await both('evaluate', () => local.evaluate(batch), () => far.evaluate(batch));
    await both('predict', () => local.predict(batch.x, { seqLen: 3, batchSize: 2, logSoftmax: true }), () => far.predict(Float32Array.from(batch.x), { seqLen: 3, batchSize: 2, logSoftmax: true, transfer: true }));
    await both('gradientFlow', () => local.gradientFlow(batch), () => far.gradientFlow(batch));
    await both('generate', () => local.generate([1, 2], { length: 5, seed: 3 }), () => far.generate([1, 2], { length: 5, seed: 3 }));
    await both('stateDict', () => local.stateDict(), () => far.stateDict());
    await both('summary', () => local.summary(), () => far.summary());
    await both('save', () => saveModel(local), () => far.save());
    await both('beamSearch', () => beamSearch(local, [1, 2], { beamWidth: 3, maxLength: 4, end: 0, lengthPenalty: 0.6 }), () => far.beamSearch([1, 2], { beamWidth: 3, maxLength: 4, end: 0, lengthPenalty: 0.6 }));
    // States: made by zeroState, used by step and predict, read and written by get / set / reset.
    const ls = local.zeroState(1);
    const rs = await far.zeroState(1);
    called.add('zeroState');
    assert.equal(rs.batchSize, 1);
    try {
      await both('step', () => local.step([3], ls), () => far.step([3], rs));
      await both('get', () => ls.get(0), () => rs.get(0));
      const h = [new Float32Array(4).fill(0.25)];
      await both('set', () => ls.set(0, { h }), () => rs.set(0, { h }));
      await both('get', () => ls.get(0), () => rs.get(0));
      await both('reset', () => ls.reset(), () => rs.reset());
      await both('get', () => ls.get(0), () => rs.get(0));
    } finally {
      ls.dispose();
      await rs.dispose();
    }
    const changed = new Map([...local.stateDict()].map(([k, v]) => [k, v.map((x) => x / 2)]));
    await both('loadStateDict', () => local.loadStateDict(changed), () => far.loadStateDict(changed));
    await both('evaluate', () => local.evaluate(batch, 'crossEntropy', { carryState: true }), () => far.evaluate(batch, 'crossEntropy', { carryState: true }));
    await both('resetState', () => local.resetState(), () => far.resetState());
    const listed = [...Object.keys(methods.MODEL_METHODS), ...Object.keys(methods.STATE_METHODS)].sort();
    assert.deepEqual([...called].sort(), listed, 'every listed method was exercised');
  } finally {
    local.dispose();
    await far.dispose();
  }
});
