// Non-finite values: a training step whose loss or gradients are NaN or infinite changes nothing
// (parameters, optimiser state, carried state, dropout counter: the next good step is bit-identical
// to a twin that never saw the bad batch); `fit` stops with an error naming the epoch and batch,
// or skips the batch with `onNonFinite: 'skip'`; and `findNonFinite` reports the first layer whose
// parameters or output are not finite.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dense,
  dispose,
  embedding,
  fit,
  init,
  lstm,
  type Model,
  NonFiniteError,
  Optimizer,
  rnn,
  sequential,
  sgd,
  type SequenceBatch,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const dictBits = (m: Model) => [...m.stateDict()].map(([k, v]) => [k, bits(v)]);

const T = 4;
const B = 2;
const F = 2;

/** A feature model (relu RNN, 2 layers with dropout, dense, MSE) whose input weights are all 1. */
function features(): Model {
  const m = sequential([rnn({ units: 3, nonlinearity: 'relu', layers: 2, dropout: 0.25 }), dense({ units: 2 })], { inputSize: F, seed: 11 });
  m.loadStateDict(new Map([['rnn.weight_ih_l0', new Float32Array(3 * F).fill(1)]]), { strict: false });
  return m;
}

function batch(scale: number, shift = 0): SequenceBatch {
  return {
    x: Array.from({ length: T * B * F }, (_, i) => scale * (1 + ((i + shift) % 3))),
    y: Array.from({ length: T * B * 2 }, (_, i) => Math.sin(i + shift)),
    seqLen: T,
    batchSize: B,
  };
}

const good = batch(0.1);
const good2 = batch(0.2, 1);
/** Inputs near the float32 maximum (finite): with input weights 1, x W^T overflows to infinity. */
const overflow: SequenceBatch = { ...good, x: new Array(T * B * F).fill(3e38) };

test('a non-finite step throws NonFiniteError and changes nothing: the next step matches a twin that never saw it', () => {
  const a = features();
  const b = features();
  try {
    const oa = new Optimizer(adam({ lr: 0.01 }), a.groups(), a.engine);
    const ob = new Optimizer(adam({ lr: 0.01 }), b.groups(), b.engine);
    const opts = (o: Optimizer) => ({ loss: 'mse' as const, optimizer: o, carryState: true });
    a.trainStep(good, opts(oa));
    b.trainStep(good, opts(ob));
    const before = dictBits(a);
    const carried = a.carriedState(B).get(0);
    assert.throws(() => a.trainStep(overflow, opts(oa)), (e: unknown) => e instanceof NonFiniteError && e.name === 'NonFiniteError' && /not finite/.test(e.message) && /not updated/.test(e.message));
    assert.deepEqual(dictBits(a), before, 'parameters unchanged');
    assert.equal(oa.step, 1, 'the optimiser did not step');
    assert.deepEqual(a.carriedState(B).get(0), carried, 'carried state unchanged');
    // Adam moments, the dropout counter and the carried state were all left as they were: the
    // next good step is bit-identical to the twin's.
    const ra = a.trainStep(good2, opts(oa));
    const rb = b.trainStep(good2, opts(ob));
    assert.equal(ra.loss, rb.loss);
    assert.deepEqual(dictBits(a), dictBits(b));
    oa.dispose();
    ob.dispose();
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('fit stops with a NonFiniteError naming the epoch and the batch, after training only the batches before it', async () => {
  const a = features();
  const twin = features();
  try {
    await assert.rejects(
      fit(a, [good, good2, overflow, good], { loss: 'mse', optimizer: sgd({ lr: 0.05 }) }),
      (e: unknown) => e instanceof NonFiniteError && /epoch 1, batch 2/.test(e.message) && e.cause instanceof NonFiniteError,
    );
    await fit(twin, [good, good2], { loss: 'mse', optimizer: sgd({ lr: 0.05 }) });
    assert.deepEqual(dictBits(a), dictBits(twin));
    // The bad batch in the second epoch only.
    const c = features();
    try {
      await assert.rejects(
        fit(c, (epoch) => (epoch === 1 ? [good, good2] : [good, overflow]), { loss: 'mse', epochs: 3 }),
        (e: unknown) => e instanceof NonFiniteError && /epoch 2, batch 1/.test(e.message),
      );
    } finally {
      c.dispose();
    }
  } finally {
    a.dispose();
    twin.dispose();
  }
});

test("fit with onNonFinite: 'skip' skips the bad batch and trains on as if it had not been there", async () => {
  const a = features();
  const twin = features();
  try {
    const skipped: number[] = [];
    const h = await fit(a, [good, overflow, good2, overflow], {
      loss: 'mse',
      optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
      onNonFinite: 'skip',
      bptt: 'truncated',
      onBatchEnd: (i) => void (i.skipped && skipped.push(i.batch)),
    });
    assert.deepEqual(skipped, [1, 3]);
    assert.equal(h.epochs[0]!.skippedBatches, 2);
    assert.equal(h.epochs[0]!.batches, 4);
    assert.ok(Number.isFinite(h.epochs[0]!.loss));
    await fit(twin, [good, good2], { loss: 'mse', optimizer: sgd({ lr: 0.05, momentum: 0.9 }), bptt: 'truncated' });
    assert.deepEqual(dictBits(a), dictBits(twin));
  } finally {
    a.dispose();
    twin.dispose();
  }
});

test('findNonFinite reports the first layer whose output or parameters are not finite', () => {
  // Layer 0: an embedding of huge (finite) vectors; layer 1: a relu RNN whose sums overflow;
  // layer 2: an LSTM (it would turn infinities into NaN); layer 3: dense.
  const m = sequential([embedding({ vocabSize: 4, dim: 2 }), rnn({ units: 3, nonlinearity: 'relu' }), lstm({ units: 3 }), dense({ units: 4 })], { seed: 2 });
  try {
    const probe = { x: [0, 1, 2, 3, 3, 2], seqLen: 3, batchSize: 2 };
    assert.equal(m.findNonFinite(probe), undefined, 'a healthy model');
    m.loadStateDict(new Map([
      ['embedding.weight', new Float32Array(8).fill(2e38)],
      ['rnn.weight_ih_l0', new Float32Array(6).fill(1)],
    ]), { strict: false });
    const before = dictBits(m);
    const report = m.findNonFinite(probe);
    assert.deepEqual(report, { layer: 'rnn', index: 1, where: 'output', offset: 0, step: 0, sequence: 0, value: Infinity });
    assert.deepEqual(dictBits(m), before, 'findNonFinite changes nothing');
    assert.throws(() => m.trainStep({ ...probe, y: [0, 1, 2, 3, 0, 1] }, { loss: 'crossEntropy', optimizer: new Optimizer(sgd(), m.groups(), m.engine) }), NonFiniteError);
    assert.deepEqual(dictBits(m), before);
  } finally {
    m.dispose();
  }

  // The dense output overflows while every recurrent output is finite (tanh is bounded).
  const d = sequential([rnn({ units: 3 }), dense({ units: 2, name: 'head' })], { inputSize: 2, seed: 4 });
  try {
    d.loadStateDict(new Map([
      ['rnn.weight_ih_l0', new Float32Array(6).fill(1)],
      ['rnn.weight_hh_l0', new Float32Array(9)],
      ['rnn.bias_ih_l0', new Float32Array(3)],
      ['rnn.bias_hh_l0', new Float32Array(3)],
      ['head.weight', new Float32Array(6).fill(3e38)],
      ['head.bias', new Float32Array(2).fill(3e38)],
    ]));
    const probe = { x: [1, 1, 1, 1, 1, 1, 1, 1], seqLen: 2, batchSize: 2 };
    assert.deepEqual(d.findNonFinite(probe), { layer: 'head', index: 1, where: 'output', offset: 0, step: 0, sequence: 0, value: Infinity });
  } finally {
    d.dispose();
  }

  // Parameters that are not finite: findNonFinite names the parameter. (Training cannot make
  // them so any more: an update that would is undone and throws NonFiniteError, see
  // regress-model-optimizer.test.ts; here the value is written directly.)
  const e = sequential([rnn({ units: 3 }), dense({ units: 2, name: 'head' })], { inputSize: 2, seed: 4 });
  try {
    const probe = { x: [1, 1, 1, 1, 1, 1, 1, 1], seqLen: 2, batchSize: 2 };
    e.parameters().find((q) => q.name === 'head.weight')!.write(new Float32Array(6).fill(1).fill(Infinity, 2, 3));
    const report = e.findNonFinite(probe);
    assert.equal(report?.layer, 'head');
    assert.equal(report?.where, 'parameters');
    assert.equal(report?.parameter, 'head.weight');
    assert.ok(!Number.isFinite(report.value));
  } finally {
    e.dispose();
  }
});
