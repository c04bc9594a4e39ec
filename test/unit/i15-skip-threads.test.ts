// Issue 15, skip connections through time on the threaded build: training steps (full and
// checkpointed BPTT, dropout, variable lengths, bidirectional), inference and streaming steps
// give the same bits on 1 and 2 threads. Sizes big enough for the GEMMs to be cut into tiles.
import { adam, dense, dispose, engine, init, oneHot, Optimizer, Random, rnn, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

const { test, beforeAll, afterAll } = threadsOnly;

beforeAll(async () => {
  await init({ threads: 2 });
});
afterAll(() => dispose());

/** Every result of a fixed sequence of calls, as bits. */
function run(threads: number): number[] {
  engine().setThreads(threads);
  const out: number[] = [];
  const add = (v: Float32Array | number) => {
    const a = typeof v === 'number' ? new Float32Array([v]) : v;
    out.push(...new Uint32Array(a.slice().buffer));
  };
  const V = 12;
  const rng = new Random(5);
  const tokens = (n: number) => Array.from({ length: n }, () => rng.nextInt(V));
  const uni = sequential([oneHot({ vocabSize: V }), rnn({ units: 64, layers: 2, skip: 5, dropout: 0.1 }), dense({ units: V })], { seed: 1 });
  const bi = sequential([oneHot({ vocabSize: V }), rnn({ units: 48, bidirectional: true, skip: 3, output: 'mean' }), dense({ units: 3 })], { seed: 2 });
  const optU = new Optimizer(adam({ lr: 0.01 }), uni.groups(), uni.engine);
  const optB = new Optimizer(adam({ lr: 0.01 }), bi.groups(), bi.engine);
  const state = uni.zeroState(8);
  try {
    for (let i = 0; i < 6; i++) {
      const T = 20;
      const B = 24;
      const x = tokens(T * B);
      add(uni.trainStep({ x, y: tokens(T * B), seqLen: T, batchSize: B }, { loss: 'crossEntropy', optimizer: optU, checkpointEvery: i % 2 === 0 ? 0 : 6 }).loss);
      const lengths = Array.from({ length: B }, () => 1 + rng.nextInt(T));
      add(bi.trainStep({ x, y: Array.from({ length: B }, () => rng.nextInt(3)), seqLen: T, batchSize: B, lengths }, { loss: 'crossEntropy', optimizer: optB }).loss);
      add(uni.predict(tokens(T * B), { seqLen: T, batchSize: B }));
      add(uni.step(tokens(8), state));
    }
    for (const m of [uni, bi]) for (const v of m.stateDict().values()) add(v);
    return out;
  } finally {
    for (const o of [optU, optB, state, uni, bi]) o.dispose();
  }
}

test('skip RNN training, inference and streaming give the same bits on 1 and 2 threads', () => {
  assert.equal(engine().build, 'threads');
  const one = run(1);
  const two = run(2);
  assert.equal(one.length, two.length);
  const first = one.findIndex((v, i) => v !== two[i]);
  assert.equal(first, -1, `first differing word ${first}`);
});
