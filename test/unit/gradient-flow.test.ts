// Vanishing and exploding gradients through time, seen with the per-step gradient norms of
// `RecurrentStack.backward({ stepNorms: true })`.
//
// The lesson of the source notes: BPTT multiplies dL/dh_t by gamma = diag(f'(z)) U^T once per
// step back, so ||dL/dh_k|| ~ gamma^(t-k) ||dL/dh_t||. A plain tanh RNN with the usual small
// weights has gamma < 1 and the gradient of a loss at the last step fades to nothing a few
// dozen steps back (vanishing: only short dependencies are learnt); large recurrent weights
// give gamma > 1 and it blows up (exploding: what gradient clipping is for); the LSTM's
// additive cell path, with a forget gate opened by a forget bias of 1, carries it much further.
//
// Setup: T = 120 steps, batch 4, 8 inputs, H = 32, PyTorch's init U(-1/sqrt(H), 1/sqrt(H))
// from a seeded generator, inputs N(0, 1), a loss on the last step's output only (dL/dy_{T-1}
// random, zero elsewhere), so the norm at t measures how much of that loss reaches step t.
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, init, RecurrentStack, type CellKind, type StackBackwardResult } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

const T = 120;
const B = 4;
const I = 8;
const H = 32;

/** SplitMix32-style seeded generator of uniforms in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 2 ** 32;
  };
}

function uniform(n: number, k: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * next() - 1) * k);
}

function normal(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
}

interface Setup {
  kind: CellKind;
  seed: number;
  /** Overrides after PyTorch's init, by parameter name. */
  adjust?: (stack: RecurrentStack, next: () => number) => void;
}

/** ||dL/dh_t|| for t = 0..T-1 of a one-layer stack, loss on the last step's output only. */
function stepNorms({ kind, seed, adjust }: Setup): Float32Array {
  const next = rng(seed);
  const stack = new RecurrentStack({ kind, inputSize: I, hiddenSize: H });
  try {
    for (const p of stack.parameters()) stack.setParameter(p.name, uniform(p.size, 1 / Math.sqrt(H), next));
    adjust?.(stack, next);
    stack.forward(normal(T * B * I, next), { seqLen: T, batch: B, training: true });
    const gy = new Float32Array(T * B * H);
    gy.set(normal(B * H, next), (T - 1) * B * H);
    const back: StackBackwardResult = stack.backward({ gy, inputGradient: false, stepNorms: true });
    assert.deepEqual(back.stepNormsShape, [1, 1, T]);
    const norms = back.stepNorms;
    assert.ok(norms, 'stepNorms returned');
    assert.equal(norms.length, T);
    assert.ok(norms.every((v) => Number.isFinite(v) && v >= 0), `${kind}: finite norms`);
    return norms;
  } finally {
    stack.dispose();
  }
}

/** Forget bias `b`: the f-blocks of bias_ih and bias_hh sum to `b` (gate order i, f, g, o). */
function forgetBias(b: number): (stack: RecurrentStack) => void {
  return (stack) => {
    const ih = stack.getParameter('bias_ih_l0');
    const hh = stack.getParameter('bias_hh_l0');
    ih.fill(b, H, 2 * H);
    hh.fill(0, H, 2 * H);
    stack.setParameter('bias_ih_l0', ih);
    stack.setParameter('bias_hh_l0', hh);
  };
}

/** Recurrent weights U(-3/sqrt(H), 3/sqrt(H)): spectral radius about sqrt(3). */
function largeRecurrent(stack: RecurrentStack, next: () => number): void {
  stack.setParameter('weight_hh_l0', uniform(H * H, 3 / Math.sqrt(H), next));
}

/** ||dL/dh_0|| / ||dL/dh_{T-1}||. */
const ratio = (norms: Float32Array): number => norms[0]! / norms[T - 1]!;

/** The curve at a few steps, the ratio, and its geometric mean per step (gamma of the notes). */
function summary(name: string, norms: Float32Array): string {
  const at = [T - 1, T - 2, T - 11, T - 31, T - 61, 0];
  const cells = at.map((t) => `t=${t}: ${norms[t]!.toExponential(1)}`).join('  ');
  const r = ratio(norms);
  return `${name.padEnd(24)} ${cells}  |  t=0/t=${T - 1}: ${r.toExponential(1)}, per step x${(r ** (1 / (T - 1))).toFixed(3)}`;
}

beforeAll(async () => {
  await init(engineOptions);
});

afterAll(async () => {
  await dispose();
});

// Measured (T = 120, these seeds): ratio t=0/t=119 of 7e-29 for the tanh RNN, 1.4e-11 for
// the LSTM with forget bias 1 (5e-5 with bias 2, 6e-27 with PyTorch's plain init), 6e6 for
// the ReLU RNN with large recurrent weights. Other seeds: tanh 1e-35..2e-31, LSTM bias 1
// 8e-12..1e-10, ReLU 5e7..6e15. Thresholds keep at least 100x from every measurement.

test('tanh RNN: the gradient of a last-step loss vanishes going back in time', () => {
  const norms = stepNorms({ kind: 'rnn_tanh', seed: 1 });
  console.log(summary('rnn_tanh', norms));
  assert.ok(ratio(norms) < 1e-20, `ratio ${ratio(norms)}`);
});

test('LSTM with forget bias 1: the gradient decays far more slowly (the cell path)', () => {
  const tanh = stepNorms({ kind: 'rnn_tanh', seed: 1 });
  const one = stepNorms({ kind: 'lstm', seed: 2, adjust: forgetBias(1) });
  const two = stepNorms({ kind: 'lstm', seed: 2, adjust: forgetBias(2) });
  const plain = stepNorms({ kind: 'lstm', seed: 2 });
  const gru = stepNorms({ kind: 'gru', seed: 3 });
  console.log(summary('lstm, forget bias 1', one));
  console.log(summary('lstm, forget bias 2', two));
  console.log(summary('lstm, PyTorch init', plain));
  console.log(summary('gru, PyTorch init', gru));
  // Still a decay over 119 steps (forget gates ~ sigmoid(1) ~ 0.73 multiply the cell path),
  // but many orders of magnitude less than the tanh RNN's, and less with a larger bias.
  assert.ok(ratio(one) > 1e-13, `forget bias 1: ratio ${ratio(one)}`);
  assert.ok(ratio(one) > 1e12 * ratio(tanh), `forget bias 1: ${ratio(one)} vs tanh ${ratio(tanh)}`);
  assert.ok(ratio(one) > 1e10 * ratio(plain), `forget bias 1: ${ratio(one)} vs bias 0 ${ratio(plain)}`);
  assert.ok(ratio(two) > 1e-7, `forget bias 2: ratio ${ratio(two)}`);
  assert.ok(ratio(two) > 1e4 * ratio(one), `forget bias 2: ${ratio(two)} vs bias 1 ${ratio(one)}`);
});

test('ReLU RNN with large recurrent weights: the gradient explodes', () => {
  const norms = stepNorms({ kind: 'rnn_relu', seed: 4, adjust: largeRecurrent });
  console.log(summary('rnn_relu, radius ~1.7', norms));
  assert.ok(ratio(norms) > 1e4, `ratio ${ratio(norms)}`);
});

test('stepNorms of a deep bidirectional stack: [L, D, T], natural time order, padded steps 0', () => {
  const next = rng(5);
  const [t, b, layers] = [6, 3, 2];
  const stack = new RecurrentStack({ kind: 'gru', inputSize: 4, hiddenSize: 5, layers, bidirectional: true });
  try {
    for (const p of stack.parameters()) stack.setParameter(p.name, uniform(p.size, 1 / Math.sqrt(5), next));
    const x = normal(t * b * 4, next);
    const run = (lengths: number[], gy: Float32Array): StackBackwardResult => {
      stack.forward(x, { seqLen: t, batch: b, lengths, training: true });
      return stack.backward({ gy, stepNorms: true });
    };
    // A loss on the last step only: in the top layer, the reverse direction's state h_t for
    // t < T-1 comes after h_{T-1} in its order and cannot reach the loss, so only its t = T-1
    // entry is non-zero; below, every state reaches it through the layer above's forward
    // direction.
    const last = new Float32Array(t * b * 10);
    last.set(normal(b * 10, next), (t - 1) * b * 10);
    const back = run([t, t, t], last);
    assert.deepEqual(back.stepNormsShape, [layers, 2, t]);
    const norms = back.stepNorms!;
    assert.equal(norms.length, layers * 2 * t);
    for (let l = 0; l < layers; l++) {
      const fwd = norms.subarray((l * 2) * t, (l * 2 + 1) * t);
      const rev = norms.subarray((l * 2 + 1) * t, (l * 2 + 2) * t);
      assert.ok(fwd.every((v) => v > 0), `layer ${l} forward: ${fwd.join(', ')}`);
      if (l + 1 < layers) {
        assert.ok(rev.every((v) => v > 0), `layer ${l} reverse: ${rev.join(', ')}`);
      } else {
        assert.ok(rev[t - 1]! > 0, `top reverse at T-1`);
        assert.deepEqual([...rev.subarray(0, t - 1)], new Array(t - 1).fill(0), `top reverse before T-1`);
      }
    }
    // No sequence reaches steps 4 and 5: every direction's norm is 0 there.
    const padded = run([4, 3, 2], normal(t * b * 10, next)).stepNorms!;
    for (let k = 0; k < layers * 2; k++) {
      const row = padded.subarray(k * t, (k + 1) * t);
      assert.ok(row.subarray(0, 4).every((v) => v > 0), `row ${k}: ${row.join(', ')}`);
      assert.deepEqual([...row.subarray(4)], [0, 0], `row ${k}`);
    }
    stack.forward(x, { seqLen: t, batch: b, training: true });
    const without = stack.backward({ gy: last });
    assert.equal(without.stepNorms, undefined);
    assert.equal(without.stepNormsShape, undefined);
  } finally {
    stack.dispose();
  }
});
