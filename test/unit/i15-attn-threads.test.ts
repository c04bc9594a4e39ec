// Issue 15, attention: the attention decoder's training (forward, BPTT, the encoder's backward
// from the decoder's gradients) and its decoding give the same bits on 1 and 2 threads: its
// GEMMs are cut in tiles fixed by the shape, its per-row attention runs rows in order.
import { dispose, engine, gru, init, Seq2Seq, adam } from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

const { test, beforeAll, afterAll } = threadsOnly;

beforeAll(async () => {
  await init({ threads: 2 });
});
afterAll(() => dispose());

/** Losses, every parameter's bits and greedy translations after 4 steps on `threads` threads. */
function train(threads: number, attention: 'additive' | 'dot'): { losses: number[]; bits: number[]; out: number[][] } {
  engine().setThreads(threads);
  const m = new Seq2Seq({ sourceVocabSize: 12, targetVocabSize: 14, bos: 12, eos: 13, cell: gru({ units: 64, layers: 2 }), embeddingDim: 32, attention, seed: 5 });
  const opt = m.optimizer(adam({ lr: 0.01 }));
  try {
    let s = 7;
    const next = () => ((s = (s * 1103515245 + 12345) >>> 0) % 12);
    const pairs = Array.from({ length: 64 }, (_, i) => {
      const source = Array.from({ length: 10 + (i % 9) }, next);
      return { source, target: [...source].reverse() };
    });
    const losses = [0, 1, 2, 3].map(() => m.trainStep(pairs, { optimizer: opt }).loss);
    const bits = [...m.stateDict().values()].flatMap((v) => [...new Uint32Array(v.buffer, v.byteOffset, v.length)]);
    return { losses, bits, out: m.translate(pairs.map((p) => p.source), { maxLength: 20, beamWidth: 2 }) };
  } finally {
    opt.dispose();
    m.dispose();
  }
}

test('attention Seq2Seq training and decoding: the same bits on 1 and 2 threads', () => {
  assert.equal(engine().build, 'threads');
  for (const attention of ['additive', 'dot'] as const) {
    const one = train(1, attention);
    const two = train(2, attention);
    assert.deepEqual(two.losses, one.losses, attention);
    assert.ok(two.bits.length === one.bits.length && two.bits.every((b, i) => b === one.bits[i]), `${attention}: parameters differ`);
    assert.deepEqual(two.out, one.out, attention);
  }
});
