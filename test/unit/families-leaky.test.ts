// Issue 15, leaky units: rnn({ leak }) through the public API. The equations themselves are
// checked against PyTorch by the parity runner (families fixtures, leaky_rnn) and natively
// (crates/recurrent-core/tests/families_leaky.rs); here: the option's rules, that a fixed
// rate is a constant and a learned one learns, a = 0 is the plain tanh RNN, streaming equals
// the whole sequence, and files round-trip.
import { afterAll, beforeAll, describe, test } from 'vitest';

import { adam, dense, dispose, init, InvalidArgumentError, oneHot, Optimizer, readSafetensors, rnn, saveModel, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { worstStepVsPredict } from '../support/stream.js';
import { assertLoadsBack, bits } from '../support/round-trip.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());


describe('rnn({ leak }) option', () => {
  test('accepts a rate, one rate per unit, or learn', () => {
    assert.equal(rnn({ units: 3, leak: 0.5 }).leak, 0.5);
    assert.deepEqual(rnn({ units: 3, leak: [0, 0.25, 0.99] }).leak, [0, 0.25, 0.99]);
    assert.equal(rnn({ units: 3, leak: 'learn' }).leak, 'learn');
  });

  test('refuses rates outside [0, 1), wrong lengths, other strings, relu and residual, naming leak', () => {
    const bad: unknown[] = [1, -0.1, Number.NaN, Infinity, [0.1, 0.2], [0.1, 0.2, 1], 'learned', {}, null];
    for (const leak of bad) {
      assert.throws(() => rnn({ units: 3, leak: leak as number }), (e: unknown) => e instanceof InvalidArgumentError && /leak/.test((e as Error).message), `leak ${String(leak)}`);
    }
    assert.throws(() => rnn({ units: 3, leak: 0.5, nonlinearity: 'relu' }), InvalidArgumentError);
    assert.throws(() => rnn({ units: 3, leak: 'learn', residual: true }), InvalidArgumentError);
  });
});

describe('leaky units in a model', () => {
  test('fixed rates are the leak_a parameters and stay constant under training; learned logits train', () => {
    for (const leak of [[0, 0.5, 0.75, 0.984375], 'learn'] as const) {
      const m = sequential([oneHot({ vocabSize: 5 }), rnn({ units: 4, leak }), dense({ units: 5 })], { seed: 3 });
      try {
        const name = leak === 'learn' ? 'rnn.leak_l0' : 'rnn.leak_a_l0';
        const before = m.stateDict().get(name)!;
        if (leak !== 'learn') assert.deepEqual(Array.from(before), leak);
        const w = m.stateDict().get('rnn.weight_hh_l0')!;
        const opt = new Optimizer(adam({ lr: 0.05 }), m.groups(), m.engine);
        const x = Array.from({ length: 24 }, (_, i) => (i * 3) % 5);
        for (let i = 0; i < 3; i++) m.trainStep({ x, y: x.map((v) => (v + 1) % 5), seqLen: 8, batchSize: 3 }, { loss: 'crossEntropy', optimizer: opt });
        const after = m.stateDict().get(name)!;
        assert.notDeepEqual(bits(m.stateDict().get('rnn.weight_hh_l0')!), bits(w), 'the weights train');
        if (leak === 'learn') assert.notDeepEqual(bits(after), bits(before), 'learned logits train');
        else assert.deepEqual(bits(after), bits(before), 'fixed rates do not move');
      } finally {
        m.dispose();
      }
    }
  });

  test('a = 0 everywhere computes the plain tanh RNN with the same weights', () => {
    const plain = sequential([rnn({ units: 5, layers: 2, bidirectional: true })], { seed: 7, inputSize: 3 });
    const leaky = sequential([rnn({ units: 5, layers: 2, bidirectional: true, leak: 0 })], { seed: 8, inputSize: 3 });
    try {
      for (const [k, v] of plain.stateDict()) leaky.loadStateDict(new Map([[k, v]]), { strict: false });
      const x = Array.from({ length: 6 * 2 * 3 }, (_, i) => Math.sin(i));
      const a = plain.predict(x, { seqLen: 6, batchSize: 2 });
      const b = leaky.predict(x, { seqLen: 6, batchSize: 2 });
      assert.deepEqual(bits(b), bits(a));
    } finally {
      plain.dispose();
      leaky.dispose();
    }
  });

  test('streaming steps equal predict over the sequence, for fixed and learned leaks', () => {
    for (const leak of [0.9, 'learn'] as const) {
      const m = sequential([rnn({ units: 6, layers: 2, leak })], { seed: 4, inputSize: 2 });
      try {
        const T = 7;
        const B = 3;
        const x = Array.from({ length: T * B * 2 }, (_, i) => Math.cos(i * 0.7));
        const state = m.zeroState(B);
        const worst = worstStepVsPredict(m, state, x, T, B);
        state.dispose();
        assert.ok(worst <= 1e-6, `leak ${leak}: max |step - predict| = ${worst}`);
      } finally {
        m.dispose();
      }
    }
  });

  test('saveModel / loadModel round-trip bit-exactly, the layer marked as not PyTorch', async () => {
    for (const leak of [[0.1, 0.2, 0.3], 'learn'] as const) {
      const m = sequential([oneHot({ vocabSize: 4 }), rnn({ units: 3, leak, bidirectional: true }), dense({ units: 4 })], { seed: 5 });
      try {
        const bytes = saveModel(m);
        const file = readSafetensors(bytes);
        assert.equal(file.metadata['recurrent.torch_compatible'], 'false');
        assert.match(file.metadata['recurrent.torch_incompatible']!, /leak/);
        await assertLoadsBack(bytes, m);
      } finally {
        m.dispose();
      }
    }
  });
});
