// Issue 11, item 19: the safetensors reader and writer follow one rule. The writer refused to
// write what the reader refuses (a shape whose running product overflows although it holds no
// element), the reader accepted what the writer refuses (lone-surrogate names) and silently
// kept the last of two tensors with the same name; a file of a million empty tensors took
// seconds to reject and a hostile file could make a message of megabytes.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  dense,
  dispose,
  FormatError,
  init,
  InvalidArgumentError,
  loadModel,
  lstm,
  MAX_FORMAT_MESSAGE_LENGTH,
  MAX_TENSORS,
  oneHot,
  readSafetensors,
  readSafetensorsHeader,
  saveModel,
  sequential,
  writeSafetensors,
  type WritableTensor,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

const enc = new TextEncoder();

/** A file with header text `header` and `data` zero bytes after it. */
function craft(header: string, data = 0): Uint8Array {
  const json = enc.encode(header);
  const out = new Uint8Array(8 + json.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** A header of `count` empty F32 tensors `t0`, `t1`, ... */
function emptyTensors(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  return `{${parts.join(',')}}`;
}

function formatError(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

/** The message of what `f` throws, after its `...: tensor "t": ` prefix. */
function ruleText(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message.replace(/^.*?tensor "t": /, '');
  }
  return 'accepted';
}

const F32 = { dtype: 'F32' as const };

describe('one rule for reader and writer', () => {
  test('the writer refuses shape [2^40, 2^40, 0], as the reader does, with the same words', () => {
    const shape = [2 ** 40, 2 ** 40, 0];
    const write = () => writeSafetensors({ t: { ...F32, shape, data: new Float32Array(0) } });
    assert.throws(write, (e: unknown) => e instanceof InvalidArgumentError && /overflows \(more than 2\^53 elements\)/.test(e.message));
    const read = () => readSafetensors(craft(JSON.stringify({ t: { ...F32, shape, data_offsets: [0, 0] } })));
    assert.throws(read, formatError(/overflows \(more than 2\^53 elements\)/));
    assert.equal(ruleText(write), ruleText(read));
  });

  test('for edge shapes, the writer accepts exactly what the reader reads back', () => {
    const shapes = [[], [0], [3, 0, 5], [0, 2 ** 53 - 1], [2 ** 53 - 1, 0], [2 ** 26, 2 ** 27, 0], [2 ** 27, 2 ** 26, 0, 1], [2 ** 40, 2 ** 40, 0], [0, 2 ** 40, 2 ** 40]];
    for (const shape of shapes) {
      const elements = shape.reduce((p, d) => p * d, 1);
      const data = new Float32Array(elements === 1 ? 1 : 0);
      let written: Uint8Array | undefined;
      try {
        written = writeSafetensors({ t: { ...F32, shape, data } });
      } catch (e) {
        assert.ok(e instanceof InvalidArgumentError, String(e));
      }
      const crafted = craft(JSON.stringify({ t: { ...F32, shape, data_offsets: [0, data.byteLength] } }), data.byteLength);
      if (written) {
        assert.deepEqual(readSafetensors(written).tensors.get('t')!.shape, shape, `shape ${JSON.stringify(shape)}`);
        assert.deepEqual(readSafetensors(crafted).tensors.get('t')!.shape, shape);
      } else {
        assert.throws(() => readSafetensors(crafted), FormatError, `the writer refused ${JSON.stringify(shape)}, the reader must too`);
      }
    }
  });

  test('lone-surrogate names and metadata, refused by the writer, are refused by the reader', () => {
    const data = new Float32Array(1);
    assert.throws(() => writeSafetensors({ ['a\ud800']: { shape: [1], data } }), InvalidArgumentError);
    // The JSON escape \ud800 decodes to a lone surrogate (raw surrogate bytes are not UTF-8).
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    assert.throws(() => readSafetensors(craft(`{"a\\ud800":${entry}}`, 4)), formatError(/well-formed Unicode/));
    assert.throws(() => readSafetensors(craft(`{"\\udc00b":${entry}}`, 4)), formatError(/well-formed Unicode/));
    assert.throws(() => writeSafetensors({}, { k: 'v\udfff' }), InvalidArgumentError);
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"k":"v\\udfff"}}')), formatError(/__metadata__ key "k".*well-formed/));
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"k\\ud800":"v"}}')), formatError(/well-formed/));
    // a surrogate pair is fine in both
    const pair = writeSafetensors({ ['a\ud83d\ude00']: { shape: [1], data } }, { ['k\ud83d\ude00']: 'v' });
    assert.deepEqual([...readSafetensors(pair).tensors.keys()], ['a\ud83d\ude00']);
    assert.equal(readSafetensors(craft(`{"a\\ud83d\\ude00":${entry}}`, 4)).tensors.size, 1);
  });
});

describe('duplicates are a FormatError', () => {
  const a = (begin: number, end: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${end}]}`;

  test('two tensors with the same name', () => {
    // Before: JSON.parse kept the second, so the file read as one tensor holding the second's data.
    assert.throws(() => readSafetensors(craft(`{"w":${a(0, 4)},"w":${a(4, 8)}}`, 8)), formatError(/tensor name "w" appears twice/));
    assert.throws(() => readSafetensorsHeader(craft(`{"w":${a(0, 4)},"v":${a(4, 8)},"w":${a(0, 4)}}`, 8)), formatError(/"w" appears twice/));
    // the same name escaped differently is the same name
    assert.throws(() => readSafetensors(craft(`{"w":${a(0, 4)},"\\u0077":${a(4, 8)}}`, 8)), formatError(/"w" appears twice/));
  });

  test('a metadata key twice, __metadata__ twice, a field twice in an entry', () => {
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"k":"1","k":"2"}}')), formatError(/metadata key "k" appears twice/));
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"k":"1"},"__metadata__":{"k":"2"}}')), formatError(/__metadata__ appears twice/));
    assert.throws(
      () => readSafetensors(craft('{"w":{"dtype":"F64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4)),
      formatError(/"dtype" appears twice in "w"/),
    );
  });

  test('keys repeated in different objects, or as values, are not duplicates', () => {
    const file = readSafetensors(craft(`{"__metadata__":{"dtype":"shape","w":"w"},"w":${a(0, 4)},"v":${a(4, 8)}}`, 8));
    assert.deepEqual([...file.tensors.keys()], ['w', 'v']);
    assert.equal(file.metadata['w'], 'w');
  });
});

describe('limits: tensor count and message length', () => {
  test('MAX_TENSORS = 100,000: a file of exactly that many reads, one more is refused by reader and writer', () => {
    assert.equal(MAX_TENSORS, 100_000);
    assert.equal(readSafetensorsHeader(craft(emptyTensors(100_000))).tensors.size, 100_000);
    assert.throws(() => readSafetensorsHeader(craft(emptyTensors(100_001))), formatError(/more than 100000 tensors/));
    const many = new Map<string, WritableTensor>();
    const empty = new Float32Array(0);
    for (let i = 0; i <= 100_000; i++) many.set(`t${i}`, { shape: [0], data: empty });
    assert.throws(() => writeSafetensors(many), (e: unknown) => e instanceof InvalidArgumentError && /100001 tensors, more than 100000/.test(e.message));
    // the metadata map does not count as a tensor
    const withMeta = emptyTensors(100_000).replace(/^\{/, '{"__metadata__":{"a":"b"},');
    assert.equal(readSafetensorsHeader(craft(withMeta)).tensors.size, 100_000);
  });

  test('a million empty tensors are refused quickly, with a short message', () => {
    const file = craft(emptyTensors(1_000_000));
    const start = performance.now();
    let message = '';
    assert.throws(() => readSafetensorsHeader(file), (e: unknown) => {
      assert.ok(e instanceof FormatError, String(e));
      message = e.message;
      return true;
    });
    const ms = performance.now() - start;
    // Before the cap the whole header was parsed and validated (about 4 s here) and accepted.
    assert.ok(ms < 1500, `rejected in ${ms.toFixed(0)} ms`);
    assert.ok(message.length < 200, message);
  });

  test('a megabyte-long tensor name does not make a megabyte message', () => {
    const name = 'n'.repeat(1_000_000);
    assert.throws(() => readSafetensors(craft(`{"${name}":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, 8)), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.match(e.message, /unsupported dtype "C64"/);
      assert.ok(e.message.length <= 2000, `message of ${e.message.length} characters`);
      return true;
    });
    assert.throws(() => writeSafetensors({ [name]: { shape: [2], data: new Float32Array(1) } }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.ok(e.message.length <= 2000, `message of ${e.message.length} characters`);
      return true;
    });
  });

  describe('a model file with 20,000 extra (empty) tensors', () => {
    beforeAll(async () => {
      await init(engineOptions);
    });
    afterAll(async () => {
      await dispose();
    });

    test('is a FormatError of at most MAX_FORMAT_MESSAGE_LENGTH (2000) characters', async () => {
      const model = sequential([oneHot({ vocabSize: 5 }), lstm({ units: 3 }), dense({ units: 5 })], { seed: 1 });
      const file = readSafetensors(saveModel(model));
      model.dispose();
      const tensors = new Map<string, WritableTensor>();
      for (const [name, t] of file.tensors) tensors.set(name, { shape: t.shape, data: t.data });
      // Empty tensors add no bytes, so the file's checksums stay right and the loader reaches
      // the state dict, whose message lists every unexpected name.
      for (let i = 0; i < 20_000; i++) tensors.set(`extra.parameter.number.${i}`, { shape: [0], data: new Float32Array(0) });
      const bytes = writeSafetensors(tensors, file.metadata);
      await assert.rejects(loadModel(bytes), (e: unknown) => {
        assert.ok(e instanceof FormatError, String(e));
        assert.match(e.message, /unexpected extra\.parameter\.number\.0/);
        assert.ok(e.message.length <= 2000, `message of ${e.message.length} characters`);
        assert.equal(MAX_FORMAT_MESSAGE_LENGTH, 2000);
        return true;
      });
    });
  });
});
