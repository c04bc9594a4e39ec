// Issue 11, item 3 and the first-use note on printing the engine.
// Objects made with an engine that dispose() ended must not keep running after init() made a
// new one (before the fix an old model went on computing in the instance the new engine uses,
// reading and writing among its objects). Every use is a DisposedError naming the old engine;
// disposing old objects is allowed and leaves the new engine's objects alone.
// And `console.log(await init())` prints a one-line summary, not the wasm export table.
import * as util from 'node:util';
import { afterAll, test as anywhere } from 'vitest';

import {
  dense,
  dispose,
  DisposedError,
  engine,
  fit,
  Float32Buffer,
  gemm,
  hasRelaxedSimd,
  init,
  lstm,
  Optimizer,
  RecurrentStack,
  sequential,
  type SequenceBatch,
  sgd,
} from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly, threadsOnly } from '../support/env.js';

afterAll(() => dispose());

const batch: SequenceBatch = { x: [0.1, 0.2, 0.3, 0.4], y: [1, 0], seqLen: 2, batchSize: 1 };

for (const threads of [1, 2] as const) {
  const test = threads === 1 ? anywhere : threadsOnly.test;
  test(`${threads === 1 ? 'simd' : 'threads'} build: objects of a disposed engine give DisposedError naming it after init() again`, async () => {
    await dispose();
    const first = await init({ threads });
    const model = sequential([lstm({ units: 4 }), dense({ units: 2 })], { inputSize: 2, seed: 1 });
    const stack = new RecurrentStack({ kind: 'gru', inputSize: 2, hiddenSize: 3 });
    const buffer = Float32Buffer.from([1, 2, 3, 4]);
    const state = model.zeroState(1);
    const optimizer = new Optimizer(sgd(), model.groups(), first);
    await dispose();

    const second = await init({ threads });
    assert.notEqual(second, first);
    const fresh = sequential([lstm({ units: 4 }), dense({ units: 2 })], { inputSize: 2, seed: 1 });
    const want = fresh.predict(batch.x, { seqLen: 2, batchSize: 1 });
    const live = second.wasm.buffer_live_count();

    const named = (e: unknown) => e instanceof DisposedError && new RegExp(`engine #${first.id} was disposed`).test(e.message);
    assert.throws(() => model.predict(batch.x, { seqLen: 2, batchSize: 1 }), named, 'predict');
    assert.throws(() => model.trainStep(batch, { loss: 'crossEntropy', optimizer }), named, 'trainStep');
    await assert.rejects(fit(model, [batch], { epochs: 1 }), named, 'fit');
    assert.throws(() => model.step([0.5, 0.5], state), named, 'step');
    assert.throws(() => model.zeroState(1), named, 'zeroState');
    assert.throws(() => model.parameters()[0]!.read(), named, 'parameter read');
    assert.throws(() => stack.forward(new Float32Array(2), { seqLen: 1, batch: 1 }), named, 'stack forward');
    assert.throws(() => stack.getParameter('weight_hh_l0'), named, 'stack parameter');
    assert.throws(() => buffer.read(), named, 'buffer read');
    assert.throws(() => buffer.view(), named, 'buffer view');
    assert.throws(() => gemm(2, 2, 1, buffer, buffer, Float32Buffer.from([0, 0, 0, 0])), named, 'gemm');
    assert.throws(() => first.call((w) => w.buffer_live_count()), named, 'engine call');
    assert.throws(() => first.threads, named, 'engine threads');

    assert.equal(first.disposed, true);
    assert.equal(second.disposed, false);
    assert.equal(second.id, first.id + 1);

    // Disposing old objects is fine and does not touch the new engine's objects.
    for (const o of [state, model, stack, buffer]) o.dispose();
    assert.ok(second.wasm.buffer_live_count() <= live);
    assert.deepEqual(fresh.predict(batch.x, { seqLen: 2, batchSize: 1 }), want);
    assert.equal(engine(), second);
    fresh.dispose();
  });
}

for (const threads of [1, 2] as const) {
  const test = threads === 1 ? anywhere : threadsOnly.test;
  const build = threads === 1 ? 'simd build, 1 thread' : 'threads build, 2 threads';
  test(`the engine prints as a summary (toString), live and disposed: ${build}`, async () => {
    await dispose();
    const e = await init({ threads });
    // The relaxed builds (loaded where the runtime has relaxed SIMD) print their own name.
    const shownBuild = e.simdLevel === 'relaxed' ? `relaxed-${build}`.replace('relaxed-simd build', 'relaxed build') : build;
    assert.match(String(e), new RegExp(`^Engine #${e.id} \\(${shownBuild}, [\\d.]+ [kMG]?B of wasm memory\\)$`));
    await dispose();
    assert.equal(String(e), `Engine #${e.id} (disposed)`);
  });
}

// Node's inspect (what console.log shows in Node); pages print objects their own way.
nodeOnly("checks Node's util.inspect").test('the engine prints as a summary: toString and Node inspect, live and disposed', async () => {
  await dispose();
  const e = await init({ threads: 2 });
  const shown = util.inspect(e);
  const level = e.simdLevel;
  assert.equal(level, hasRelaxedSimd() ? 'relaxed' : 'baseline');
  assert.match(shown, new RegExp(`^Engine \\{ id: ${e.id}, build: 'threads', threads: 2, simd: true, simdLevel: '${level}', memory: '[\\d.]+ [kMG]?B' \\}$`));
  assert.ok(!/pool_worker_main|buffer_alloc|rnn_forward/.test(shown), shown);
  assert.match(String(e), new RegExp(`^Engine #${e.id} \\(${level === 'relaxed' ? 'relaxed-threads' : 'threads'} build, 2 threads, [\\d.]+ [kMG]?B of wasm memory\\)$`));
  console.log(`[engine] console.log(await init()) shows: ${shown}`);
  await dispose();
  assert.equal(util.inspect(e), `Engine { id: ${e.id}, disposed: true }`);
  assert.equal(String(e), `Engine #${e.id} (disposed)`);
  const one = await init({ threads: 1 });
  assert.match(util.inspect(one), /build: 'simd', threads: 1,/);
  assert.match(String(one), level === 'relaxed' ? /\(relaxed build, 1 thread, / : /\(simd build, 1 thread, /);
});
