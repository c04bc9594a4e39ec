// Issue 11, item 5: layers whose parameter names collide used to be accepted, and saveModel kept
// one tensor per name (an embedding named `fc` reloaded with the dense weights; two GRUs named
// `rnn_1` gave a file that never loaded). sequential() now refuses them, naming both layers and
// the parameter, and frees what it had built.
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
  lstm,
  loadModel,
  oneHot,
  saveModel,
  sequential,
  writeSafetensors,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const live = () => engine().wasm.buffer_live_count();

test('an embedding and a dense layer both named fc are refused, naming both layers and `fc.weight`', () => {
  const before = live();
  assert.throws(
    () => sequential([embedding({ vocabSize: 5, dim: 3, name: 'fc' }), gru({ units: 4 }), dense({ units: 5 })]),
    (e: unknown) =>
      e instanceof InvalidArgumentError &&
      /layers\[0\] \(embedding 'fc'\)/.test(e.message) &&
      /layers\[2\] \(dense 'fc'\)/.test(e.message) &&
      /`fc\.weight`/.test(e.message),
  );
  assert.equal(live(), before, 'the refused model frees every buffer it had allocated');
});

test("two recurrent layers named rnn_1 (one by default, one by name) are refused, naming `rnn_1.weight_ih_l0`", () => {
  const before = live();
  assert.throws(
    () => sequential([oneHot({ vocabSize: 4 }), gru({ units: 3, name: 'rnn_1' }), gru({ units: 3 }), dense({ units: 4 })]),
    (e: unknown) =>
      e instanceof InvalidArgumentError &&
      /layers\[1\] \(gru 'rnn_1'\)/.test(e.message) &&
      /layers\[2\] \(gru 'rnn_1'\)/.test(e.message) &&
      /`rnn_1\.weight_ih_l0`/.test(e.message),
  );
  assert.throws(() => sequential([lstm({ units: 2, name: 'x' }), lstm({ units: 2, name: 'x' })], { inputSize: 2 }), /`x\.weight_ih_l0`/);
  assert.equal(live(), before);
});

test('names that share a module prefix but no parameter name are accepted, and round-trip through a file', async () => {
  // `rnn.weight` (embedding) and `rnn.weight_ih_l0` (GRU) are different keys.
  const m = sequential([embedding({ vocabSize: 5, dim: 3, name: 'rnn' }), gru({ units: 4 }), dense({ units: 5 })], { seed: 2 });
  try {
    assert.deepEqual(m.parameters().map((p) => p.name).slice(0, 2), ['rnn.weight', 'rnn.weight_ih_l0']);
    const back = await loadModel(saveModel(m));
    assert.deepEqual([...back.stateDict()], [...m.stateDict()]);
    back.dispose();
  } finally {
    m.dispose();
  }
});

test('a model file whose config has colliding names (as saveModel used to write) is a FormatError naming the parameter', async () => {
  // What saveModel wrote for [embedding 'fc', gru, dense 'fc']: one `fc.weight` (the dense one won).
  const good = sequential([embedding({ vocabSize: 5, dim: 3, name: 'emb' }), gru({ units: 4 }), dense({ units: 5 })], { seed: 1 });
  const dict = new Map([...good.stateDict()].map(([k, v]) => [k.replace('emb.', 'fc.'), v]));
  const shapes = new Map(good.parameters().map((p) => [p.name.replace('emb.', 'fc.'), [...p.shape]]));
  dict.set('fc.weight', good.stateDict().get('fc.weight')!);
  shapes.set('fc.weight', [5, 4]);
  good.dispose();
  const config = JSON.stringify({
    format: 'recurrent-model/1',
    layers: [{ type: 'embedding', vocabSize: 5, dim: 3, name: 'fc' }, { type: 'gru', units: 4 }, { type: 'dense', units: 5 }],
    seed: 1,
    inputSize: 3,
    tokenizer: 'char',
    vocab: null,
  });
  const names = [...dict.keys()].sort();
  const all = new Uint8Array(names.reduce((n, k) => n + dict.get(k)!.byteLength, 0));
  let at = 0;
  for (const k of names) {
    const t = dict.get(k)!;
    all.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at += t.byteLength;
  }
  const file = writeSafetensors(
    new Map([...dict].map(([k, v]) => [k, { dtype: 'F32' as const, shape: shapes.get(k)!, data: v }])),
    { recurrent: config, crc32: String(crc32(all)), config_crc32: String(crc32(new TextEncoder().encode(config))) },
  );
  const before = live();
  await assert.rejects(loadModel(file), (e: unknown) => e instanceof FormatError && /`fc\.weight`/.test(e.message) && /embedding 'fc'/.test(e.message));
  assert.equal(live(), before);
});
