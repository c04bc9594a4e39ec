// Corrupted model files: every single-byte truncation of a small model file, random byte flips,
// wrong magic / format / version, huge declared sizes, tensors whose declared sizes disagree
// with their bytes, and a config that tries prototype pollution. Each gives a FormatError (or,
// for a flip that leaves the content unchanged, such as whitespace in the header, the very same
// model) and allocates nothing in wasm memory first.
import { afterAll, beforeAll, test } from 'vitest';

import fc from 'fast-check';
import {
  crc32,
  dense,
  dispose,
  embedding,
  engine,
  FormatError,
  gru,
  init,
  loadTorch,
  lstm,
  type Model,
  modelFromBytes,
  saveModel,
  sequential,
  Vocab,
  writeSafetensors,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { withTempFolder } from '../support/files.js';

let model: Model;
let bytes: Uint8Array;

beforeAll(async () => {
  await init(engineOptions);
  const vocab = new Vocab(['a', 'b', 'c', 'd']);
  model = sequential([embedding({ vocabSize: vocab.size, dim: 3 }), gru({ units: 4 }), dense({ units: vocab.size })], { seed: 5, vocab });
  bytes = saveModel(model);
});

afterAll(async () => {
  model.dispose();
  await dispose();
});

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** Everything a loaded copy must agree on with `model`. */
function sameModel(other: Model): boolean {
  const a = [...model.stateDict()].map(([k, v]) => [k, bits(v)]);
  const b = [...other.stateDict()].map(([k, v]) => [k, bits(v)]);
  return (
    JSON.stringify(a) === JSON.stringify(b) &&
    JSON.stringify(other.configs) === JSON.stringify(model.configs) &&
    JSON.stringify(other.vocab?.toJSON()) === JSON.stringify(model.vocab?.toJSON()) &&
    other.seed === model.seed &&
    other.tokenizer === model.tokenizer &&
    other.featureSize === model.featureSize
  );
}

/** Loads `file`: 'format' for a FormatError, 'same' for an identical model; anything else fails. */
function load(file: Uint8Array, what: string): 'format' | 'same' {
  const live = engine().wasm.buffer_live_count();
  const memory = engine().memoryBytes;
  let result: 'format' | 'same';
  try {
    const m = modelFromBytes(file);
    try {
      assert.ok(sameModel(m), `${what}: loaded a different model instead of failing`);
    } finally {
      m.dispose();
    }
    result = 'same';
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`${what}: expected FormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    assert.ok(e.message.length > 10);
    result = 'format';
  }
  assert.equal(engine().wasm.buffer_live_count(), live, `${what}: wasm buffers leaked`);
  assert.equal(engine().memoryBytes, memory, `${what}: wasm memory grew`);
  return result;
}

/** The tensor bytes the checksum covers: tensors sorted by name, concatenated. */
function tensorBytes(dict: Map<string, Float32Array>): Uint8Array {
  const names = [...dict.keys()].sort();
  const out = new Uint8Array(names.reduce((n, k) => n + dict.get(k)!.byteLength, 0));
  let at = 0;
  for (const k of names) {
    const t = dict.get(k)!;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at += t.byteLength;
  }
  return out;
}

/** A model file with this config JSON and these tensors, with valid checksums (a hostile or buggy writer). */
function craft(config: unknown, dict = model.stateDict(), shapes?: Map<string, number[]>): Uint8Array {
  const json = typeof config === 'string' ? config : JSON.stringify(config);
  const params = new Map(model.parameters().map((p) => [p.name, [...p.shape]]));
  const tensors = new Map([...dict].map(([k, v]) => [k, { dtype: 'F32' as const, shape: shapes?.get(k) ?? params.get(k) ?? [v.length], data: v }]));
  return writeSafetensors(tensors, {
    recurrent: json,
    crc32: String(crc32(tensorBytes(dict))),
    config_crc32: String(crc32(new TextEncoder().encode(json))),
  });
}

/** A safetensors file from a raw header object and raw data bytes. */
function raw(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8) text += ' ';
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const baseConfig = () => JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)))))
  .__metadata__.recurrent as string;

test('the small model file round-trips (the baseline the corruptions start from)', () => {
  assert.equal(load(bytes, 'intact'), 'same');
  assert.equal(load(craft(JSON.parse(baseConfig())), 'crafted intact'), 'same');
});

test('every single-byte truncation point gives a FormatError and allocates nothing', () => {
  for (let n = 0; n < bytes.length; n++) assert.equal(load(bytes.subarray(0, n), `truncated to ${n} bytes`), 'format');
  // Extra bytes after the data are corruption too.
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  assert.equal(load(longer, 'trailing bytes'), 'format');
  console.log(`[files] ${bytes.length} truncation points of a ${bytes.length}-byte model file: all FormatError`);
});

test('random byte flips give a FormatError, or (whitespace in the header) the very same model', () => {
  let tried = 0;
  let same = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
      const bad = bytes.slice();
      for (const [at, x] of flips) bad[at]! ^= x;
      tried++;
      if (load(bad, `flips ${JSON.stringify(flips)}`) === 'same') same++;
    }),
    { numRuns: 3000, seed: 42 },
  );
  // Every single bit of the file flipped, one at a time.
  let bitsTried = 0;
  for (let at = 0; at < bytes.length; at++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = bytes.slice();
      bad[at]! ^= 1 << bit;
      bitsTried++;
      if (load(bad, `bit ${bit} of byte ${at}`) === 'same') same++;
    }
  }
  console.log(`[files] ${tried} random multi-byte corruptions and ${bitsTried} single-bit flips: all FormatError except ${same} that left the content identical (header whitespace)`);
});

test('wrong magic: files that are not model files give a FormatError', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])],
    ['ZIP', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['JSON text', enc('{"format":"recurrent-model/1","layers":[]}')],
    ['zeros', new Uint8Array(64)],
    ['header length 0', raw({}, new Uint8Array(0), 0n)],
    ['a plain state dict without config', writeSafetensors(new Map([...model.stateDict()].map(([k, v]) => [k, { shape: [v.length], data: v }])))],
    ['an empty safetensors file', writeSafetensors(new Map())],
  ];
  for (const [what, file] of cases) assert.equal(load(file, what), 'format');
});

test('wrong format or version, or a config that is not a model, gives a FormatError', () => {
  const config = JSON.parse(baseConfig()) as Record<string, unknown>;
  const variants: [string, unknown][] = [
    ['format recurrent-model/2', { ...config, format: 'recurrent-model/2' }],
    ['format recurrent-model/0', { ...config, format: 'recurrent-model/0' }],
    ['no format', { ...config, format: undefined }],
    ['another format', { ...config, format: 'pytorch-state-dict/1' }],
    ['config is an array', [config]],
    ['config is a number', 5],
    ['config is null', null],
    ['config is not JSON', '{"format": "recurrent-model/1", '],
    ['no layers', { ...config, layers: [] }],
    ['layers not an array', { ...config, layers: { 0: 1 } }],
    ['unknown layer type', { ...config, layers: [{ type: 'transformer', units: 4 }] }],
    ['layer sizes that do not match the tensors', { ...config, layers: [{ type: 'embedding', vocabSize: 5, dim: 3 }, { type: 'gru', units: 3 }, { type: 'dense', units: 5 }] }],
    ['negative units', { ...config, layers: [{ type: 'embedding', vocabSize: 5, dim: 3 }, { type: 'gru', units: -4 }, { type: 'dense', units: 5 }] }],
    ['fractional dim', { ...config, layers: [{ type: 'embedding', vocabSize: 5, dim: 2.5 }, { type: 'gru', units: 4 }, { type: 'dense', units: 5 }] }],
    ['bad dropout', { ...config, layers: [{ type: 'embedding', vocabSize: 5, dim: 3 }, { type: 'gru', units: 4, dropout: 7 }, { type: 'dense', units: 5 }] }],
    ['bad seed', { ...config, seed: -1 }],
    ['bad tokenizer', { ...config, tokenizer: 'bpe' }],
    ['bad vocab', { ...config, vocab: { tokens: [1, 2, 3] } }],
    ['vocab without <unk>', { ...config, vocab: { tokens: ['a', 'b'] } }],
  ];
  for (const [what, c] of variants) assert.equal(load(craft(c), what), 'format', what);
  // A checksum that does not match, or is missing, is refused before the config is believed.
  const json = baseConfig();
  const dict = model.stateDict();
  const withMeta = (meta: Record<string, string>) =>
    writeSafetensors(new Map([...dict].map(([k, v]) => [k, { shape: [...model.parameters().find((p) => p.name === k)!.shape], data: v }])), meta);
  const crc = String(crc32(tensorBytes(dict)));
  const ccrc = String(crc32(new TextEncoder().encode(json)));
  assert.equal(load(withMeta({ recurrent: json, crc32: crc }), 'no config checksum'), 'format');
  assert.equal(load(withMeta({ recurrent: json, config_crc32: ccrc }), 'no tensor checksum'), 'format');
  assert.equal(load(withMeta({ recurrent: json, crc32: crc, config_crc32: '0x1234' }), 'checksum not a number'), 'format');
  assert.equal(load(withMeta({ recurrent: json.replace('"seed":5', '"seed":6'), crc32: crc, config_crc32: ccrc }), 'config changed after the checksum'), 'format');
  assert.equal(load(withMeta({ recurrent: json, crc32: crc, config_crc32: ccrc }), 'all checksums right'), 'same');
});

test('huge declared sizes give a FormatError before anything big is allocated', () => {
  const config = JSON.parse(baseConfig()) as { layers: Record<string, unknown>[] };
  const huge: [string, Uint8Array][] = [
    ['header length 2^64-1', raw({}, new Uint8Array(0), 0xffffffffffffffffn)],
    ['header length 2^32', raw({}, new Uint8Array(0), 1n << 32n)],
    ['header length just under the cap, past the end', raw({}, new Uint8Array(0), 99_999_999n)],
    ['a tensor of 2^62 elements', raw({ w: { dtype: 'F32', shape: [2 ** 31, 2 ** 31], data_offsets: [0, 16] } }, new Uint8Array(16))],
    ['data offsets past the end', raw({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 2 ** 40] } }, new Uint8Array(16))],
    ['units 65536 x 64 layers, bidirectional', craft({ ...config, layers: [config.layers[0], { type: 'lstm', units: 65536, layers: 64, bidirectional: true }, { type: 'dense', units: 5 }] })],
    ['a vocabulary of 2^31 tokens', craft({ ...config, layers: [{ type: 'embedding', vocabSize: 2 ** 31 - 1, dim: 3 }, config.layers[1], config.layers[2]] })],
    ['a dense layer of 2^31 units', craft({ ...config, layers: [config.layers[0], config.layers[1], { type: 'dense', units: 2 ** 31 - 1 }] })],
    ['units a bit too large for the tensors', craft({ ...config, layers: [config.layers[0], { type: 'gru', units: 4000 }, config.layers[2]] })],
  ];
  for (const [what, file] of huge) assert.equal(load(file, what), 'format', what);
});

test('tensors whose declared sizes disagree with their bytes, or with the model, are rejected', () => {
  const dict = model.stateDict();
  const w = dict.get('fc.weight')!;
  const asBytes = (a: Float32Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const cases: [string, Uint8Array][] = [
    ['shape larger than its bytes', raw({ 'fc.weight': { dtype: 'F32', shape: [5, 5], data_offsets: [0, w.byteLength] } }, asBytes(w))],
    ['shape smaller than its bytes', raw({ 'fc.weight': { dtype: 'F32', shape: [2, 4], data_offsets: [0, w.byteLength] } }, asBytes(w))],
    ['bytes not a multiple of the dtype', raw({ 'fc.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 6] } }, new Uint8Array(6))],
    ['a transposed weight (same count, other shape)', craft(JSON.parse(baseConfig()), dict, new Map([['fc.weight', [4, model.vocab!.size]]]))],
    ['a tensor flattened', craft(JSON.parse(baseConfig()), dict, new Map([['rnn.weight_hh_l0', [48]]]))],
    ['a missing tensor', craft(JSON.parse(baseConfig()), new Map([...dict].filter(([k]) => k !== 'fc.bias')))],
    ['an extra tensor', craft(JSON.parse(baseConfig()), new Map([...dict, ['extra', new Float32Array(3)]]))],
    ['a tensor one value short', craft(JSON.parse(baseConfig()), new Map([...dict, ['fc.bias', dict.get('fc.bias')!.subarray(1)]]), new Map([['fc.bias', [model.vocab!.size - 1]]]))],
    ['a non-finite weight (with a matching checksum)', craft(JSON.parse(baseConfig()), new Map([...dict, ['fc.bias', dict.get('fc.bias')!.map((v, i) => (i === 2 ? Number.NaN : v))]]))],
  ];
  for (const [what, file] of cases) assert.equal(load(file, what), 'format', what);
});

test('the JSON config is parsed without prototype pollution', () => {
  const json = baseConfig();
  const hostile = json
    .replace('{"format"', '{"__proto__":{"polluted":"top"},"constructor":{"prototype":{"polluted":"ctor"}},"format"')
    .replace('"type":"gru"', '"type":"gru","__proto__":{"polluted":"layer","units":999,"bidirectional":true}')
    .replace('"tokens":', '"__proto__":{"polluted":"vocab"},"tokens":');
  assert.notEqual(hostile, json);
  const file = craft(hostile);
  const live = engine().wasm.buffer_live_count();
  const m = modelFromBytes(file);
  try {
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
    for (const c of m.configs) {
      assert.equal(Object.getPrototypeOf(c), Object.prototype);
      assert.equal((c as unknown as Record<string, unknown>)['polluted'], undefined);
    }
    // The layer kept its own sizes: the smuggled prototype did not turn it into a bigger one.
    assert.ok(sameModel(m));
  } finally {
    m.dispose();
  }
  assert.equal(engine().wasm.buffer_live_count(), live);
});

test('PyTorch folders (loadTorch) with a corrupt meta.json or mismatched tensors give a FormatError and allocate nothing first', async () => {
  const torch = sequential([embedding({ vocabSize: 5, dim: 3 }), lstm({ units: 4, layers: 2 }), dense({ units: 5 })], { seed: 1 });
  const dict = torch.stateDict();
  const shapes = new Map(torch.parameters().map((p) => [p.name, [...p.shape]]));
  torch.dispose();
  const meta = {
    format: 'pytorch-state-dict/1',
    architecture: [
      { type: 'embedding', name: 'embedding', num_embeddings: 5, embedding_dim: 3 },
      { type: 'lstm', name: 'rnn', input_size: 3, hidden_size: 4, num_layers: 2, bias: true, bidirectional: false },
      { type: 'linear', name: 'fc', in_features: 4, out_features: 5 },
    ],
    vocab: ['<unk>', 'a', 'b', 'c', 'd'],
    tokenizer: { level: 'char' },
  };
  const tensors = (override?: Map<string, number[]>) => writeSafetensors(new Map([...dict].map(([k, v]) => [k, { shape: override?.get(k) ?? shapes.get(k)!, data: v }])));
  await withTempFolder(async (dir) => {
    const attempt = async (metaText: string, file: Uint8Array): Promise<'format' | 'ok'> => {
      await dir.write('meta.json', metaText);
      await dir.write('model.safetensors', file);
      const live = engine().wasm.buffer_live_count();
      const memory = engine().memoryBytes;
      try {
        (await loadTorch(dir.location)).dispose();
        return 'ok';
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`expected FormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
        return 'format';
      } finally {
        assert.equal(engine().wasm.buffer_live_count(), live);
        assert.equal(engine().memoryBytes, memory);
      }
    };
    const withModule = (i: number, patch: Record<string, unknown>) => JSON.stringify({ ...meta, architecture: meta.architecture.map((m, k) => (k === i ? { ...m, ...patch } : m)) });
    assert.equal(await attempt(JSON.stringify(meta), tensors()), 'ok');
    const bad: [string, string, Uint8Array][] = [
      ['meta.json is null', 'null', tensors()],
      ['meta.json is not JSON', '{"format":', tensors()],
      ['a module is not an object', JSON.stringify({ ...meta, architecture: [5] }), tensors()],
      ['num_layers 0', withModule(1, { num_layers: 0 }), tensors()],
      ['hidden_size 2.5', withModule(1, { hidden_size: 2.5 }), tensors()],
      ['huge hidden_size and num_layers', withModule(1, { hidden_size: 65536, num_layers: 64 }), tensors()],
      ['huge vocabulary', withModule(0, { num_embeddings: 2 ** 31 - 1 }), tensors()],
      ['hidden_size larger than the tensors', withModule(1, { hidden_size: 3000 }), tensors()],
      ['unknown module type', withModule(1, { type: 'transformer' }), tensors()],
      ['bad vocabulary', JSON.stringify({ ...meta, vocab: [1, 2, 3] }), tensors()],
      ['a transposed weight', JSON.stringify(meta), tensors(new Map([['fc.weight', [4, 5]]]))],
      ['truncated tensors', JSON.stringify(meta), tensors().subarray(0, 100)],
    ];
    for (const [what, text, file] of bad) assert.equal(await attempt(text, file), 'format', what);
  });
});
