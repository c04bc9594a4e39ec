// Issue 15, attention: Seq2Seq({ attention: 'additive' | 'dot' }). The options and their
// refusals, the decoder's one call per sequence each way (no call per target step), learning a
// task the encoder's final state alone cannot carry, greedy and beam translation and the
// weights they return, teacher-forced outputs, the file, and a model without attention left
// as it was.
import { afterAll, beforeAll, describe, test } from 'vitest';

import { adam, dispose, engine, gru, init, InvalidArgumentError, lstm, rnn, saveSeq2Seq, Seq2Seq, type Seq2SeqOptions, type Seq2SeqPair, seq2seqFromBytes, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

/** Options with `attention: 'additive'` unless `o` says otherwise (`undefined` removes an option). */
function base(o: { [K in keyof Seq2SeqOptions]?: Seq2SeqOptions[K] | undefined } = {}): Seq2SeqOptions {
  const all: Record<string, unknown> = { sourceVocabSize: 8, targetVocabSize: 9, bos: 7, eos: 8, cell: gru({ units: 12 }), embeddingDim: 6, seed: 3, attention: 'additive', ...o };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as unknown as Seq2SeqOptions;
}

/** Reversal pairs over symbols 0..5 with lengths in [lo, hi]. */
function reversals(n: number, lo: number, hi: number, seed: number): (Seq2SeqPair & { source: number[]; target: number[] })[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => {
    const source = Array.from({ length: lo + Math.floor(next() * (hi - lo + 1)) }, () => Math.floor(next() * 6));
    return { source, target: [...source].reverse() };
  });
}

const throwsNaming = (f: () => unknown, name: string) =>
  assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(name), `expected an InvalidArgumentError naming ${name}`);

describe('options', () => {
  test('bad attention options are InvalidArgumentErrors naming the option', () => {
    throwsNaming(() => new Seq2Seq(base({ attention: 'bahdanau' as 'dot' })), '`attention`');
    throwsNaming(() => new Seq2Seq(base({ attention: 'dot', attentionSize: 4 })), '`attentionSize`');
    throwsNaming(() => new Seq2Seq(base({ attention: undefined, attentionSize: 4 })), '`attentionSize`');
    throwsNaming(() => new Seq2Seq(base({ attentionSize: 0 })), 'attentionSize');
    throwsNaming(() => new Seq2Seq(base({ cell: gru({ units: 4, layers: 2, dropout: 0.2 }) })), '`cell.dropout`');
    throwsNaming(() => new Seq2Seq(base({ cell: lstm({ units: 4, recurrentDropout: 0.2 }) })), '`cell.recurrentDropout`');
    throwsNaming(() => new Seq2Seq(base({ sourcePad: 8 })), 'sourcePad');
    throwsNaming(() => new Seq2Seq({ ...base(), atention: 'dot' } as Seq2SeqOptions), '`atention`');
    const m = new Seq2Seq(base({ attention: undefined }));
    try {
      throwsNaming(() => m.translate([[1, 2]], { returnAttention: true }), '`returnAttention`');
      throwsNaming(() => m.translate([[1, 2]], { returnAttention: 'yes' as unknown as true }), 'returnAttention');
      throwsNaming(() => m.translate([[1, 2]], { beamwidth: 2 } as object), '`beamwidth`');
    } finally {
      m.dispose();
    }
  });

  test('the parameters: d2l names beside the decoder; without attention the model is as before', () => {
    const m = new Seq2Seq(base());
    const plain = new Seq2Seq(base({ attention: undefined }));
    try {
      const names = m.parameters().map((p) => `${p.name} [${p.shape.join(', ')}]`);
      assert.ok(names.includes('decoder.attention.W_k.weight [12, 12]'), names.join('; '));
      assert.ok(names.includes('decoder.attention.w_v.weight [1, 12]'));
      assert.ok(names.includes('decoder.embedding.weight [9, 6]'));
      // Layer 0 reads [context; embedding].
      assert.ok(names.includes('decoder.rnn.weight_ih_l0 [36, 18]'), names.join('; '));
      assert.deepEqual(
        [...plain.stateDict().keys()],
        ['encoder.embedding.weight', 'encoder.rnn.weight_ih_l0', 'encoder.rnn.weight_hh_l0', 'encoder.rnn.bias_ih_l0', 'encoder.rnn.bias_hh_l0',
          'decoder.embedding.weight', 'decoder.rnn.weight_ih_l0', 'decoder.rnn.weight_hh_l0', 'decoder.rnn.bias_ih_l0', 'decoder.rnn.bias_hh_l0', 'decoder.fc.weight', 'decoder.fc.bias'],
      );
      assert.equal(plain.options.attention, undefined);
    } finally {
      m.dispose();
      plain.dispose();
    }
  });
});

describe('the fused decoder', () => {
  test('a training step makes the same ABI calls for 3 and 30 target steps (no call per step)', () => {
    for (const attention of ['additive', 'dot'] as const) {
      const calls = (len: number) => {
        const m = new Seq2Seq(base({ attention, cell: lstm({ units: 8, layers: 2 }) }));
        const opt = m.optimizer(sgd({ lr: 0.1 }));
        const pairs = reversals(4, len, len, 1);
        try {
          m.trainStep(pairs, { optimizer: opt });
          m.trainStep(pairs, { optimizer: opt });
          const counts = new Map<string, number>();
          const stop = engine().onAbiCall((name) => counts.set(name, (counts.get(name) ?? 0) + 1));
          try {
            m.trainStep(pairs, { optimizer: opt });
          } finally {
            stop();
          }
          return counts;
        } finally {
          opt.dispose();
          m.dispose();
        }
      };
      const [short, long] = [calls(3), calls(30)];
      assert.deepEqual([...long], [...short], attention);
      assert.equal(short.get('attn_forward'), 1);
      assert.equal(short.get('attn_backward'), 1);
    }
  });

  test('every cell family trains: the loss falls on a reversal task (rnn, gru, lstm; additive and dot)', async () => {
    const pairs = reversals(64, 3, 6, 2);
    for (const [cell, attention] of [[rnn({ units: 16 }), 'dot'], [gru({ units: 16, layers: 2 }), 'additive'], [lstm({ units: 16 }), 'additive']] as const) {
      const m = new Seq2Seq(base({ cell, attention }));
      try {
        const before = m.evaluate(pairs).loss;
        await m.fit(pairs, { epochs: 12, batchSize: 16, seed: 1, optimizer: adam({ lr: 0.005 }) });
        const after = m.evaluate(pairs).loss;
        assert.ok(after < 0.7 * before, `${cell.type}/${attention}: ${before} -> ${after}`);
      } finally {
        m.dispose();
      }
    }
  });
});

describe('translate', () => {
  test('learns to reverse; beam width 1 is greedy; the weights it returns: a row per token, summing to 1, zero past the source', async () => {
    const m = new Seq2Seq(base({ cell: gru({ units: 32 }), embeddingDim: 16 }));
    try {
      await m.fit(reversals(1200, 3, 7, 3), { epochs: 12, batchSize: 32, seed: 2, optimizer: adam({ lr: 0.005 }) });
      const test = reversals(100, 3, 7, 99);
      const greedy = m.translate(test.map((p) => p.source));
      const exact = greedy.filter((t, i) => t.join() === test[i]!.target.join()).length;
      assert.ok(exact >= 80, `exact matches ${exact} / 100`);
      assert.deepEqual(m.translate(test.map((p) => p.source), { beamWidth: 1 }), greedy);
      const beam = m.translate(test.map((p) => p.source), { beamWidth: 3 });
      assert.equal(beam.length, 100);
      for (const width of [1, 3]) {
        const r = m.translate(test.slice(0, 10).map((p) => p.source), { beamWidth: width, returnAttention: true });
        assert.deepEqual(r.tokens, width === 1 ? greedy.slice(0, 10) : beam.slice(0, 10));
        r.attention.forEach((rows, i) => {
          assert.equal(rows.length, r.tokens[i]!.length);
          for (const row of rows) {
            assert.equal(row.length, test[i]!.source.length);
            assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
          }
        });
      }
      // Decoding step by step (keys kept across steps) and the teacher-forced pass over its
      // output go through the same states: the forced logits' arg-max is each decoded token.
      const sources = test.slice(0, 20).map((p) => p.source);
      const forced = m.teacherForced(sources.map((source, i) => ({ source, target: greedy[i]! })));
      sources.forEach((_, b) => {
        greedy[b]!.forEach((token, t) => {
          const row = forced.logits.subarray((t * forced.batch + b) * 9, (t * forced.batch + b + 1) * 9);
          assert.equal(row.indexOf(Math.max(...row)), token, `source ${b}, step ${t}`);
        });
      });
      // Reversing: the first output token attends most to the last source token.
      const r = m.translate([[1, 2, 3, 4, 5]], { returnAttention: true });
      const first = r.attention[0]![0]!;
      assert.equal(first.indexOf(Math.max(...first)), 4, `weights ${first.map((v) => v.toFixed(2)).join(' ')}`);
      // Teacher-forced outputs: [T, B, V] logits and [T, B, S] weights, masked past each source.
      const f = m.teacherForced([{ source: [1, 2], target: [2, 1] }, { source: [3, 4, 5, 0], target: [0, 5, 4, 3] }]);
      assert.deepEqual([f.tgtLen, f.batch, f.srcLen, f.logits.length], [5, 2, 4, 5 * 2 * 9]);
      for (let t = 0; t < 5; t++) assert.deepEqual([f.attention![(t * 2) * 4 + 2], f.attention![(t * 2) * 4 + 3]], [0, 0]);
    } finally {
      m.dispose();
    }
  });

  test('save and load: one file, the same translations and weights', () => {
    const m = new Seq2Seq(base({ attention: 'dot', cell: lstm({ units: 10, layers: 2 }), sourcePad: 0 }));
    try {
      const back = seq2seqFromBytes(saveSeq2Seq(m));
      try {
        assert.equal(back.options.attention, 'dot');
        assert.equal(back.options.sourcePad, 0);
        const src = [[1, 2, 3], [4, 5, 0, 0], [6]];
        assert.deepEqual(back.translate(src, { maxLength: 6, returnAttention: true }), m.translate(src, { maxLength: 6, returnAttention: true }));
        assert.deepEqual(back.stateDict(), m.stateDict());
      } finally {
        back.dispose();
      }
    } finally {
      m.dispose();
    }
  });
});
