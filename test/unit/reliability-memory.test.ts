// Memory is returned: disposing every object brings the wasm buffer count back to where it
// started, a model built again after dispose reuses the freed memory (linear memory does not
// grow), and constructors that fail half-way free what they had built.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dense,
  dispose,
  embedding,
  engine,
  fit,
  Float32Buffer,
  gemm,
  gru,
  init,
  InvalidArgumentError,
  lstm,
  modelFromBytes,
  Optimizer,
  RecurrentStack,
  rnn,
  saveModel,
  sequential,
  type SequenceBatch,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const V = 12;
const batch = (T: number, B: number): SequenceBatch => ({
  x: Array.from({ length: T * B }, (_, i) => (i * 7) % V),
  y: Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % V),
  seqLen: T,
  batchSize: B,
});

/** A workload touching every kind of wasm allocation; returns a checksum of its results. */
async function workload(): Promise<number> {
  let sum = 0;
  const m = sequential([embedding({ vocabSize: V, dim: 6 }), lstm({ units: 16, layers: 2, dropout: 0.1 }), gru({ units: 8, bidirectional: true }), dense({ units: V })], { seed: 9 });
  const opt = new Optimizer(adam({ lr: 0.01 }), m.groups(), m.engine);
  for (let i = 0; i < 5; i++) sum += m.trainStep(batch(6 + i, 3), { loss: 'crossEntropy', optimizer: opt, carryState: i > 2, checkpointEvery: i === 4 ? 2 : 0 }).loss;
  sum += m.evaluate(batch(5, 2)).loss;
  sum += m.predict(batch(4, 4).x, { seqLen: 4, batchSize: 4 })[0]!;
  sum += m.gradientFlow(batch(3, 2)).length;
  sum += m.findNonFinite(batch(3, 2)) === undefined ? 1 : 0;
  await fit(m, [batch(4, 2), batch(4, 2)], { optimizer: adam(), bptt: 'random' });
  const copy = modelFromBytes(saveModel(m));
  sum += copy.predict([1, 2], { seqLen: 1, batchSize: 2 })[0]!;
  copy.dispose();
  const uni = sequential([embedding({ vocabSize: V, dim: 4 }), lstm({ units: 8 }), dense({ units: V })], { seed: 3 });
  const state = uni.zeroState(2);
  for (let i = 0; i < 20; i++) sum += uni.step([i % V, (i + 3) % V], state)[0]!;
  sum += uni.generate([1, 2, 3], { length: 10, seed: 4 }).length;
  const s = new RecurrentStack({ kind: 'lstm_peephole', inputSize: 3, hiddenSize: 5, layers: 2, bidirectional: true });
  const f = s.forward(new Float32Array(4 * 2 * 3).fill(0.3), { seqLen: 4, batch: 2, training: true });
  sum += s.backward({ gy: f.y, stepNorms: true, stateGradient: true }).gx![0]!;
  const [a, b, c] = [Float32Buffer.from([1, 2, 3, 4]), Float32Buffer.from([1, 0, 0, 1]), new Float32Buffer(4)];
  gemm(2, 2, 2, a, b, c);
  sum += c.read()[3]!;
  for (const o of [state, uni, s, a, b, c, opt, m]) o.dispose();
  return sum;
}

test('disposing everything returns every wasm buffer; a second run reuses the memory without growing it', async () => {
  const e = engine();
  const start = e.wasm.buffer_live_count();
  const first = await workload();
  assert.equal(e.wasm.buffer_live_count(), start, 'buffers left after dispose');
  const memory = e.memoryBytes;
  for (let i = 0; i < 3; i++) {
    assert.equal(await workload(), first, 'the same workload gives the same results');
    assert.equal(e.wasm.buffer_live_count(), start);
  }
  assert.equal(e.memoryBytes, memory, 'linear memory grew although everything was freed before');
  console.log(`[memory] live buffers back to ${start} after each run; wasm memory stayed at ${memory} bytes over 3 more runs`);
});

test('a model freed and built again does not grow wasm memory', () => {
  const e = engine();
  const make = () => sequential([embedding({ vocabSize: 50, dim: 32 }), lstm({ units: 64, layers: 2 }), dense({ units: 50 })], { seed: 1 });
  const m = make();
  m.predict(batch(8, 4).x, { seqLen: 8, batchSize: 4 });
  m.dispose();
  const memory = e.memoryBytes;
  const live = e.wasm.buffer_live_count();
  for (let i = 0; i < 5; i++) {
    const n = make();
    n.predict(batch(8, 4).x, { seqLen: 8, batchSize: 4 });
    n.dispose();
    assert.equal(e.wasm.buffer_live_count(), live);
  }
  assert.equal(e.memoryBytes, memory);
});

test('a constructor that fails half-way frees what it had built', () => {
  const e = engine();
  const live = e.wasm.buffer_live_count();
  // The layer order is checked while building: the LSTM exists when the embedding is refused.
  assert.throws(() => sequential([lstm({ units: 4 }), embedding({ vocabSize: 3, dim: 2 })], { inputSize: 2 }), InvalidArgumentError);
  assert.throws(() => sequential([embedding({ vocabSize: 3, dim: 2 }), rnn({ units: 4, output: 'last' }), gru({ units: 2 })]), InvalidArgumentError);
  assert.throws(() => sequential([embedding({ vocabSize: 3, dim: 2 }), lstm({ units: 3 })], { inputSize: 5 }), InvalidArgumentError);
  assert.throws(() => sequential([lstm({ units: 4 }), dense({ units: 2 }), lstm({ units: 2 })], { inputSize: 2 }), InvalidArgumentError);
  assert.equal(e.wasm.buffer_live_count(), live);
});
