// Issue 16: tree encoders as layers of the model API. `sequential([childSumTreeLstm(...),
// dense(...), ...])` trains on trees with any loss head: the head's gradient reaches the root
// states and goes through the core's backpropagation through structure (checked against finite
// differences for every tree cell), a small task learns (arithmetic expression trees), and
// summary, evaluate, predict, save/load and bad trees behave as for every model.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  childSumTreeLstm,
  dense,
  dispose,
  evaluate,
  fit,
  init,
  InvalidArgumentError,
  type LayerConfig,
  leafWords,
  loadModel,
  type Loss,
  type Model,
  naryTreeLstm,
  Optimizer,
  parseTrees,
  Random,
  saveModel,
  sequential,
  saveTorch,
  sgd,
  type Tree,
  treeRnn,
  Vocab,
} from 'recurrent';

import { saveOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const TEXT = ['(3 (2 a) (3 (3 good) (2 movie)))', '(1 (1 bad) (2 (2 the) (2 film)))', '(4 (3 (3 very) (4 good)) (2 plot))', '(0 (0 awful) (1 (2 the) (1 end)))'].join('\n');

/** Expression trees over the digits with + and - (the operator is the internal node's word), and their values. */
function expressions(rng: Random, n: number, depth: number): { trees: Tree[]; values: number[] } {
  const make = (d: number): { tree: Tree; value: number } => {
    if (d === 0 || rng.nextInt(3) === 0) {
      const v = rng.nextInt(10);
      return { tree: { word: String(v), children: [] }, value: v };
    }
    const [a, b] = [make(d - 1), make(d - 1)];
    const plus = rng.nextInt(2) === 0;
    return { tree: { word: plus ? '+' : '-', children: [a.tree, b.tree] }, value: plus ? a.value + b.value : a.value - b.value };
  };
  const made = Array.from({ length: n }, () => make(depth));
  return { trees: made.map((m) => m.tree), values: made.map((m) => m.value) };
}

function withModel<T>(layers: LayerConfig[], f: (m: Model) => T, seed = 3): T {
  const model = sequential(layers, { seed });
  try {
    return f(model);
  } finally {
    model.dispose();
  }
}

test('the gradient of a dense head reaches every tree cell and its embedding through the root states (finite differences, each cell, MSE)', () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  const batch = { x: trees, y: [0.5, -1, 2, 0.25] };
  for (const encoder of [treeRnn({ units: 4, vocab }), childSumTreeLstm({ units: 4, embeddingSize: 3, vocab }), naryTreeLstm({ units: 4, embeddingSize: 3, vocab })]) {
    withModel([encoder, dense({ units: 5, activation: 'tanh' }), dense({ units: 1 })], (model) => {
      const optimizer = new Optimizer(sgd({ lr: 0 }), model.groups(), model.engine);
      try {
        const step = model.trainStep(batch, { loss: 'mse', optimizer });
        assert.ok(Math.abs(step.loss - model.evaluate(batch, 'mse').loss) < 1e-6);
        for (const param of model.parameters().filter((p) => p.name.startsWith('tree.'))) {
          const grad = param.readGrad();
          const values = param.read();
          const order = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!)).slice(0, 3);
          assert.ok(Math.abs(grad[order[0]!]!) > 1e-4, `${encoder.type} ${param.name}: no gradient reached it`);
          for (const i of order) {
            const eps = 1e-2;
            const at = (v: number): number => {
              const copy = values.slice();
              copy[i] = v;
              param.write(copy);
              return model.evaluate(batch, 'mse').loss;
            };
            const numeric = (at(values[i]! + eps) - at(values[i]! - eps)) / (2 * eps);
            param.write(values);
            assert.ok(Math.abs(numeric - grad[i]!) <= 0.02 * Math.abs(grad[i]!) + 2e-4, `${encoder.type} ${param.name}[${i}]: analytic ${grad[i]} vs numeric ${numeric}`);
          }
        }
      } finally {
        optimizer.dispose();
      }
    });
  }
});

test('an N-ary Tree-LSTM with an MLP head learns to evaluate expression trees (held-out MSE far below the predict-the-mean baseline)', async ({ annotate }) => {
  const rng = new Random(5);
  const train = expressions(rng, 3000, 3);
  const held = expressions(rng, 500, 3);
  const vocab = new Vocab([...'0123456789', '+', '-']);
  const y = (values: number[]): number[][] => values.map((v) => [v / 10]);
  const mean = train.values.reduce((a, v) => a + v / 10, 0) / train.values.length;
  const baseline = held.values.reduce((a, v) => a + (v / 10 - mean) ** 2, 0) / held.values.length;
  const model = sequential([naryTreeLstm({ units: 32, vocab }), dense({ units: 32, activation: 'relu' }), dense({ units: 1 })], { seed: 1 });
  try {
    await fit(model, { x: train.trees, y: y(train.values) }, { loss: 'mse', epochs: 8, optimizer: adam({ lr: 0.005 }), batchSize: 32, seed: 2 });
    const result = evaluate(model, { x: held.trees, y: y(held.values) }, { loss: 'mse' });
    annotate(`expression trees: held-out MSE ${result.loss.toFixed(4)} vs predict-the-mean ${baseline.toFixed(4)} (values / 10)`);
    assert.ok(result.loss < 0.05 * baseline, `held-out MSE ${result.loss} vs baseline ${baseline}`);
    // predict gives the same numbers evaluate scored.
    const p = model.predict(held.trees.slice(0, 4));
    assert.equal(p.length, 4);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(p[i]! - held.values[i]! / 10) < 0.5, `tree ${i}: predicted ${p[i]! * 10}, value ${held.values[i]}`);
  } finally {
    model.dispose();
  }
});

test('a tree model takes every loss head: cross-entropy (classes at the root), binary cross-entropy, Huber', async () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  const cases: [Loss, number, number[]][] = [
    ['crossEntropy', 5, trees.map((t) => t.label!)],
    ['binaryCrossEntropy', 1, trees.map((t) => (t.label! >= 2 ? 1 : 0))],
    [{ kind: 'huber', delta: 0.5 }, 2, trees.flatMap((t) => [t.label!, -t.label!])],
  ];
  for (const [loss, units, targets] of cases) {
    const model = sequential([childSumTreeLstm({ units: 8, vocab }), dense({ units })], { seed: 2 });
    try {
      const first = model.evaluate({ x: trees, y: targets }, loss).loss;
      await fit(model, { x: trees, y: units === 1 || loss === 'crossEntropy' ? targets : [0, 1, 2, 3].map((i) => targets.slice(2 * i, 2 * i + 2)) }, { loss, epochs: 60, optimizer: adam({ lr: 0.02 }), batchSize: 4 });
      const last = model.evaluate({ x: trees, y: targets }, loss).loss;
      assert.ok(last < 0.5 * first, `${JSON.stringify(loss)}: loss ${first} -> ${last}`);
    } finally {
      model.dispose();
    }
  }
});

test('summary, save/load (predictions identical), and the vocabulary travels with the layer', async () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  const model = sequential([childSumTreeLstm({ units: 6, embeddingSize: 4, vocab }), dense({ units: 8, activation: 'relu' }), dense({ units: 2 })]);
  try {
    const summary = model.summary();
    assert.match(summary, /tree \(childSumTreeLstm\)\s+\(batch, 6\)\s+\d+/);
    assert.match(summary, /fc_1 \(dense\)\s+\(batch, 2\)/);
    const names = model.parameters().map((p) => p.name);
    assert.deepEqual(names.slice(0, 5), ['tree.embedding.weight', 'tree.weight_ih', 'tree.weight_hh', 'tree.bias_ih', 'tree.bias_hh']);
    const before = model.predict(trees);
    const loaded = await loadModel(saveModel(model));
    try {
      assert.deepEqual(loaded.predict(trees), before);
      assert.ok(loaded.takesTrees);
      // An unknown word is <unk> in both.
      const odd = parseTrees('(1 (2 zebra) (2 good))');
      assert.deepEqual(loaded.predict(odd), model.predict(odd));
      // The interchange formats have no tree operator: refused, not written without the encoder.
      assert.throws(() => saveTorch(model), /childSumTreeLstm tree encoder, which has no PyTorch module/);
      assert.throws(() => saveOnnx(model), /childSumTreeLstm tree encoder, which has no ONNX operator/);
    } finally {
      loaded.dispose();
    }
  } finally {
    model.dispose();
  }
});

test('bad trees and batches are typed errors naming the problem, and leave the model unchanged', () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  withModel([treeRnn({ units: 4, vocab }), dense({ units: 1 })], (model) => {
    const optimizer = new Optimizer(adam({ lr: 0.1 }), model.groups(), model.engine);
    try {
      const before = model.stateDict();
      const ternary: Tree = { children: [{ word: 'a', children: [] }, { word: 'good', children: [] }, { word: 'movie', children: [] }] };
      assert.throws(() => model.trainStep({ x: [trees[0]!, ternary], y: [1, 2] }, { loss: 'mse', optimizer }), InvalidArgumentError);
      assert.throws(() => model.trainStep({ x: [{ children: [] }], y: [1] }, { loss: 'mse', optimizer }), /leaf without a word/);
      assert.throws(() => model.trainStep({ x: [], y: [] }, { loss: 'mse', optimizer }), /non-empty array of trees/);
      assert.throws(() => model.trainStep({ x: trees, y: [1, 2] }, { loss: 'mse', optimizer }), /argument `y` expected 4 target values/);
      assert.throws(() => model.trainStep({ x: trees, y: [1, 2, 3, 4], batchSize: 3 }, { loss: 'mse', optimizer }), /batchSize/);
      assert.throws(() => model.predict([1, 2, 3] as never), InvalidArgumentError);
      assert.throws(() => model.step([1], model.zeroState(1)), /reads whole trees/);
      for (const [name, value] of model.stateDict()) assert.deepEqual(value, before.get(name), name);
    } finally {
      optimizer.dispose();
    }
  });
  assert.throws(() => sequential([childSumTreeLstm({ units: 4, vocab }), childSumTreeLstm({ units: 4, vocab })]), InvalidArgumentError);
  assert.throws(() => treeRnn({ units: 4, embeddingSize: 3, vocab }), /embeddingSize/);
  assert.throws(() => childSumTreeLstm({ units: 4, vocab: ['a', 'b'] }), /<unk>/);
  assert.throws(() => childSumTreeLstm({ units: 4, vocab, hidden: 3 } as never), InvalidArgumentError);
});
