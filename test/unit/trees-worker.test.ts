// Issue 16: tree classifiers in the worker (2 threads there): training gives the in-thread
// losses (1 thread) bit for bit, predictions and the saved file match, bad trees are typed
// errors across the boundary and change nothing.
import { adam, InvalidArgumentError, leafWords, loadTreeClassifier, Optimizer, parseTrees, TreeClassifier, Vocab } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const TEXT = ['(3 (2 a) (3 (3 good) (2 movie)))', '(1 (1 bad) (2 (2 the) (2 film)))', '(4 (3 (3 very) (4 good)) (2 plot))', '(0 (0 awful) (1 (2 the) (1 end)))'].join('\n');
const remote = workerPerFile({ beforeAll, afterAll }, { threads: 2, engine: { threads: 1 } });

test('a tree classifier trained in the worker (2 threads) gives the in-thread losses (1 thread) bit for bit', async () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  const options = { cell: 'childSumTreeLstm', hiddenSize: 8, classes: 5, labels: 'all', seed: 4 } as const;
  const r = await remote().treeClassifier({ ...options, vocab });
  const local = new TreeClassifier({ ...options, vocab });
  const optimizer = new Optimizer(adam({ lr: 0.05 }), local.groups(), local.engine);
  try {
    const { losses } = await r.train(trees, { optimizer: { type: 'adam', lr: 0.05 }, epochs: 3, batchSize: 2, clipNorm: 1 });
    const mine: number[] = [];
    for (let e = 1; e <= 3; e++) {
      let sum = 0;
      for (let i = 0; i < trees.length; i += 2) sum += local.trainStep(trees.slice(i, i + 2), { optimizer, clipNorm: 1, epoch: e }).loss;
      mine.push(sum / 2);
    }
    assert.deepEqual(losses, mine);
    assert.ok(losses[2]! < losses[0]!);
    assert.deepEqual(await r.predictNodes(trees), local.predictNodes(trees));
    assert.deepEqual(await r.encode(trees), local.encode(trees));
    const copy = loadTreeClassifier(await r.save());
    try {
      assert.deepEqual(copy.stateDict(), local.stateDict());
    } finally {
      copy.dispose();
    }
    const before = await r.stateDict();
    await assert.rejects(r.train(parseTrees('(1 (1 a) (9 b))'), { optimizer: { type: 'adam', lr: 0.05 } }), (e: unknown) => e instanceof InvalidArgumentError && /label 9, expected a class in \[0, 5\)/.test((e as Error).message));
    await assert.rejects(r.predict([{ children: [] }]), (e: unknown) => e instanceof InvalidArgumentError && /a leaf without a word/.test((e as Error).message));
    assert.deepEqual(await r.stateDict(), before);
  } finally {
    optimizer.dispose();
    local.dispose();
    await r.dispose();
  }
});
