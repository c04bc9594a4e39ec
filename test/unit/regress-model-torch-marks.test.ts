// Issue 11, first use: a saved gru({ resetAfter: false }) or rnn({ residual: true }) loaded into
// PyTorch's nn.GRU / nn.RNN with strict=True and computed another function. Files of layers that
// PyTorch's modules cannot compute (those two, and the peephole, CIFG and no-forget LSTMs) now
// store those layers' tensors as `<name>__<cell kind>`, so load_state_dict(strict=True) reports
// every expected key missing and the marked ones unexpected, and say so in the metadata
// (`recurrent.torch_compatible: "false"`, the reason in `recurrent.torch_incompatible`).
// loadModel reads marked files and older unmarked ones alike.
import { afterAll, beforeAll, test } from 'vitest';

import {
  crc32,
  dense,
  dispose,
  embedding,
  FormatError,
  gru,
  init,
  type LayerConfig,
  loadModel,
  lstm,
  type Model,
  oneHot,
  readSafetensors,
  rnn,
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

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const dictBits = (m: Model) => [...m.stateDict()].map(([k, v]) => [k, bits(v)]);

/**
 * What PyTorch's `load_state_dict(strict=True)` compares (torch/nn/modules/module.py): the keys
 * the module expects against the keys given. Any missing or unexpected key raises. The module
 * here is the PyTorch counterpart, whose keys are the model's parameter names.
 */
function strictLoadErrors(expected: readonly string[], given: readonly string[]): { missing: string[]; unexpected: string[] } {
  return { missing: expected.filter((k) => !given.includes(k)), unexpected: given.filter((k) => !expected.includes(k)) };
}

const incompatible: [string, LayerConfig, RegExp][] = [
  ['gru_reset_before', gru({ units: 3, resetAfter: false }), /resetAfter: false/],
  ['rnn_residual', rnn({ units: 3, residual: true }), /residual: true/],
  ['lstm_peephole', lstm({ units: 3, variant: 'peephole' }), /peephole/],
  ['lstm_cifg', lstm({ units: 3, variant: 'cifg', layers: 2 }), /cifg/],
  ['lstm_no_forget', lstm({ units: 3, variant: 'noForget', bidirectional: true }), /noForget/],
];

for (const [kind, layer, reason] of incompatible) {
  test(`${kind}: the file marks the layer's tensors and says why; strict loading would refuse it; loadModel reads it back`, async () => {
    const m = sequential([embedding({ vocabSize: 5, dim: 2 }), layer, dense({ units: 5 })], { seed: 2 });
    try {
      const file = readSafetensors(saveModel(m));
      const names = [...file.tensors.keys()];
      const recurrentNames = m.parameters().map((p) => p.name).filter((n) => n.startsWith('rnn.'));
      assert.ok(recurrentNames.length >= 4);
      for (const n of recurrentNames) assert.ok(names.includes(`${n}__${kind}`), `${n}__${kind} in ${names.join(', ')}`);
      assert.ok(names.includes('embedding.weight') && names.includes('fc.weight'), 'compatible layers keep their names');
      assert.equal(file.metadata['recurrent.torch_compatible'], 'false');
      assert.match(file.metadata['recurrent.torch_incompatible']!, reason);
      const errors = strictLoadErrors(m.parameters().map((p) => p.name), names);
      assert.deepEqual(errors.missing, recurrentNames);
      assert.equal(errors.unexpected.length, recurrentNames.length);
      const back = await loadModel(saveModel(m));
      assert.deepEqual(dictBits(back), dictBits(m));
      back.dispose();
    } finally {
      m.dispose();
    }
  });
}

test('layers PyTorch computes keep their plain names and no marking metadata', () => {
  for (const layer of [gru({ units: 3 }), lstm({ units: 3, layers: 2, bidirectional: true, forgetBias: 1 }), rnn({ units: 3, nonlinearity: 'relu' }), rnn({ units: 3 })]) {
    const m = sequential([oneHot({ vocabSize: 4 }), layer, dense({ units: 4 })], { seed: 1 });
    try {
      const file = readSafetensors(saveModel(m));
      assert.deepEqual([...file.tensors.keys()].sort(), m.parameters().map((p) => p.name).sort());
      assert.equal(file.metadata['recurrent.torch_compatible'], undefined);
      assert.deepEqual(strictLoadErrors(m.parameters().map((p) => p.name), [...file.tensors.keys()]), { missing: [], unexpected: [] });
    } finally {
      m.dispose();
    }
  }
});

/** A model file with the tensors renamed by `rename`, checksums valid. */
function renamed(bytes: Uint8Array, rename: (name: string) => string, extra: [string, Float32Array][] = []): Uint8Array {
  const file = readSafetensors(bytes);
  const tensors = new Map([...file.tensors].map(([k, t]) => [rename(k), { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }]));
  for (const [k, v] of extra) tensors.set(k, { dtype: 'F32', shape: [v.length], data: v });
  const names = [...tensors.keys()].sort();
  const all = new Uint8Array(names.reduce((n, k) => n + tensors.get(k)!.data.byteLength, 0));
  let at = 0;
  for (const k of names) {
    const d = tensors.get(k)!.data;
    all.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return writeSafetensors(tensors, { ...file.metadata, crc32: String(crc32(all)) });
}

test('an older file of such a layer (plain names, no marks) still loads, bit-exactly', async () => {
  const m = sequential([oneHot({ vocabSize: 4 }), gru({ units: 3, resetAfter: false, layers: 2 }), dense({ units: 4 })], { seed: 6 });
  try {
    const old = renamed(saveModel(m), (k) => k.replace('__gru_reset_before', ''));
    assert.ok([...readSafetensors(old).tensors.keys()].includes('rnn.weight_hh_l1'));
    const back = await loadModel(old);
    assert.deepEqual(dictBits(back), dictBits(m));
    back.dispose();
  } finally {
    m.dispose();
  }
});

test('a file holding a parameter under both its plain and its marked name is a FormatError', async () => {
  const m = sequential([oneHot({ vocabSize: 4 }), rnn({ units: 3, residual: true }), dense({ units: 4 })], { seed: 6 });
  try {
    const twice = renamed(saveModel(m), (k) => k, [['rnn.bias_hh_l0', new Float32Array(3)]]);
    await assert.rejects(loadModel(twice), (e: unknown) => e instanceof FormatError && /`rnn\.bias_hh_l0` is stored twice/.test(e.message));
  } finally {
    m.dispose();
  }
});
