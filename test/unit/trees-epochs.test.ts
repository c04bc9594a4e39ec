// Epochs are counted from 1 everywhere (fit, Seq2Seq, the CLI, schedules): a tree classifier's
// trainStep and a worker's tree `train` too (they counted from 0, so a schedule's first epoch
// was run at the rate of an epoch before the first).
import { afterAll, beforeAll, test } from 'vitest';

import { adam, dispose, init, InvalidArgumentError, leafWords, Optimizer, parseTrees, stepDecay, TreeClassifier, Vocab } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const trees = parseTrees('(1 (0 a) (1 b))\n(0 (1 b) (0 a))\n(1 (1 a) (1 b))');

function trainedOnce(lr: ReturnType<typeof adam>, epoch?: number): Float32Array[] {
  const model = new TreeClassifier({ cell: 'naryTreeLstm', vocab: new Vocab(leafWords(trees)), hiddenSize: 4, classes: 2, seed: 5 });
  const optimizer = new Optimizer(lr, model.groups(), model.engine);
  try {
    model.trainStep(trees, epoch === undefined ? { optimizer } : { optimizer, epoch });
    return Object.values(model.stateDict());
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

test('TreeClassifier.trainStep: the default epoch is 1, so a schedule starts at its first rate', () => {
  const scheduled = trainedOnce(adam({ lr: stepDecay({ lr: 0.05, stepSize: 1, gamma: 0.5 }) }));
  const constant = trainedOnce(adam({ lr: 0.05 }));
  assert.deepEqual(scheduled, constant);
  const second = trainedOnce(adam({ lr: stepDecay({ lr: 0.05, stepSize: 1, gamma: 0.5 }) }), 2);
  assert.deepEqual(second, trainedOnce(adam({ lr: 0.025 })));
});

test('TreeClassifier.trainStep: epoch 0 is refused naming `epoch`, and nothing changes', () => {
  const model = new TreeClassifier({ cell: 'naryTreeLstm', vocab: new Vocab(leafWords(trees)), hiddenSize: 4, classes: 2, seed: 5 });
  const optimizer = new Optimizer(adam({ lr: 0.05 }), model.groups(), model.engine);
  try {
    const before = Object.values(model.stateDict());
    assert.throws(() => model.trainStep(trees, { optimizer, epoch: 0 }), (e: unknown) => e instanceof InvalidArgumentError && /`epoch`/.test(e.message));
    assert.deepEqual(Object.values(model.stateDict()), before);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});
