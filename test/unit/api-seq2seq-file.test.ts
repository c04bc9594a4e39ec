// Issue 14: an encoder-decoder saves to one file and loads back (as saveModel / loadModel do
// for a model), and a damaged or foreign file is refused with a FormatError.
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, FormatError, gru, init, loadSeq2Seq, lstm, saveModel, saveSeq2Seq, Seq2Seq, seq2seqFromBytes, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const pairs = Array.from({ length: 12 }, (_, i) => ({ source: [1 + (i % 7), 2 + (i % 5), 3], target: [3, 2 + (i % 5), 1 + (i % 7)] }));

test('a trained Seq2Seq saves to one file and loads back with the same parameters and translations', async () => {
  const model = new Seq2Seq({ sourceVocabSize: 10, targetVocabSize: 12, bos: 10, eos: 11, cell: lstm({ units: 8, layers: 2 }), embeddingDim: 5, seed: 4 });
  await model.fit(pairs, { epochs: 2, batchSize: 4 });
  const back = await loadSeq2Seq(saveSeq2Seq(model));
  try {
    assert.deepEqual(back.stateDict(), model.stateDict());
    assert.deepEqual(back.translate(pairs.map((p) => p.source), { maxLength: 5 }), model.translate(pairs.map((p) => p.source), { maxLength: 5 }));
    assert.equal(back.bos, 10);
    assert.equal(back.eos, 11);
  } finally {
    model.dispose();
    back.dispose();
  }
});

test('a damaged Seq2Seq file, or a model file, is refused with a FormatError', () => {
  const model = new Seq2Seq({ sourceVocabSize: 6, targetVocabSize: 8, bos: 6, eos: 7, cell: gru({ units: 4 }), seed: 1 });
  const bytes = saveSeq2Seq(model);
  model.dispose();
  const damaged = bytes.slice();
  damaged[damaged.length - 3] = damaged[damaged.length - 3]! ^ 0x40;
  assert.throws(() => seq2seqFromBytes(damaged), (e: unknown) => e instanceof FormatError && /tensor data does not match its checksum/.test(e.message));
  const plain = sequential([gru({ units: 3 })], { inputSize: 2 });
  assert.throws(() => seq2seqFromBytes(saveModel(plain)), (e: unknown) => e instanceof FormatError && /no `recurrent_seq2seq` options/.test(e.message));
  plain.dispose();
});
