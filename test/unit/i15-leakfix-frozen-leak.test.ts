// Fixed leak rates (rnn({ leak: 0.9 }) or one rate per unit) are constants of the layer, as
// PyTorch's buffers: they share the stack's parameter buffer (the tensors leak_a_l{k}), get no
// gradient, and before the fix every optimiser with weight decay moved them (SGD's and Adam's
// L2 term, AdamW's decoupled shrink). The layer now declares their ranges frozen in its
// parameter group and no optimiser step touches them, while every other weight trains. A
// parameter group's frozen ranges are checked: bad ones are refused naming `frozen`.
import { afterAll, beforeAll, describe, test } from 'vitest';

import { adam, adamw, dense, dispose, engine, Float32Buffer, init, InvalidArgumentError, oneHot, Optimizer, type OptimizerConfig, rnn, sequential, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

const OPTIMIZERS: [string, OptimizerConfig][] = [
  ['adamw', adamw({ lr: 0.05, weightDecay: 0.1 })],
  ['sgd', sgd({ lr: 0.1, weightDecay: 0.1 })],
  ['sgd with momentum', sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.1 })],
  ['adam', adam({ lr: 0.05, weightDecay: 0.1 })],
];

/** The fixed rates as the layer stores them: f32. */
const RATES = [0.9, [0.25, 0.5, 0.9, 0.984375]] as const;

describe('fixed leak rates under an optimiser with weight decay', () => {
  for (const [label, config] of OPTIMIZERS) {
    test(`${label} (weightDecay 0.1): every leak_a stays exactly the set rate, the other weights train`, () => {
      for (const leak of RATES) {
        const m = sequential([oneHot({ vocabSize: 5 }), rnn({ units: 4, leak, layers: 2, bidirectional: true }), dense({ units: 5 })], { seed: 11 });
        const opt = new Optimizer(config, m.groups(), m.engine);
        try {
          const want = Array.from({ length: 4 }, (_, i) => Math.fround(typeof leak === 'number' ? leak : leak[i]!));
          const before = m.stateDict();
          const leakNames = [...before.keys()].filter((n) => n.includes('leak_a'));
          // Every layer and direction has its rates.
          assert.deepEqual(leakNames.sort(), ['rnn.leak_a_l0', 'rnn.leak_a_l0_reverse', 'rnn.leak_a_l1', 'rnn.leak_a_l1_reverse']);
          const x = Array.from({ length: 24 }, (_, i) => (i * 3) % 5);
          for (let i = 0; i < 5; i++) m.trainStep({ x, y: x.map((v) => (v + 1) % 5), seqLen: 8, batchSize: 3 }, { loss: 'crossEntropy', optimizer: opt });
          assert.equal(opt.step, 5);
          const after = m.stateDict();
          for (const name of leakNames) assert.deepEqual(Array.from(after.get(name)!), want, `${label}: ${name} keeps the set rates`);
          for (const [name, value] of before) {
            if (leakNames.includes(name)) continue;
            assert.notDeepEqual(bits(after.get(name)!), bits(value), `${label}: ${name} trains`);
          }
        } finally {
          opt.dispose();
          m.dispose();
        }
      }
    });
  }

  test('the gradient norm for clipping is the norm of the other gradients (the rates have none)', () => {
    const m = sequential([oneHot({ vocabSize: 5 }), rnn({ units: 4, leak: 0.9, bidirectional: true }), dense({ units: 5 })], { seed: 12 });
    const opt = new Optimizer(adamw({ lr: 0.01, weightDecay: 0.1 }), m.groups(), m.engine);
    try {
      const x = Array.from({ length: 24 }, (_, i) => (i * 2) % 5);
      m.trainStep({ x, y: x, seqLen: 8, batchSize: 3 }, { loss: 'crossEntropy', optimizer: opt });
      let sum = 0;
      for (const p of m.parameters()) {
        const g = p.readGrad();
        if (p.name.includes('leak_a')) assert.deepEqual(Array.from(g), [0, 0, 0, 0], `${p.name} has no gradient`);
        for (const v of g) sum += v * v;
      }
      assert.ok(sum > 0);
      const norm = opt.gradientNorm();
      assert.ok(Math.abs(norm - Math.sqrt(sum)) <= 1e-9 * Math.sqrt(sum), `${norm} vs ${Math.sqrt(sum)}`);
    } finally {
      opt.dispose();
      m.dispose();
    }
  });

  test('a trainable: false leaky layer is still left alone entirely, the next layer trains', () => {
    const m = sequential([oneHot({ vocabSize: 5 }), rnn({ units: 4, leak: 0.5, trainable: false }), dense({ units: 5 })], { seed: 13 });
    const opt = new Optimizer(sgd({ lr: 0.1, weightDecay: 0.1 }), m.groups(), m.engine);
    try {
      const before = m.stateDict();
      const x = Array.from({ length: 24 }, (_, i) => (i * 3) % 5);
      for (let i = 0; i < 3; i++) m.trainStep({ x, y: x.map((v) => (v + 2) % 5), seqLen: 8, batchSize: 3 }, { loss: 'crossEntropy', optimizer: opt });
      const after = m.stateDict();
      for (const [name, value] of before) {
        if (name.startsWith('rnn.')) assert.deepEqual(bits(after.get(name)!), bits(value), `${name} frozen`);
        else assert.notDeepEqual(bits(after.get(name)!), bits(value), `${name} trains`);
      }
    } finally {
      opt.dispose();
      m.dispose();
    }
  });
});

describe('a parameter group’s frozen ranges', () => {
  test('a frozen range of a plain group is not stepped; bad ranges are refused naming frozen', () => {
    const value = Float32Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]));
    const grad = Float32Buffer.from(new Float32Array([1, 1, 1, 1, 1, 1]));
    try {
      const opt = new Optimizer(sgd({ lr: 0.5, weightDecay: 0.1 }), [{ value, grad, frozen: [[1, 3], [5, 6]] }], engine());
      opt.apply(1, 1);
      opt.dispose();
      // SGD with L2 decay in f32, PyTorch's order: p - lr * (g + wd * p).
      const stepped = (p: number) => Math.fround(p + Math.fround(-0.5 * Math.fround(1 + Math.fround(Math.fround(0.1) * p))));
      assert.deepEqual(Array.from(value.read()), [stepped(1), 2, 3, stepped(4), stepped(5), 6]);
      const kept = Array.from(value.read());
      const bad: [number, number][][] = [[[2, 2]], [[3, 1]], [[4, 7]], [[3, 5], [0, 2]], [[0, 3], [2, 4]]];
      for (const frozen of bad) {
        assert.throws(
          () => new Optimizer(adamw({ weightDecay: 0.1 }), [{ value, grad, frozen }], engine()),
          (e: unknown) => e instanceof InvalidArgumentError && /frozen/.test((e as Error).message),
          JSON.stringify(frozen),
        );
      }
      assert.deepEqual(Array.from(value.read()), kept, 'nothing written');
    } finally {
      value.dispose();
      grad.dispose();
    }
  });
});
