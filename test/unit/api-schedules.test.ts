// Issue 14: the built-in learning-rate schedules, against the rates PyTorch's schedulers set
// (StepLR, ExponentialLR, ReduceLROnPlateau; the cosine-with-warm-up formula of transformers
// through LambdaLR), epochs counted from 1 here as everywhere in the API; the rates come
// from test/fixtures/api/schedules.json (scripts/fixtures/api_fixtures.py).
import { afterAll, beforeAll, test } from 'vitest';

import { adam, cosineWithWarmup, dense, dispose, exponentialDecay, fit, gru, init, InvalidArgumentError, reduceOnPlateau, sequential, stepDecay } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { readDataJson, repoPath } from '../support/files.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

interface Entry {
  options: never;
  stepsPerEpoch: number;
  rates: number[];
  losses?: number[];
}
type Fixture = Record<'stepDecay' | 'exponentialDecay' | 'cosineWithWarmup' | 'reduceOnPlateau', Entry>;

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b));

test('stepDecay, exponentialDecay and cosineWithWarmup give the rates PyTorch sets, step by step', async () => {
  const f = await readDataJson<Fixture>(repoPath('test/fixtures/api/schedules.json'));
  for (const [name, make] of [['stepDecay', stepDecay], ['exponentialDecay', exponentialDecay], ['cosineWithWarmup', cosineWithWarmup]] as const) {
    const e = f[name];
    const schedule = make(e.options);
    e.rates.forEach((rate, i) => {
      const got = schedule({ step: i + 1, epoch: Math.floor(i / e.stepsPerEpoch) + 1 });
      assert.ok(near(got, rate), `${name}, step ${i + 1}: ${got} vs PyTorch ${rate}`);
    });
  }
});

test('reduceOnPlateau follows PyTorch ReduceLROnPlateau (patience, relative threshold, cooldown, minLr)', async () => {
  const e = (await readDataJson<Fixture>(repoPath('test/fixtures/api/schedules.json'))).reduceOnPlateau;
  const schedule = reduceOnPlateau(e.options);
  e.losses!.forEach((loss, epoch) => {
    const got = schedule({ step: epoch + 1, epoch: epoch + 1 });
    assert.ok(near(got, e.rates[epoch]!), `epoch ${epoch}: ${got} vs PyTorch ${e.rates[epoch]}`);
    schedule.epochEnd(loss);
  });
});

test('fit tells a reduceOnPlateau schedule the loss after every epoch', async () => {
  const model = sequential([gru({ units: 4, output: 'last' }), dense({ units: 2 })], { inputSize: 1 });
  // threshold 1: no epoch ever counts as an improvement, so with patience 0 every epoch halves the rate.
  const lr = reduceOnPlateau({ lr: 0.01, factor: 0.5, patience: 0, threshold: 1 });
  const x = Array.from({ length: 8 }, (_, n) => [[n / 8], [1 - n / 8]]);
  await fit(model, { x, y: x.map((_, n) => n % 2) }, { epochs: 3, optimizer: adam({ lr }) });
  assert.equal(lr({ step: 1, epoch: 0 }), 0.01 / 8);
  model.dispose();
});

test('schedule options are checked, with names from other libraries suggested', () => {
  assert.throws(() => stepDecay({ lr: 0.1, step_size: 2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /unknown option `step_size` \(use `stepSize`\)/.test(e.message));
  assert.throws(() => cosineWithWarmup({ lr: 0.1, warmupSteps: 10, totalSteps: 10 }), /argument `totalSteps` expected an integer in \[11,/);
  assert.throws(() => exponentialDecay({ lr: 0, gamma: 0.9 }), /argument `lr` expected a finite number > 0/);
});

test("fit's `schedule` by name trains exactly as the schedule function does, and refuses unknown names", async () => {
  const x = Array.from({ length: 8 }, (_, n) => [[n / 8], [1 - n / 8]]);
  const y = x.map((_, n) => n % 2);
  const run = async (options: Parameters<typeof fit>[2]) => {
    const model = sequential([gru({ units: 4, output: 'last' }), dense({ units: 2 })], { inputSize: 1, seed: 9 });
    const h = await fit(model, { x, y }, { epochs: 3, batchSize: 4, ...options });
    model.dispose();
    return h.epochs.map((e) => e.loss);
  };
  const byName = await run({ optimizer: adam(), schedule: { name: 'stepDecay', lr: 0.05, stepSize: 1, gamma: 0.5 } });
  const byFunction = await run({ optimizer: adam({ lr: stepDecay({ lr: 0.05, stepSize: 1, gamma: 0.5 }) }) });
  const constant = await run({ optimizer: adam({ lr: 0.05 }) });
  assert.deepEqual(byName, byFunction);
  assert.notDeepEqual(byName, constant);
  await assert.rejects(run({ schedule: { name: 'cosine' } as never }), /argument `schedule.name` expected one of 'stepDecay'/);
});

test('a schedule of other options is another optimiser config: a second fit uses it, the same options keep the optimiser', () => {
  const model = sequential([gru({ units: 3, output: 'last' }), dense({ units: 2 })], { inputSize: 1, seed: 2 });
  try {
    const first = model.optimizerFor(adam({ lr: stepDecay({ lr: 0.01, stepSize: 1 }) }));
    const second = model.optimizerFor(adam({ lr: stepDecay({ lr: 0.02, stepSize: 1 }) }));
    assert.notEqual(second, first);
    assert.equal(second.learningRate(1), 0.02);
    assert.equal(model.optimizerFor(adam({ lr: stepDecay({ lr: 0.02, stepSize: 1 }) })), second);
  } finally {
    model.dispose();
  }
});
