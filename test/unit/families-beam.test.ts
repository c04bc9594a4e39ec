// Issue 15, beam search: beamSearch (language models) and Seq2Seq.translate({ beamWidth }),
// built on ModelState.selectRows. Width 1 is greedy decoding; a beam at least as wide as every
// prefix set finds the exact best continuation (checked against brute force).
import { afterAll, beforeAll, describe, test } from 'vitest';

import { beamDecode, beamSearch, dense, dispose, embedding, generateTokens, greedyDecode, gru, init, InvalidArgumentError, lstm, type Model, Random, Seq2Seq, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const lm = (V: number, seed: number): Model => sequential([embedding({ vocabSize: V, dim: 3 }), gru({ units: 6 }), dense({ units: V })], { seed });

function logSoftmax(s: Float32Array, from: number, V: number): number[] {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, s[from + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(s[from + v]! - max);
  return Array.from({ length: V }, (_, v) => s[from + v]! - max - Math.log(sum));
}

/** Every continuation of `length` tokens after `prefix`, with its summed log probability. */
function bruteForce(m: Model, prefix: number[], length: number): { tokens: number[]; logp: number }[] {
  const V = m.outputSize;
  const N = V ** length;
  const seqs = Array.from({ length: N }, (_, n) => Array.from({ length }, (_, i) => Math.floor(n / V ** (length - 1 - i)) % V));
  const state = m.zeroState(N);
  try {
    let scores: Float32Array = new Float32Array(0);
    for (const id of prefix) scores = m.step(new Array<number>(N).fill(id), state);
    const logp = new Array<number>(N).fill(0);
    for (let i = 0; i < length; i++) {
      for (let n = 0; n < N; n++) logp[n]! += logSoftmax(scores, n * V, V)[seqs[n]![i]!]!;
      if (i + 1 < length) scores = m.step(seqs.map((s) => s[i]!), state);
    }
    return seqs.map((tokens, n) => ({ tokens, logp: logp[n]! }));
  } finally {
    state.dispose();
  }
}

describe('beamSearch for language models', () => {
  test('a beam as wide as every prefix set finds the exact best continuation; width 1 is greedy', () => {
    for (const seed of [1, 2, 3]) {
      const m = lm(4, seed);
      try {
        const prefix = [1, 2];
        const all = bruteForce(m, prefix, 3);
        const best = all.reduce((a, b) => (b.logp > a.logp ? b : a));
        assert.deepEqual(beamSearch(m, prefix, { beamWidth: 16, maxLength: 3 }), best.tokens, `seed ${seed}`);
        const greedy = generateTokens(m, prefix, { length: 3, greedy: true }).ids;
        assert.deepEqual(beamSearch(m, prefix, { beamWidth: 1, maxLength: 3 }), greedy, `seed ${seed}`);
      } finally {
        m.dispose();
      }
    }
  });

  test('width 1 with an end token decodes as greedyDecode does', () => {
    for (const seed of [4, 5, 6, 7]) {
      const m = lm(5, seed);
      try {
        for (const first of [0, 1, 2, 3, 4]) {
          const a = m.zeroState(1);
          const b = m.zeroState(1);
          try {
            const greedy = greedyDecode(m, a, [first], { maxLength: 12, end: 0 });
            const beam = beamDecode(m, b, [first], { beamWidth: 1, maxLength: 12, end: 0 });
            assert.deepEqual(beam, greedy, `seed ${seed}, first ${first}`);
          } finally {
            a.dispose();
            b.dispose();
          }
        }
      } finally {
        m.dispose();
      }
    }
  });

  test('refuses bad options naming them', () => {
    const m = lm(4, 1);
    try {
      for (const [opts, name] of [
        [{ beamWidth: 0, maxLength: 3 }, 'beamWidth'],
        [{ beamWidth: 2, maxLength: 0 }, 'maxLength'],
        [{ beamWidth: 2, maxLength: 3, end: 4 }, 'end'],
        [{ beamWidth: 2, maxLength: 3, lengthPenalty: -1 }, 'lengthPenalty'],
      ] as const) {
        assert.throws(() => beamSearch(m, [1], opts), (e: unknown) => e instanceof InvalidArgumentError && (e as Error).message.includes(name));
      }
      assert.throws(() => beamSearch(m, [], { beamWidth: 2, maxLength: 3 }), InvalidArgumentError);
      assert.throws(() => beamSearch(m, [9], { beamWidth: 2, maxLength: 3 }), InvalidArgumentError);
    } finally {
      m.dispose();
    }
  });
});

test('ModelState.selectRows moves every layer, direction and cell state row; bad rows change nothing', () => {
  const m = sequential([lstm({ units: 3, layers: 2, bidirectional: true })], { seed: 1, inputSize: 2 });
  try {
    const s = m.zeroState(3);
    const rng = new Random(1);
    const fill = (n: number) => Float32Array.from({ length: n }, () => rng.nextFloat());
    const size = 2 * 3 * 3;
    s.set(0, { h: [fill(size), fill(size)], c: [fill(size), fill(size)] });
    const before = s.get(0);
    s.selectRows([2, 0, 0]);
    const after = s.get(0);
    for (const kind of ['h', 'c'] as const) {
      for (let l = 0; l < 2; l++) {
        for (let d = 0; d < 2; d++) {
          [2, 0, 0].forEach((from, b) => {
            assert.deepEqual(Array.from(after[kind][l]!.subarray((d * 3 + b) * 3, (d * 3 + b + 1) * 3)), Array.from(before[kind][l]!.subarray((d * 3 + from) * 3, (d * 3 + from + 1) * 3)));
          });
        }
      }
    }
    assert.throws(() => s.selectRows([0, 1]), InvalidArgumentError);
    assert.throws(() => s.selectRows([0, 1, 3]), InvalidArgumentError);
    assert.deepEqual(s.get(0), after);
    s.dispose();
  } finally {
    m.dispose();
  }
});

test('Seq2Seq.translate: beamWidth 1 is the greedy default; a beam returns targets without eos within maxLength', () => {
  const model = new Seq2Seq({ sourceVocabSize: 6, targetVocabSize: 7, bos: 5, eos: 6, cell: gru({ units: 8 }), embeddingDim: 4, seed: 2 });
  try {
    const sources = [[1, 2, 3], [4], [0, 0, 1, 2, 3, 4]];
    assert.deepEqual(model.translate(sources, { maxLength: 6, beamWidth: 1 }), model.translate(sources, { maxLength: 6 }));
    const beam = model.translate(sources, { maxLength: 6, beamWidth: 4, lengthPenalty: 0.6 });
    assert.equal(beam.length, 3);
    for (const t of beam) assert.ok(t.length <= 6 && !t.includes(6), JSON.stringify(t));
    // Batching the sources differently changes nothing.
    assert.deepEqual(model.translate(sources, { maxLength: 6, beamWidth: 4, lengthPenalty: 0.6, batchSize: 1 }), beam);
    assert.throws(() => model.translate(sources, { beamWidth: 0 }), /beamWidth/);
  } finally {
    model.dispose();
  }
});
