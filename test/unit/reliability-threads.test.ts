// Thread stress: the threaded build with 2 threads, 1,000 mixed calls (forward, backward through
// time, streaming steps, training steps) on several small models, run with 1 thread, with 2
// threads, and switching between the two on every call. Work is cut in fixed tiles, so every
// result must be bit-identical whatever the thread count.
import {
  adam,
  dense,
  dispose,
  embedding,
  engine,
  gru,
  init,
  lstm,
  oneHot,
  Optimizer,
  Random,
  RecurrentStack,
  rnn,
  sequential,
  sgd,
  type SequenceBatch,
} from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

const { test, beforeAll, afterAll } = threadsOnly;

beforeAll(async () => {
  await init({ threads: 2 });
});
afterAll(() => dispose());

const CALLS = 1000;

/** FNV-1a over the bits of every result, in order. */
class Digest {
  #h = 0x811c9dc5;
  count = 0;
  add(values: Float32Array | Float64Array | number): void {
    const a = typeof values === 'number' ? new Float64Array([values]) : values;
    const words = new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4);
    for (const w of words) this.#h = Math.imul(this.#h ^ w, 0x01000193) >>> 0;
    this.count++;
  }
  get value(): number {
    return this.#h;
  }
}

function tokens(rng: Random, n: number, v: number): number[] {
  return Array.from({ length: n }, () => rng.nextInt(v));
}

function floats(rng: Random, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
}

/** 1,000 mixed calls on fresh models; `threadsFor(i)` sets the thread count before call i. */
function run(threadsFor: (i: number) => number): { digest: number; kinds: Record<string, number> } {
  const e = engine();
  const V = 20;
  const lm = sequential([embedding({ vocabSize: V, dim: 16 }), lstm({ units: 48, layers: 2, dropout: 0.1 }), dense({ units: V })], { seed: 1 });
  const reg = sequential([gru({ units: 64, bidirectional: true }), dense({ units: 8 })], { inputSize: 24, seed: 2 });
  const cls = sequential([oneHot({ vocabSize: 10 }), rnn({ units: 32, output: 'mean' }), dense({ units: 3 })], { seed: 3 });
  const stack = new RecurrentStack({ kind: 'lstm', inputSize: 32, hiddenSize: 96, layers: 2 });
  const init = new Random(4);
  for (const p of stack.parameters()) stack.setParameter(p.name, floats(init, p.size).map((x) => x * 0.1));
  const optLm = new Optimizer(adam({ lr: 0.01 }), lm.groups(), lm.engine);
  const optReg = new Optimizer(sgd({ lr: 0.05, momentum: 0.9 }), reg.groups(), reg.engine);
  const optCls = new Optimizer(adam({ lr: 0.02 }), cls.groups(), cls.engine);
  const state = lm.zeroState(4);
  const rng = new Random(2024);
  const digest = new Digest();
  const kinds: Record<string, number> = {};
  try {
    for (let i = 0; i < CALLS; i++) {
      e.setThreads(threadsFor(i));
      const kind = ['forward', 'backward', 'step', 'trainStep'][rng.nextInt(4)]!;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      const which = rng.nextInt(3);
      switch (kind) {
        case 'forward':
          if (which === 0) digest.add(lm.predict(tokens(rng, 12 * 16, V), { seqLen: 12, batchSize: 16 }));
          else if (which === 1) digest.add(reg.predict(floats(rng, 10 * 16 * 24), { seqLen: 10, batchSize: 16 }));
          else digest.add(stack.forward(floats(rng, 10 * 24 * 32), { seqLen: 10, batch: 24 }).y);
          break;
        case 'backward': {
          const f = stack.forward(floats(rng, 8 * 24 * 32), { seqLen: 8, batch: 24, training: true, h0: floats(rng, 2 * 24 * 96) });
          stack.zeroGradients();
          const g = stack.backward({ gy: floats(rng, f.y.length), stateGradient: true, stepNorms: which === 0 });
          digest.add(g.gx!);
          digest.add(g.gh0!);
          digest.add(stack.gradView().slice());
          if (g.stepNorms) digest.add(g.stepNorms);
          break;
        }
        case 'step':
          digest.add(lm.step(tokens(rng, 4, V), state, { logSoftmax: which === 1 }));
          break;
        default: {
          let r;
          if (which === 0) {
            const b: SequenceBatch = { x: tokens(rng, 12 * 16, V), y: tokens(rng, 12 * 16, V), seqLen: 12, batchSize: 16 };
            r = lm.trainStep(b, { loss: 'crossEntropy', optimizer: optLm, clipNorm: 1, carryState: true });
          } else if (which === 1) {
            const b: SequenceBatch = { x: floats(rng, 10 * 16 * 24), y: floats(rng, 10 * 16 * 8), seqLen: 10, batchSize: 16 };
            r = reg.trainStep(b, { loss: 'mse', optimizer: optReg });
          } else {
            const lengths = Array.from({ length: 16 }, () => 1 + rng.nextInt(9));
            const b: SequenceBatch = { x: tokens(rng, 9 * 16, 10), y: tokens(rng, 16, 3), seqLen: 9, batchSize: 16, lengths };
            r = cls.trainStep(b, { loss: 'crossEntropy', optimizer: optCls });
          }
          digest.add(r.loss);
          digest.add(r.gradNorm);
        }
      }
    }
    for (const m of [lm, reg, cls]) for (const v of m.stateDict().values()) digest.add(v);
    return { digest: digest.value, kinds };
  } finally {
    for (const o of [optLm, optReg, optCls]) o.dispose();
    for (const o of [state, lm, reg, cls, stack]) o.dispose();
  }
}

test('1,000 mixed calls give bit-identical results on 1 thread, 2 threads, and switching on every call', () => {
  const e = engine();
  assert.equal(e.build, 'threads');
  assert.equal(e.maxThreads, 2);
  const live = e.wasm.buffer_live_count();
  const t0 = performance.now();
  const one = run(() => 1);
  const t1 = performance.now();
  const two = run(() => 2);
  const t2 = performance.now();
  const mixed = run((i) => 1 + (i % 2));
  console.log(
    `[threads] ${CALLS} calls per run (${Object.entries(one.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}): ` +
      `1 thread ${(t1 - t0).toFixed(0)} ms, 2 threads ${(t2 - t1).toFixed(0)} ms; digests ${one.digest.toString(16)} / ${two.digest.toString(16)} / ${mixed.digest.toString(16)}`,
  );
  assert.equal(two.digest, one.digest, '2 threads differ from 1 thread');
  assert.equal(mixed.digest, one.digest, 'switching thread counts differs from 1 thread');
  assert.deepEqual(two.kinds, one.kinds);
  assert.equal(e.wasm.buffer_live_count(), live);
});
