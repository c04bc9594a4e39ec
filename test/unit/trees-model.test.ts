// Issue 16: the tree layers through the public API: TreeCell (forward / backpropagation
// through structure in one call each, malformed forests refused with typed errors and nothing
// changed), and TreeClassifier (learns, root and every-node labels, save/load).
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dispose,
  Float32Buffer,
  forestFromNodes,
  init,
  InvalidArgumentError,
  leafWords,
  loadTreeClassifier,
  Optimizer,
  parseTrees,
  saveTreeClassifier,
  TreeCell,
  TreeClassifier,
  Vocab,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

test('TreeCell: malformed forests are InvalidArgumentErrors naming the node; the parameters and outputs are unchanged', () => {
  const cell = new TreeCell('childSumTreeLstm', 2, 3);
  const x = Float32Buffer.from([1, 2, 3, 4]);
  try {
    cell.params.write(Float32Array.from({ length: cell.params.length }, (_, i) => Math.sin(i)));
    const good = forestFromNodes([{ children: [], x: 0 }, { children: [], x: 1 }, { children: [0, 1], x: -1 }], 2);
    const before = cell.forward(good, x).h.read();
    const params = cell.params.read();
    const bad: [{ children: number[]; x: number }[], RegExp][] = [
      [[{ children: [1], x: 0 }, { children: [0], x: 1 }], /cycle through node 0/],
      [[{ children: [], x: 0 }, { children: [0, 0], x: 1 }], /node 0 listed as a child of node 1 and of node 1/],
      [[{ children: [], x: 0 }, { children: [0], x: 1 }, { children: [0], x: -1 }], /node 0 listed as a child of node 1 and of node 2/],
      [[{ children: [0], x: 0 }], /node 0 is its own child/],
      [[], /empty forest/],
    ];
    for (const [nodes, message] of bad) {
      assert.throws(() => cell.forward(forestFromNodes(nodes, 2), x), (e: unknown) => e instanceof InvalidArgumentError && message.test((e as Error).message), message.source);
    }
    assert.throws(() => forestFromNodes([{ children: [7], x: 0 }], 2), /children has 7, expected a node index in \[0, 1\)/);
    assert.throws(() => forestFromNodes([{ children: [], x: 5 }], 2), /nodes\[0\].x is 5/);
    const n = new TreeCell('naryTreeLstm', 2, 3);
    try {
      assert.throws(() => n.forward(forestFromNodes([{ children: [], x: 0 }, { children: [], x: 0 }, { children: [], x: 0 }, { children: [0, 1, 2], x: -1 }], 2), x), /at most 2 children per node .* 3 at node 3/);
    } finally {
      n.dispose();
    }
    assert.deepEqual(cell.params.read(), params);
    assert.deepEqual(cell.forward(good, x).h.read(), before);
  } finally {
    x.dispose();
    cell.dispose();
  }
});

test('TreeCell: a chain of 10^6 nodes runs forward and backward in one call each', () => {
  const n = 1_000_000;
  const cell = new TreeCell('childSumTreeLstm', 1, 1);
  const x = Float32Buffer.from([1]);
  try {
    cell.params.write(new Float32Array(cell.params.length).fill(0.1));
    const offsets = Uint32Array.from({ length: n + 1 }, (_, j) => Math.max(0, j - 1));
    const children = Uint32Array.from({ length: n - 1 }, (_, j) => j);
    const forest = { nodes: n, childOffsets: offsets, children, xRows: new Uint32Array(n), numInputs: 1 };
    const h = cell.forward(forest, x).h.read();
    assert.ok(Number.isFinite(h[n - 1]!) && h[n - 1] !== 0);
    const gh = new Float32Buffer(n);
    gh.view()[n - 1] = 1;
    cell.backward(gh);
    gh.dispose();
    assert.ok(cell.grads.read().every(Number.isFinite));
  } finally {
    x.dispose();
    cell.dispose();
  }
});

/** Trees whose root label is the parity of the number of `one` leaves; inner labels likewise. */
function parityTrees(count: number, seed: number): string {
  let s = seed;
  const rand = (n: number): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const build = (depth: number): [string, number] => {
    if (depth === 0 || rand(3) === 0) {
      const one = rand(2);
      return [`(${one} ${one ? 'one' : 'zero'})`, one];
    }
    const [a, pa] = build(depth - 1);
    const [b, pb] = build(depth - 1);
    return [`(${pa ^ pb} ${a} ${b})`, pa ^ pb];
  };
  return Array.from({ length: count }, () => build(3)[0]).join('\n');
}

test('TreeClassifier: learns the parity of a tree with labels at every node, saves and loads', () => {
  const train = parseTrees(parityTrees(200, 1));
  const test_ = parseTrees(parityTrees(100, 2));
  const vocab = new Vocab(leafWords(train));
  const model = new TreeClassifier({ cell: 'childSumTreeLstm', vocab, hiddenSize: 16, classes: 2, labels: 'all', seed: 3 });
  const optimizer = new Optimizer(adam({ lr: 0.02 }), model.groups(), model.engine);
  try {
    const before = model.accuracy(test_);
    let first = 0;
    let last = 0;
    for (let epoch = 0; epoch < 30; epoch++) {
      for (let i = 0; i < train.length; i += 20) {
        const r = model.trainStep(train.slice(i, i + 20), { optimizer, clipNorm: 5 });
        if (epoch === 0 && i === 0) first = r.loss;
        last = r.loss;
      }
    }
    const after = model.accuracy(test_);
    assert.ok(last < first / 4, `loss ${first} -> ${last}`);
    assert.ok(after >= 0.95, `held-out accuracy ${before} -> ${after}`);
    const nodes = model.predictNodes(test_.slice(0, 3));
    assert.equal(nodes.length, 3);
    const bytes = saveTreeClassifier(model);
    const loaded = loadTreeClassifier(bytes);
    try {
      assert.deepEqual(loaded.predict(test_), model.predict(test_));
      assert.deepEqual(loaded.encode(test_.slice(0, 4)), model.encode(test_.slice(0, 4)));
    } finally {
      loaded.dispose();
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

test('TreeClassifier: a batch with a tree the cell cannot take is refused before any change', () => {
  const trees = parseTrees('(1 (0 a) (1 b) (0 c))');
  const vocab = new Vocab(leafWords(trees));
  const model = new TreeClassifier({ cell: 'naryTreeLstm', vocab, hiddenSize: 4, classes: 2 });
  const optimizer = new Optimizer(adam({ lr: 0.1 }), model.groups(), model.engine);
  try {
    const before = model.stateDict();
    assert.throws(() => model.trainStep(trees, { optimizer }), /at most 2 children per node/);
    assert.deepEqual(model.stateDict(), before);
    assert.equal(optimizer.step, 0);
    assert.throws(() => new TreeClassifier({ cell: 'treeRnn', vocab, hiddenSize: 4, embeddingSize: 3, classes: 2 }), /embeddingSize must equal hiddenSize/);
    assert.throws(() => new TreeClassifier({ cell: 'childSumTreeLstm', vocab, hiddenSize: 4, classes: 2, depth: 3 } as never), /unknown option `depth`/);
    assert.throws(() => model.trainStep(parseTrees('(7 (0 a) (1 b))'), { optimizer }), /label 7, expected a class in \[0, 2\)/);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

test('TreeCell: level-batched and node-at-a-time agree (forward and gradients), for every cell', () => {
  const nodes = [{ children: [], x: 0 }, { children: [], x: 1 }, { children: [0, 1], x: -1 }, { children: [], x: 2 }, { children: [2, 3], x: -1 }, { children: [], x: 1 }];
  for (const kind of ['treeRnn', 'childSumTreeLstm', 'naryTreeLstm'] as const) {
    const forest = forestFromNodes(nodes, 3);
    const run = (levelBatched: boolean) => {
      const cell = new TreeCell(kind, 4, 4);
      const x = Float32Buffer.from(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)));
      const gx = new Float32Buffer(12);
      const gh = Float32Buffer.from(Float32Array.from({ length: 24 }, (_, i) => Math.sin(3 * i)));
      try {
        cell.params.write(Float32Array.from({ length: cell.params.length }, (_, i) => 0.3 * Math.sin(7 * i)));
        const h = cell.forward(forest, x, levelBatched).h.read().slice(0, 24);
        cell.backward(gh, undefined, gx);
        return [...h, ...cell.grads.read(), ...gx.read()];
      } finally {
        for (const o of [cell, x, gx, gh]) o.dispose();
      }
    };
    const [a, b] = [run(true), run(false)];
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * (1 + Math.abs(v)), `${kind} [${i}]: ${v} vs ${b[i]}`));
  }
  const cell = new TreeCell('treeRnn', 2, 2);
  try {
    assert.throws(() => cell.backward(new Float32Buffer(2)), /no forward to go back through/);
  } finally {
    cell.dispose();
  }
});
