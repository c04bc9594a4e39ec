// Issue 13, item 3(a): dropout between stacked layers runs inside the core stack. A stack of two
// layers with dropout computes exactly (the same bits) what two single-layer stacks with the
// dropout kernel between them compute (how recurrent-layer.ts composed them before), with masks
// that depend on the seed alone; a model's stacked layers keep PyTorch's names.
import { afterAll, beforeAll, test } from 'vitest';

import { dense, dispose, embedding, engine, Float32Buffer, init, lstm, Optimizer, RecurrentStack, sequential, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const T = 7;
const B = 3;
const I = 4;
const H = 5;

/** Deterministic values in (-1, 1). */
const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + k));

function buffer(data: Float32Array): Float32Buffer {
  return Float32Buffer.from(data);
}

test('a 2-layer stack with dropout is two 1-layer stacks with the dropout kernel between them, to the bit', () => {
  const p = 0.35;
  const seed = 0x9e3779b1;
  const lengths = new Uint32Array([7, 4, 6]);
  const deep = new RecurrentStack({ kind: 'lstm', inputSize: I, hiddenSize: H, layers: 2 });
  const one = new RecurrentStack({ kind: 'lstm', inputSize: I, hiddenSize: H });
  const two = new RecurrentStack({ kind: 'lstm', inputSize: H, hiddenSize: H });
  const temps: Float32Buffer[] = [];
  const buf = (n: number) => {
    const b = new Float32Buffer(n);
    temps.push(b);
    return b;
  };
  try {
    deep.parameters().forEach((q, i) => {
      const v = values(q.size, i);
      deep.setParameter(q.name, v);
      (q.name.includes('_l0') ? one : two).setParameter(q.name.replace('_l1', '_l0'), v);
    });
    const x = buffer(values(T * B * I, 9));
    const gy = buffer(values(T * B * H, 3));
    temps.push(x, gy);
    const rows = T * B * H;

    // The stack: one forward, one backward.
    const y = buf(rows);
    const gx = buf(T * B * I);
    deep.forwardInto({ training: true, seqLen: T, batch: B, x, lengths, y, hN: buf(2 * B * H), cN: buf(2 * B * H), dropout: p, seed });
    deep.zeroGradients();
    deep.backwardInto({ gy, gx });

    // By hand: layer 0, dropout (stream seed << 32 | 0), layer 1; back through layer 1, the same mask, layer 0.
    const y0 = buf(rows);
    const dropped = buf(rows);
    const y1 = buf(rows);
    one.forwardInto({ training: true, seqLen: T, batch: B, x, lengths, y: y0, hN: buf(B * H), cN: buf(B * H) });
    engine().call((w) => w.dropout(rows, y0.handle, dropped.handle, p, seed >>> 0, 0));
    two.forwardInto({ training: true, seqLen: T, batch: B, x: dropped, lengths, y: y1, hN: buf(B * H), cN: buf(B * H) });
    const g1 = buf(rows);
    const g0 = buf(T * B * I);
    one.zeroGradients();
    two.zeroGradients();
    two.backwardInto({ gy, gx: g1 });
    engine().call((w) => w.dropout(rows, g1.handle, g1.handle, p, seed >>> 0, 0));
    one.backwardInto({ gy: g1, gx: g0 });

    assert.deepEqual(bits(y.view().subarray(0, rows)), bits(y1.view().subarray(0, rows)), 'output');
    assert.deepEqual(bits(gx.view()), bits(g0.view()), 'input gradient');
    for (const q of deep.parameters()) {
      const [stack, name] = q.name.includes('_l0') ? [one, q.name] : [two, q.name.replace('_l1', '_l0')];
      assert.deepEqual(bits(deep.getGradient(q.name)), bits(stack.getGradient(name)), q.name);
    }
  } finally {
    temps.forEach((t) => t.dispose());
    [deep, one, two].forEach((s) => s.dispose());
  }
});

test('dropout masks depend on the seed alone: the same seed gives the same output, another seed another', () => {
  const stack = new RecurrentStack({ kind: 'gru', inputSize: I, hiddenSize: H, layers: 3 });
  const x = buffer(values(T * B * I, 1));
  const temps = [x, ...Array.from({ length: 2 }, () => new Float32Buffer(T * B * H)), new Float32Buffer(3 * B * H)];
  const [, y, , hN] = temps as [Float32Buffer, Float32Buffer, Float32Buffer, Float32Buffer];
  try {
    stack.parameters().forEach((q, i) => stack.setParameter(q.name, values(q.size, i)));
    const out = (seed: number, dropout: number) => {
      stack.forwardInto({ training: true, seqLen: T, batch: B, x, lengths: new Uint32Array(0), y, hN, dropout, seed });
      return bits(y.view());
    };
    const a = out(7, 0.5);
    assert.deepEqual(out(7, 0.5), a, 'the same seed');
    assert.notDeepEqual(out(8, 0.5), a, 'another seed');
    assert.notDeepEqual(out(7, 0), a, 'no dropout');
  } finally {
    temps.forEach((t) => t.dispose());
    stack.dispose();
  }
});

test("a model's stacked layers keep PyTorch's names, and the same seed trains to the same bits", () => {
  const run = () => {
    const m = sequential([embedding({ vocabSize: 8, dim: 4 }), lstm({ units: 6, layers: 3, dropout: 0.5 }), dense({ units: 8 })], { seed: 1 });
    const o = new Optimizer(sgd({ lr: 0.5 }), m.groups(), m.engine);
    const x = Array.from({ length: 20 }, (_, i) => (i * 3) % 8);
    for (let i = 0; i < 3; i++) m.trainStep({ x, y: x.map((v) => (v + 1) % 8), seqLen: 10, batchSize: 2 }, { loss: 'crossEntropy', optimizer: o });
    const dict = m.stateDict();
    o.dispose();
    m.dispose();
    return { names: [...dict.keys()], bits: [...dict.values()].map(bits) };
  };
  const a = run();
  assert.deepEqual(run().bits, a.bits);
  const rnnNames = a.names.filter((n) => n.startsWith('rnn.'));
  assert.deepEqual(
    rnnNames,
    [0, 1, 2].flatMap((l) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((t) => `rnn.${t}_l${l}`)),
  );
});
