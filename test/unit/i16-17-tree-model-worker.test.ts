// Issue 16: a tree model (tree encoder + dense head) in the worker: the trees cross as plain
// data, training there (2 threads) gives the in-thread model's predictions (1 thread) bit for
// bit, its saved file loads here, and a bad tree is a typed error across the boundary.
import { adam, childSumTreeLstm, dense, fit, InvalidArgumentError, leafWords, loadModel, parseTrees, sequential, Vocab } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const TEXT = ['(3 (2 a) (3 (3 good) (2 movie)))', '(1 (1 bad) (2 (2 the) (2 film)))', '(4 (3 (3 very) (4 good)) (2 plot))', '(0 (0 awful) (1 (2 the) (1 end)))'].join('\n');
const remote = workerPerFile({ beforeAll, afterAll }, { threads: 2, engine: { threads: 1 } });

test('a tree model fitted in the worker (2 threads) predicts what the in-thread one (1 thread) does, bit for bit; its file loads here', async () => {
  const trees = parseTrees(TEXT);
  const vocab = new Vocab(leafWords(trees));
  const layers = [childSumTreeLstm({ units: 8, vocab }), dense({ units: 8, activation: 'relu' }), dense({ units: 1 })];
  const data = { x: trees, y: trees.map((t) => [t.label! / 4]) };
  const options = { loss: 'mse' as const, epochs: 5, optimizer: adam({ lr: 0.01 }), batchSize: 2, seed: 1 };
  const r = await remote().sequential(layers, { seed: 7 });
  assert.equal(r.takesTrees, true);
  const local = sequential(layers, { seed: 7 });
  try {
    const history = await r.fit(data, options);
    const mine = await fit(local, data, options);
    assert.deepEqual(history.epochs.map((e) => e.loss), mine.epochs.map((e) => e.loss));
    const p = await r.predict(trees);
    assert.deepEqual(p, local.predict(trees));
    const loaded = await loadModel(await r.save());
    try {
      assert.deepEqual(loaded.predict(trees), p);
    } finally {
      loaded.dispose();
    }
    await assert.rejects(r.predict([{ children: [] }]), (e: unknown) => e instanceof InvalidArgumentError && /leaf without a word/.test(e.message));
    assert.deepEqual(await r.predict(trees), p);
  } finally {
    await r.dispose();
    local.dispose();
  }
});
