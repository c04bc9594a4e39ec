// Issue 11, item 6: `adam({ eps: 0 })` was accepted, and the embedding rows a batch did not use
// became 0/0 = NaN with fit reporting nothing. Every optimiser hyperparameter is now checked in
// one place, and a step whose update leaves a non-finite parameter or optimiser value is undone
// (parameters, optimiser state, step count) and throws NonFiniteError.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dense,
  dispose,
  embedding,
  fit,
  gru,
  init,
  InvalidArgumentError,
  loadModel,
  type Model,
  NonFiniteError,
  Optimizer,
  type OptimizerConfig,
  rnn,
  saveModel,
  sequential,
  type SequenceBatch,
  sgd,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const dictBits = (m: Model) => [...m.stateDict()].map(([k, v]) => [k, bits(v)]);

/** An embedding LM over 6 tokens; the batch below uses only tokens 0..2, so rows 3..5 get no gradient. */
const lm = () => sequential([embedding({ vocabSize: 6, dim: 3 }), gru({ units: 4 }), dense({ units: 6 })], { seed: 3 });
const fewTokens: SequenceBatch = { x: [0, 1, 2, 1, 0, 2], y: [1, 2, 0, 2, 1, 0], seqLen: 3, batchSize: 2 };

test('every bad hyperparameter is refused by fit (before any step) and by new Optimizer, naming it', async () => {
  const bad: [OptimizerConfig, RegExp][] = [
    [adam({ eps: 0 }), /`eps` expected a finite number in \(0, 1\], got 0/],
    [adam({ eps: -1e-8 }), /`eps`/],
    [adam({ beta1: 1 }), /`beta1` expected a finite number in \[0, 1\)/],
    [adam({ beta2: 1 }), /`beta2`/],
    [adam({ weightDecay: -0.1 }), /`weightDecay`/],
    [adam({ lr: Number.NaN }), /`lr`/],
    [adam({ lr: -1 }), /`lr`/],
    [adam({ lr: Infinity }), /`lr`/],
    [sgd({ momentum: 1 }), /`momentum` expected a finite number in \[0, 1\)/],
    [sgd({ momentum: 2 }), /`momentum`/],
    [sgd({ momentum: 0.9, dampening: 2 }), /`dampening` expected a finite number in \[0, 1\]/],
    [sgd({ momentum: 0.9, dampening: -1 }), /`dampening`/],
    [sgd({ nesterov: 'yes' as never, momentum: 0.9 }), /`nesterov` expected a boolean/],
    [{ type: 'adam', epsilon: 1e-8 } as never, /unknown adam option `epsilon`/],
    [{ type: 'sgd', beta1: 0.9 } as never, /unknown sgd option `beta1`/],
  ];
  const m = lm();
  try {
    const start = dictBits(m);
    for (const [config, message] of bad) {
      const label = JSON.stringify(config);
      assert.throws(() => new Optimizer(config, m.groups(), m.engine), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), label);
      await assert.rejects(fit(m, [fewTokens], { optimizer: config }), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), label);
    }
    assert.deepEqual(dictBits(m), start, 'no refused optimiser trained anything');
  } finally {
    m.dispose();
  }
});

test('the defaults and good edge values are accepted (lr 0, beta 0, momentum 0.99, dampening 1)', async () => {
  const m = lm();
  try {
    for (const config of [adam(), adamW(), sgd(), sgd({ lr: 0 }), adam({ beta1: 0, beta2: 0 }), sgd({ momentum: 0.99, dampening: 1 }), sgd({ momentum: 0.5, nesterov: true })]) {
      await fit(m, [fewTokens], { optimizer: config });
    }
    for (const [, v] of m.stateDict()) assert.ok(v.every(Number.isFinite));
  } finally {
    m.dispose();
  }
});

function adamW(): OptimizerConfig {
  return { type: 'adamw' };
}

test('adam with the default eps leaves the rows no batch used finite, and the checkpoint loads', async () => {
  const m = lm();
  try {
    await fit(m, [fewTokens, fewTokens], { optimizer: adam({ lr: 0.01 }) });
    const table = m.stateDict().get('embedding.weight')!;
    assert.ok(table.every(Number.isFinite), 'untouched embedding rows stay finite');
    const back = await loadModel(saveModel(m));
    back.dispose();
  } finally {
    m.dispose();
  }
});

/** A feature model whose MSE gradients (targets 1e33) are finite but huge. */
function blowUpModel(): Model {
  return sequential([rnn({ units: 3 }), dense({ units: 2, name: 'head' })], { inputSize: 2, seed: 4 });
}
const blowUp: SequenceBatch = { x: [1, 1, 1, 1, 1, 1, 1, 1], y: new Array(8).fill(1e33), seqLen: 2, batchSize: 2 };
const good: SequenceBatch = { x: [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2], y: [0.5, -0.5, 0.2, 0.1, 0, 0.3, -0.2, 0.4], seqLen: 2, batchSize: 2 };

for (const [label, config] of [
  ['sgd with lr 1e6 (the parameters overflow float32)', sgd({ lr: 1e6 })],
  ['sgd with momentum (the update overflows; the momentum buffer must be restored too)', sgd({ lr: 1e6, momentum: 0.9 })],
  ["adam (the second moment g^2 overflows: the parameters stay finite, the optimiser's state does not)", adam({ lr: 0.01 })],
] as const) {
  test(`an update that leaves a non-finite value throws NonFiniteError and is undone: ${label}`, () => {
    const a = blowUpModel();
    const twin = blowUpModel();
    const oa = new Optimizer(config, a.groups(), a.engine);
    const ot = new Optimizer(config, twin.groups(), twin.engine);
    try {
      const start = dictBits(a);
      assert.throws(() => a.trainStep(blowUp, { loss: 'mse', optimizer: oa }), (e: unknown) => e instanceof NonFiniteError && /restored/.test(e.message));
      assert.deepEqual(dictBits(a), start, 'parameters as before the step');
      assert.equal(oa.step, 0, 'step count as before the step');
      // The optimiser's state too: the next good step is bit-identical to a twin's that never saw the bad batch.
      for (let i = 0; i < 2; i++) {
        a.trainStep(good, { loss: 'mse', optimizer: oa });
        twin.trainStep(good, { loss: 'mse', optimizer: ot });
      }
      assert.deepEqual(dictBits(a), dictBits(twin));
      assert.equal(oa.step, ot.step);
    } finally {
      oa.dispose();
      ot.dispose();
      a.dispose();
      twin.dispose();
    }
  });
}

test("fit stops with NonFiniteError on such a step (or skips it with onNonFinite: 'skip'), the model unchanged", async () => {
  const m = blowUpModel();
  try {
    const start = dictBits(m);
    await assert.rejects(fit(m, [blowUp], { loss: 'mse', optimizer: sgd({ lr: 1e6 }) }), (e: unknown) => e instanceof NonFiniteError && /epoch 1, batch 0/.test(e.message));
    assert.deepEqual(dictBits(m), start);
    m.resetOptimizer();
    const history = await fit(m, [blowUp], { loss: 'mse', optimizer: sgd({ lr: 1e6 }), onNonFinite: 'skip' });
    assert.equal(history.epochs[0]!.skippedBatches, 1);
    assert.deepEqual(dictBits(m), start);
  } finally {
    m.dispose();
  }
});
