// Issue 11, item 10: the vocabulary was never checked against the model. A `{ tokens: [...] }`
// object was accepted and saveModel then threw a raw TypeError; a model file (valid checksums)
// whose vocabulary is smaller than its input or output layer loaded and failed later in
// generate. Now sequential() (and assigning model.vocab) wants a Vocab whose size is the input's
// vocabSize (or, without a token input, the output size), loadModel reports a mismatch as a
// FormatError naming both sizes, and generate refuses upfront a model whose output is not over
// its input tokens.
import { afterAll, beforeAll, test } from 'vitest';

import {
  crc32,
  dense,
  dispose,
  embedding,
  engine,
  FormatError,
  gru,
  init,
  InvalidArgumentError,
  loadModel,
  lstm,
  oneHot,
  readSafetensors,
  saveModel,
  sequential,
  Vocab,
  writeSafetensors,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const live = () => engine().wasm.buffer_live_count();
const vocab = new Vocab([...'abcd']); // 5 tokens with <unk>

test('a plain { tokens } object is refused by sequential and by model.vocab =, naming the option and the expected type', () => {
  const before = live();
  const plain = { tokens: ['<unk>', 'a', 'b', 'c', 'd'] };
  assert.throws(
    () => sequential([oneHot({ vocabSize: 5 }), gru({ units: 3 }), dense({ units: 5 })], { vocab: plain as never }),
    (e: unknown) => e instanceof InvalidArgumentError && /option `vocab` expected a Vocab/.test(e.message) && /Vocab\.fromJSON/.test(e.message),
  );
  assert.equal(live(), before, 'nothing left allocated');
  const m = sequential([oneHot({ vocabSize: 5 }), gru({ units: 3 }), dense({ units: 5 })], { vocab });
  try {
    assert.throws(() => { m.vocab = plain as never; }, (e: unknown) => e instanceof InvalidArgumentError && /Model\.vocab/.test(e.message));
    assert.equal(m.vocab, vocab, 'a refused assignment keeps the vocabulary');
    saveModel(m); // still a Vocab: no TypeError
    m.vocab = undefined;
    assert.equal(m.vocab, undefined);
    m.vocab = Vocab.fromJSON(plain);
    assert.equal(m.vocab?.size, 5);
  } finally {
    m.dispose();
  }
});

test('a vocabulary whose size is not the input vocabSize is refused, naming both sizes', () => {
  const before = live();
  for (const first of [oneHot({ vocabSize: 6 }), embedding({ vocabSize: 4, dim: 2 })]) {
    assert.throws(
      () => sequential([first, lstm({ units: 3 }), dense({ units: first.vocabSize })], { vocab }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && new RegExp(`has 5 tokens but the ${first.type} layer takes ${first.vocabSize} token ids`).test(e.message),
      first.type,
    );
  }
  assert.equal(live(), before);
});

test('a token classifier keeps its vocabulary (dense units are classes), and generate refuses it upfront naming both sizes', () => {
  const m = sequential([embedding({ vocabSize: 5, dim: 2 }), gru({ units: 3, output: 'last' }), dense({ units: 3 })], { vocab });
  const tagger = sequential([oneHot({ vocabSize: 5 }), gru({ units: 3 }), dense({ units: 7 })], { vocab });
  try {
    for (const model of [m, tagger]) {
      assert.throws(
        () => model.generate([1, 2], { length: 3 }),
        (e: unknown) => e instanceof InvalidArgumentError && new RegExp(`got ${model.outputSize} units for 5 input token ids`).test(e.message),
      );
    }
  } finally {
    m.dispose();
    tagger.dispose();
  }
});

test('without a token input the vocabulary names the outputs: its size must be the output size', () => {
  assert.throws(
    () => sequential([gru({ units: 3 }), dense({ units: 4 })], { inputSize: 2, vocab }),
    (e: unknown) => e instanceof InvalidArgumentError && /has 5 tokens but the model .* has 4 outputs/.test(e.message),
  );
  const m = sequential([gru({ units: 3 }), dense({ units: 5 })], { inputSize: 2, vocab });
  m.dispose();
});

/** `bytes` with its config edited by `edit`, the checksums made valid again. */
function withConfig(bytes: Uint8Array, edit: (config: Record<string, unknown>) => void): Uint8Array {
  const file = readSafetensors(bytes);
  const config = JSON.parse(file.metadata['recurrent']!) as Record<string, unknown>;
  edit(config);
  const json = JSON.stringify(config);
  return writeSafetensors(
    new Map([...file.tensors].map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }])),
    { ...file.metadata, recurrent: json, config_crc32: String(crc32(new TextEncoder().encode(json))) },
  );
}

test('a model file whose vocabulary is smaller than its layers is a FormatError naming both sizes, with nothing left allocated', async () => {
  const m = sequential([embedding({ vocabSize: 5, dim: 2 }), gru({ units: 3 }), dense({ units: 5 })], { vocab, seed: 1 });
  const bytes = saveModel(m);
  m.dispose();
  const small = withConfig(bytes, (c) => {
    c['vocab'] = { tokens: ['<unk>', 'a', 'b'] };
  });
  const before = live();
  await assert.rejects(loadModel(small), (e: unknown) => e instanceof FormatError && /has 3 tokens but the embedding layer takes 5 token ids/.test(e.message));
  assert.equal(live(), before);
  // The same file with its own vocabulary loads and generates text.
  const back = await loadModel(bytes);
  try {
    assert.equal(typeof back.generate('ab', { length: 4, temperature: 0 }), 'string');
  } finally {
    back.dispose();
  }
});
