// Issue 14: what crosses to a worker of the new API: a dataset of whole examples ({ x, y } as
// nested or shaped arrays), validation and early stopping, a built-in schedule by name (a
// function cannot cross), and model.summary(). The worker's training equals the in-thread one.
import { afterAll, beforeAll, test } from 'vitest';

import { adam, dense, fit, gru, InvalidArgumentError, type NamedSchedule, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { workerPerFile } from '../support/worker.js';

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1, engine: { threads: 1 } });

const layers = [gru({ units: 6, output: 'last' }), dense({ units: 8, activation: 'relu' }), dense({ units: 2 })];
const x = Array.from({ length: 20 }, (_, n) => Array.from({ length: 4 }, (_, t) => [Math.sin(n + 0.7 * t)]));
const y = x.map((e) => (e[3]![0]! > 0 ? 1 : 0));
const schedule: NamedSchedule = { name: 'cosineWithWarmup', lr: 0.02, warmupSteps: 2, totalSteps: 12 };
const options = { epochs: 4, batchSize: 5, optimizer: adam(), schedule, validationSplit: 0.25, earlyStopping: { patience: 3 } } as const;

test('fit on a dataset with a named schedule and validation gives in the worker what it gives in-thread', async () => {
  const local = sequential(layers, { seed: 5, inputSize: 1 });
  const mine = await fit(local, { x, y }, options);
  const model = await remote().sequential(layers, { seed: 5, inputSize: 1 });
  try {
    const theirs = await model.fit({ x, y }, options);
    assert.deepEqual(theirs.epochs.map((e) => [e.epoch, e.loss, e.validation]), mine.epochs.map((e) => [e.epoch, e.loss, e.validation]));
    assert.equal(await model.summary(), local.summary());
  } finally {
    await model.dispose();
    local.dispose();
  }
});

test('a schedule or checkpoint function cannot cross: the error names the data form to use', async () => {
  const model = await remote().sequential(layers, { seed: 5, inputSize: 1 });
  try {
    await assert.rejects(model.fit({ x, y }, { optimizer: adam({ lr: () => 0.1 }) }), (e: unknown) => e instanceof InvalidArgumentError && /schedule: \{ name: 'cosineWithWarmup'/.test(e.message));
    await assert.rejects(model.fit({ x, y }, { checkpointBest: () => {} }), /`checkpointBest` is a function and cannot cross to a worker/);
  } finally {
    await model.dispose();
  }
});
