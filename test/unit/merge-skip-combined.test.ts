// The merge of issue 15 (skip connections, rnn({ skip })) with issue 14 (bias: false, variational
// inputDropout / recurrentDropout): one rnn layer with all of them trains and round-trips through
// saveModel / loadModel. The core's equations for the combination (the recurrent mask on h_{t-1}
// where W_hh reads it, the skip matmul reading h_{t-d} unmasked) are checked natively in
// crates/recurrent-core/tests/rnn_skip_dropout.rs.
import { afterAll, beforeAll, test } from 'vitest';

import { adam, dense, dispose, init, loadModel, rnn, saveModel, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

const T = 9;
const B = 4;
const I = 2;
// Time-major x [T, B, I]; the class of each sequence: the sign of its first feature 3 steps
// before the end.
const x = Array.from({ length: T * B * I }, (_, i) => Math.sin(1.7 * i + 0.4));
const y = Array.from({ length: B }, (_, b) => (x[((T - 4) * B + b) * I]! > 0 ? 1 : 0));
const batch = { x, y, seqLen: T, batchSize: B };

const layers = () => [
  rnn({ units: 6, layers: 2, skip: 3, bias: false, recurrentDropout: 0.3, inputDropout: 0.2, output: 'last' }),
  dense({ units: 2 }),
];

test('a skip RNN with recurrentDropout and bias: false trains: finite losses that decrease', () => {
  const m = sequential(layers(), { seed: 11, inputSize: I });
  try {
    const names = m.parameters().map((p) => p.name);
    assert.ok(names.includes('rnn.weight_skip_l0') && names.includes('rnn.weight_skip_l1'), names.join(', '));
    assert.ok(!names.some((n) => n.startsWith('rnn.bias_')), names.join(', '));
    const options = { loss: 'crossEntropy' as const, optimizer: m.optimizerFor(adam({ lr: 0.02 })) };
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) losses.push(m.trainStep(batch, options).loss);
    assert.ok(losses.every(Number.isFinite), losses.join(', '));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const [first, last] = [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
    assert.ok(last < 0.7 * first, `mean loss of the first 5 steps ${first}, of the last 5 ${last}`);
    const skipGrad = m.parameters().find((p) => p.name === 'rnn.weight_skip_l0')!.readGrad();
    assert.ok(skipGrad.some((g) => g !== 0), 'W_skip gets a gradient');
  } finally {
    m.dispose();
  }
});

test('it round-trips through saveModel / loadModel: options, weights, predictions, and trains on', async () => {
  const m = sequential(layers(), { seed: 12, inputSize: I });
  try {
    m.trainStep(batch, { loss: 'crossEntropy', optimizer: m.optimizerFor(adam({ lr: 0.02 })) });
    const back = await loadModel(saveModel(m));
    try {
      assert.deepEqual(back.configs, m.configs);
      const rc = back.configs[0] as { skip?: number; bias?: boolean; recurrentDropout?: number };
      assert.deepEqual([rc.skip, rc.bias, rc.recurrentDropout], [3, false, 0.3]);
      assert.deepEqual([...back.stateDict()].map(([k, v]) => [k, bits(v)]), [...m.stateDict()].map(([k, v]) => [k, bits(v)]));
      const shape = { seqLen: T, batchSize: B };
      assert.deepEqual(bits(back.predict(x, shape)), bits(m.predict(x, shape)));
      const loss = back.trainStep(batch, { loss: 'crossEntropy', optimizer: back.optimizerFor(adam({ lr: 0.02 })) }).loss;
      assert.ok(Number.isFinite(loss), String(loss));
    } finally {
      back.dispose();
    }
  } finally {
    m.dispose();
  }
});
