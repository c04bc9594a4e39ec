// Issue 14: variational `inputDropout` and `recurrentDropout` on recurrent layers (Keras'
// `dropout` and `recurrent_dropout`, Gal & Ghahramani): one mask per sequence, the same at every
// step, inverted scaling, training only.
//
// - Exact values: the core, with the masks of scripts/fixtures/variational_dropout_fixtures.py
//   injected through the test build's `rnn_train_forward_masked`, against that script's float64
//   reference written out with torch ops (PyTorch has no variational RNN dropout): outputs,
//   final states and every gradient (weights, x, h0, c0), for LSTM (stacked, bidirectional),
//   GRU (both resets) and RNN.
// - Through the public API: the same mask at every step (a dropped unit or input feature
//   contributes to no step: its column of dW_hh / dW_ih is exactly zero for a one-sequence
//   batch), inference and streaming identical to p = 0, reproducible with the seed and in a
//   worker, bad probabilities refused naming the option.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  dense, dispose, engine, Float32Buffer, gru, init, InvalidArgumentError, lstm, RecurrentStack, rnn, sequential, sgd,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { readDataJson, repoPath } from '../support/files.js';
import { close as closeTo } from '../support/torch-case.js';
import { assertSameFit, withTwinModels } from '../support/worker.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

interface Fixture {
  kind: 'lstm' | 'gru' | 'gru_reset_before' | 'rnn_tanh';
  layers: number;
  bidirectional: boolean;
  seqLen: number;
  batch: number;
  inputSize: number;
  hiddenSize: number;
  inputDropout: number;
  recurrentDropout: number;
  masks: number[];
  params: Record<string, number[]>;
  x: number[];
  h0: number[];
  c0?: number[];
  gy: number[];
  ghn: number[];
  y: number[];
  hN: number[];
  cN?: number[];
  grads: Record<string, number[]>;
  gx: number[];
  gh0: number[];
  gc0?: number[];
}

/** Float32 arithmetic against the float64 reference (the tolerances of api-torch-fixtures.test.ts). */
const close = (actual: ArrayLike<number>, expected: readonly number[], what: string, tol?: number) => closeTo(actual, expected, what, tol, 'reference');

const CASES = ['lstm_stacked_bidirectional', 'gru', 'rnn_tanh', 'gru_reset_before', 'lstm_recurrent_only'];

describe('variational dropout in the core against a float64 reference with the same masks', () => {
  for (const name of CASES) {
    test(`${name}: outputs, states and every gradient match`, async () => {
      const c = await readDataJson<Fixture>(repoPath(`test/fixtures/api/variational_${name}.json`));
      const { seqLen: T, batch: B, hiddenSize: H } = c;
      const D = c.bidirectional ? 2 : 1;
      const states = c.layers * D * B * H;
      const stack = new RecurrentStack({ kind: c.kind, inputSize: c.inputSize, hiddenSize: H, layers: c.layers, bidirectional: c.bidirectional });
      const temps: Float32Buffer[] = [];
      const buf = (data: number[] | number) => {
        const b = typeof data === 'number' ? new Float32Buffer(data) : Float32Buffer.from(Float32Array.from(data));
        temps.push(b);
        return b;
      };
      try {
        for (const p of stack.parameters()) stack.setParameter(p.name, c.params[p.name]!);
        const lstmLike = c.c0 !== undefined;
        const [x, h0, c0, masks] = [buf(c.x), buf(c.h0), lstmLike ? buf(c.c0!) : undefined, buf(c.masks)];
        const [y, hN, cN] = [buf(T * B * D * H), buf(states), lstmLike ? buf(states) : undefined];
        const h = (b: Float32Buffer | undefined) => b?.handle ?? 0;
        engine().call((w) =>
          w.rnn_train_forward_masked(stack.handle, T, B, x.handle, new Uint32Array(0), h0.handle, h(c0), y.handle, hN.handle, h(cN), c.inputDropout, c.recurrentDropout, masks.handle),
        );
        close(y.view().subarray(0, T * B * D * H), c.y, 'y');
        close(hN.view(), c.hN, 'h_n');
        if (cN) close(cN.view(), c.cN!, 'c_n');
        const [gy, ghn, gx, gh0, gc0] = [buf(c.gy), buf(c.ghn), buf(c.x.length), buf(states), lstmLike ? buf(states) : undefined];
        stack.zeroGradients();
        engine().call((w) => w.rnn_backward(stack.handle, gy.handle, ghn.handle, 0, gx.handle, gh0.handle, h(gc0), 0));
        for (const p of stack.parameters()) close(stack.getGradient(p.name), c.grads[p.name]!, `d${p.name}`, 5e-5);
        close(gx.view(), c.gx, 'dx', 5e-5);
        close(gh0.view(), c.gh0, 'dh0', 5e-5);
        if (gc0) close(gc0.view(), c.gc0!, 'dc0', 5e-5);
      } finally {
        temps.forEach((b) => b.dispose());
        stack.dispose();
      }
    });
  }
});

/** A batch of one sequence of T steps, I features, for a two-class head on the last step. */
function oneSequence(T: number, I: number) {
  return { x: Array.from({ length: T * I }, (_, i) => Math.sin(0.9 * i + 0.3)), y: [1], seqLen: T, batchSize: 1 };
}

test('the same mask at every step: dropped units and features get no gradient at any step', () => {
  const T = 24;
  const I = 6;
  const H = 8;
  for (const make of [lstm, gru, rnn]) {
    const model = sequential([make({ units: H, output: 'last', inputDropout: 0.5, recurrentDropout: 0.5 }), dense({ units: 2 })], { seed: 4, inputSize: I });
    try {
      model.trainStep(oneSequence(T, I), { loss: 'crossEntropy', optimizer: model.optimizerFor(sgd({ lr: 1e-12 })) });
      const grad = (name: string) => model.parameters().find((p) => p.name === name)!.readGrad();
      for (const [name, cols] of [['rnn.weight_hh_l0', H], ['rnn.weight_ih_l0', I]] as const) {
        const g = grad(name);
        const rows = g.length / cols;
        // Column j collects sum over steps of dG_t * (m_j v_{t,j}): zero iff m_j = 0, a mask
        // drawn once for the sequence. Per-step masks would leave no column zero (p^T).
        const zero = Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, r) => g[r * cols + j]!).every((v) => v === 0));
        const dropped = zero.filter(Boolean).length;
        assert.ok(dropped >= 1 && dropped < cols, `${make.name} ${name}: ${dropped} of ${cols} columns dropped`);
      }
    } finally {
      model.dispose();
    }
  }
});

test('inference and streaming are identical to p = 0; training differs; the seed reproduces it', () => {
  const I = 3;
  const batch = { x: Array.from({ length: 5 * 2 * I }, (_, i) => Math.cos(i)), y: [0, 1, 1, 0, 1, 0, 0, 1, 1, 1], seqLen: 5, batchSize: 2 };
  const make = (d: number) => sequential([gru({ units: 6, inputDropout: d, recurrentDropout: d, layers: 2 }), dense({ units: 2 })], { seed: 7, inputSize: I });
  const [a, b, plain] = [make(0.4), make(0.4), make(0)];
  try {
    const shape = { seqLen: batch.seqLen, batchSize: batch.batchSize };
    assert.deepEqual(a.predict(batch.x, shape), plain.predict(batch.x, shape));
    const [sa, sp] = [a.zeroState(2), plain.zeroState(2)];
    assert.deepEqual(a.step(batch.x.slice(0, 2 * I), sa), plain.step(batch.x.slice(0, 2 * I), sp));
    const opt = (m: typeof a) => ({ loss: 'crossEntropy' as const, optimizer: m.optimizerFor(sgd({ lr: 0.1 })) });
    const [oa, ob, op] = [opt(a), opt(b), opt(plain)];
    for (let step = 0; step < 3; step++) {
      const la = a.trainStep(batch, oa).loss;
      assert.equal(b.trainStep(batch, ob).loss, la, `step ${step}: same seed, same masks`);
      assert.notEqual(plain.trainStep(batch, op).loss, la, `step ${step}: the masks change training`);
    }
    for (const [k, v] of a.stateDict()) assert.deepEqual(b.stateDict().get(k), v, k);
  } finally {
    [a, b, plain].forEach((m) => m.dispose());
  }
});

test('bad probabilities are InvalidArgumentErrors naming the option; Keras names suggest ours', () => {
  for (const name of ['inputDropout', 'recurrentDropout'] as const) {
    for (const bad of [1, -0.1, Number.NaN, '0.5']) {
      assert.throws(() => lstm({ units: 3, [name]: bad as number }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(name));
    }
  }
  assert.throws(() => gru({ units: 3, recurrent_dropout: 0.2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /recurrent_dropout/.test(e.message) && /recurrentDropout/.test(e.message));
});

test('a worker trains with recurrentDropout as the thread does', async () => {
  const layers = [lstm({ units: 5, output: 'last', recurrentDropout: 0.3, inputDropout: 0.2 }), dense({ units: 2 })];
  await withTwinModels(layers, { seed: 12, inputSize: 1 }, async (local, model) => {
    const x = Array.from({ length: 8 }, (_, n) => Array.from({ length: 5 }, (_, t) => [Math.sin(n + 0.5 * t)]));
    const y = x.map((e) => (e[4]![0]! > 0 ? 1 : 0));
    const options = { epochs: 2, batchSize: 4, optimizer: sgd({ lr: 0.1 }) };
    await assertSameFit(local, model, { x, y }, options);
  });
});
