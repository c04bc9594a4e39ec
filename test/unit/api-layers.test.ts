// Issue 14: the layers after the recurrent ones (dense with an activation, dropout,
// layerNorm), unknown options as errors with a suggestion, and models with an MLP head saved
// and loaded. The numbers are checked against PyTorch in api-torch-fixtures.test.ts.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dense,
  dispose,
  dropout,
  engine,
  gru,
  init,
  InvalidArgumentError,
  layerNorm,
  type LayerConfig,
  lstm,
  modelFromBytes,
  saveModel,
  sequential,
  sgd,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const live = () => engine().wasm.buffer_live_count();
const T = 4;
const B = 3;
const x = Array.from({ length: T * B * 2 }, (_, i) => Math.sin(1.3 * i));
const y = Array.from({ length: T * B }, (_, i) => i % 3);

test('an option from Keras or PyTorch is refused, naming it and what to write instead', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => lstm({ units: 3, returnSequences: true } as never), /lstm: unknown option `returnSequences` \(use `output: 'sequence'`/],
    [() => gru({ units: 3, hidden_size: 3 } as never), /gru: unknown option `hidden_size` \(use `units`\)/],
    [() => dropout({ p: 0.2 } as never), /dropout: unknown option `p` \(use `rate`\)/],
    [() => dense({ units: 2, actvation: 'relu' } as never), /dense: unknown option `actvation`; the options are units, activation, bias, name, trainable/],
  ];
  for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
});

test('a layer config written by hand (or read from a file) is checked like its factory, unknown keys included', () => {
  const before = live();
  assert.throws(() => sequential([lstm({ units: 3 }), { type: 'dropout', rate: 0.1, seed: 3 } as LayerConfig], { inputSize: 2 }), /layers\[1\]: dropout: unknown option `seed`/);
  assert.throws(() => sequential([lstm({ units: 3 }), { type: 'dense', units: 2, activation: 'swish' } as never], { inputSize: 2 }), /argument `activation` expected one of 'linear', 'relu'/);
  assert.throws(() => dropout({ rate: 1 }), /argument `rate` expected a finite number in \[0, 1\)/);
  assert.equal(live(), before);
});

test('softmax is for the output layer only; a refused model frees what it built', () => {
  const before = live();
  assert.throws(() => sequential([lstm({ units: 3 }), dense({ units: 4, activation: 'softmax' }), dense({ units: 2 })], { inputSize: 2 }), /layer 1 \(dense\): activation 'softmax' is for the output layer only/);
  assert.equal(live(), before);
});

test('an MLP head: dense layers are named fc, fc_1, ..., layer norms norm, norm_1; cross-entropy trains through a final softmax', () => {
  const model = sequential([gru({ units: 5 }), dense({ units: 6, activation: 'relu' }), layerNorm(), dense({ units: 6, activation: 'tanh' }), layerNorm(), dense({ units: 3, activation: 'softmax' })], { inputSize: 2, seed: 3 });
  try {
    assert.deepEqual(
      model.parameters().map((p) => p.name).filter((n) => !n.startsWith('rnn')),
      ['fc.weight', 'fc.bias', 'norm.weight', 'norm.bias', 'fc_1.weight', 'fc_1.bias', 'norm_1.weight', 'norm_1.bias', 'fc_2.weight', 'fc_2.bias'],
    );
    const p = model.predict(x, { seqLen: T, batchSize: B });
    for (let r = 0; r < T * B; r++) {
      const row = p.subarray(r * 3, r * 3 + 3);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'each row of the softmax output sums to 1');
    }
    const optimizer = model.optimizerFor(adam({ lr: 0.02 }));
    const first = model.evaluate({ x, y, seqLen: T, batchSize: B }).loss;
    for (let i = 0; i < 60; i++) model.trainStep({ x, y, seqLen: T, batchSize: B }, { loss: 'crossEntropy', optimizer });
    const last = model.evaluate({ x, y, seqLen: T, batchSize: B }).loss;
    assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
  } finally {
    model.dispose();
  }
});

test('dropout: the identity in inference; in training a seeded mask, the same for the same seed', () => {
  const layers = (rate: number): LayerConfig[] => [lstm({ units: 8, output: 'last' }), dropout({ rate }), dense({ units: 3 })];
  const [a, b, plain] = [sequential(layers(0.5), { inputSize: 2, seed: 7 }), sequential(layers(0.5), { inputSize: 2, seed: 7 }), sequential(layers(0), { inputSize: 2, seed: 7 })];
  try {
    const yb = [0, 1, 2];
    assert.deepEqual(a.predict(x, { seqLen: T, batchSize: B }), plain.predict(x, { seqLen: T, batchSize: B }));
    assert.equal(a.evaluate({ x, y: yb, seqLen: T, batchSize: B }).loss, plain.evaluate({ x, y: yb, seqLen: T, batchSize: B }).loss);
    const grads = (m: typeof a) => {
      m.trainStep({ x, y: yb, seqLen: T, batchSize: B }, { loss: 'crossEntropy', optimizer: m.optimizerFor(sgd({ lr: 1e-12 })) });
      return m.parameters().find((q) => q.name === 'fc.weight')!.readGrad();
    };
    const [ga, gb, gp] = [grads(a), grads(b), grads(plain)];
    assert.deepEqual(ga, gb, 'same seed, same mask');
    assert.notDeepEqual(ga, gp, 'the mask changes the gradient');
  } finally {
    for (const m of [a, b, plain]) m.dispose();
  }
});

test('a model with an MLP head, dropout and layer norms saves to one file and loads back with the same outputs', () => {
  const model = sequential([lstm({ units: 4 }), dense({ units: 5, activation: 'gelu', name: 'hidden' }), dropout({ rate: 0.2 }), layerNorm({ name: 'ln' }), dense({ units: 2, activation: 'sigmoid' })], { inputSize: 2, seed: 1 });
  const back = modelFromBytes(saveModel(model));
  try {
    assert.deepEqual(back.configs, model.configs);
    assert.deepEqual(back.predict(x, { seqLen: T, batchSize: B }), model.predict(x, { seqLen: T, batchSize: B }));
    const y01 = Array.from({ length: T * B * 2 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    assert.equal(back.evaluate({ x, y: y01, seqLen: T, batchSize: B }, 'binaryCrossEntropy').loss, model.evaluate({ x, y: y01, seqLen: T, batchSize: B }, 'binaryCrossEntropy').loss);
  } finally {
    model.dispose();
    back.dispose();
  }
});

test('a loss with options is checked: class weights one per class, smoothing in [0, 1), PyTorch names suggested', () => {
  const model = sequential([lstm({ units: 3 }), dense({ units: 3 })], { inputSize: 2 });
  try {
    const batch = { x, y, seqLen: T, batchSize: B };
    assert.throws(() => model.evaluate(batch, { kind: 'crossEntropy', classWeights: [1, 2] }), /argument `loss.classWeights` expected 3 weights \(one per class\), got 2/);
    assert.throws(() => model.evaluate(batch, { kind: 'crossEntropy', labelSmoothing: 1 }), /argument `loss.labelSmoothing` expected a number in \[0, 0.999999\]/);
    assert.throws(() => model.evaluate(batch, { kind: 'crossEntropy', weight: [1, 1, 1] } as never), /unknown option `weight` \(use `classWeights`\)/);
    assert.throws(() => model.evaluate(batch, { kind: 'mse', delta: 2 } as never), /unknown option `delta`/);
    // Without options, the object form is the plain loss.
    assert.equal(model.evaluate(batch, { kind: 'crossEntropy' }).loss, model.evaluate(batch, 'crossEntropy').loss);
  } finally {
    model.dispose();
  }
});
