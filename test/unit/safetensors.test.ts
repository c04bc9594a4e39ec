// safetensors: the PyTorch fixture file (sha256, names, shapes, values), bit-exact round trips
// for every dtype, byte-identical output to the reference library's own test vectors, the
// F16/BF16/F8 conversions against independent references, and every kind of bad file
// (truncation at each byte, hostile headers, offsets, sizes, a seeded mutation fuzz) giving a
// FormatError and never a crash.
import { describe, test } from 'vitest';

import { InvalidArgumentError, RecurrentError } from 'recurrent';
import {
  FormatError,
  loadSafetensors,
  readBytes,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  type SafetensorsTensor,
  type TensorData,
  type WritableTensor,
} from 'recurrent';

import { rng } from '../support/random.js';
import assert from '../support/assert.js';
import { inNode } from '../support/env.js';
import { asUrl, digest, fixturePath, readData, readDataJson } from '../support/files.js';

/** The PyTorch fixture: a path in Node, a URL string in a page. */
const MODEL = fixturePath('torch-lm/model.safetensors');

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A file with header text `header` (unpadded unless it is) and `data` bytes (or that many zeros). */
function craft(header: string | object, data: Uint8Array | number = 0, headerLength?: number): Uint8Array {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function isFormatError(pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.ok(e instanceof RecurrentError);
    assert.equal(e.name, 'FormatError');
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/** A small valid file: two tensors of different dtypes and metadata. */
function smallFile(): Uint8Array {
  return writeSafetensors(
    {
      w: { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, -0, 1e-30) },
      ids: { shape: [3], data: Int32Array.of(7, -1, 2147483647) },
    },
    { format: 'pt' },
  );
}

describe('the PyTorch fixture model.safetensors', () => {
  test('sha256 matches meta.json; 7 tensors with the shapes of the architecture; values are the raw float32s', async () => {
    const meta = await readDataJson(fixturePath('torch-lm/meta.json'));
    const bytes = await readData(MODEL);
    assert.equal(await digest('SHA-256', bytes), meta.safetensors_sha256);

    const [emb, lstm, fc] = meta.architecture;
    const H4 = 4 * lstm.hidden_size;
    const expected: [string, number[]][] = [
      ['embedding.weight', [emb.num_embeddings, emb.embedding_dim]],
      ['rnn.weight_ih_l0', [H4, lstm.input_size]],
      ['rnn.weight_hh_l0', [H4, lstm.hidden_size]],
      ['rnn.bias_ih_l0', [H4]],
      ['rnn.bias_hh_l0', [H4]],
      ['fc.weight', [fc.out_features, fc.in_features]],
      ['fc.bias', [fc.out_features]],
    ];
    const file = readSafetensors(bytes);
    assert.deepEqual(
      [...file.tensors].map(([name, t]) => [name, t.shape]),
      expected,
    );
    assert.deepEqual({ ...file.metadata }, { format: 'pt', producer: 'torch 1.13.0a0' });
    assert.equal(Object.getPrototypeOf(file.metadata), null);

    // Every value equals the float32 at its place in the file.
    const header = readSafetensorsHeader(bytes);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const [name, t] of file.tensors) {
      assert.equal(t.dtype, 'F32');
      assert.ok(t.data instanceof Float32Array);
      const [begin] = header.tensors.get(name)!.dataOffsets;
      for (let i = 0; i < t.data.length; i++) {
        const want = dv.getFloat32(8 + header.headerLength + begin + 4 * i, true);
        if (!Object.is(t.data[i], want)) assert.fail(`${name}[${i}]: ${t.data[i]} != ${want}`);
      }
    }
  });

  test('loadSafetensors reads a path (in a page, a URL string) and a URL (file: in Node); readBytes names a missing file', async () => {
    const a = await loadSafetensors(MODEL);
    const b = await loadSafetensors(asUrl(MODEL));
    assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
    assert.equal((await readBytes(asUrl(MODEL).href)).length, 350_416);
    await assert.rejects(readBytes('/no/such/model.safetensors'), (e: Error) => {
      return e instanceof InvalidArgumentError && e.message.includes('/no/such/model.safetensors');
    });
    await assert.rejects(readBytes(42 as never), /`pathOrUrl`/);
  });

  test('round trip is bit-exact; writing is deterministic and independent of insertion order', async () => {
    const bytes = await readData(MODEL);
    const file = readSafetensors(bytes);
    const written = writeSafetensors(file.tensors, file.metadata);
    const again = readSafetensors(written);
    assert.deepEqual([...again.tensors.keys()].sort(), [...file.tensors.keys()].sort());
    for (const [name, t] of file.tensors) {
      const u = again.tensors.get(name)!;
      assert.deepEqual(u.shape, t.shape);
      assert.deepEqual(bytesOf(u.data), bytesOf(t.data), name);
    }
    assert.deepEqual({ ...again.metadata }, { ...file.metadata });
    // Same bytes whatever the order tensors and metadata keys come in.
    const reversed = new Map([...file.tensors].reverse());
    const meta = Object.fromEntries(Object.entries(file.metadata).reverse());
    assert.deepEqual(writeSafetensors(reversed, meta), written);
    assert.deepEqual(writeSafetensors(again.tensors, again.metadata), written);
    // The reference library's order: __metadata__ first, then tensors by dtype then name.
    const headerText = dec.decode(written.subarray(8, 8 + readSafetensorsHeader(written).headerLength));
    assert.match(headerText, /^\{"__metadata__":\{"format":"pt","producer":"torch 1\.13\.0a0"\},"embedding\.weight":/);
    assert.equal(readSafetensorsHeader(written).headerLength % 8, 0);
    assert.match(headerText, / *$/);
  });
});

describe('writing matches the reference library byte for byte', () => {
  // The expected bytes are the reference implementation's own serialization test vectors.
  const floats = Float32Array.of(0, 1, 2, 3, 4, 5);
  const floatBytes = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];

  test('one F32 tensor [1, 2, 3] (header of 64 bytes, no padding)', () => {
    const out = writeSafetensors({ 'attn.0': { shape: [1, 2, 3], data: floats } });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.deepEqual(Array.from(out), [64, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), ...floatBytes]);
  });

  test('padding to 8 bytes with spaces', () => {
    const out = writeSafetensors(new Map([['attn0', { shape: [1, 1, 2, 3], data: floats }]]));
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    assert.equal(header.length, 72);
    assert.deepEqual(Array.from(out), [72, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), ...floatBytes]);
  });

  test('no tensors, with and without metadata', () => {
    assert.deepEqual(Array.from(writeSafetensors({})), [8, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{}      ')]);
    assert.deepEqual(Array.from(writeSafetensors({}, { framework: 'pt' })), [
      40, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{"__metadata__":{"framework":"pt"}}     '),
    ]);
    assert.equal(readSafetensors(writeSafetensors({})).tensors.size, 0);
  });

  test('tensors sorted by dtype (widest first, the library enum order) then by UTF-8 name', () => {
    const out = writeSafetensors({
      b: { shape: [1], data: Float32Array.of(1) },
      a: { shape: [1], data: Float32Array.of(2) },
      z: { shape: [1], data: Uint8Array.of(3) },
      y: { shape: [1], data: BigInt64Array.of(4n) },
      '\u{10000}': { shape: [0], data: new Float32Array(0) },
      '\uffff': { shape: [0], data: new Float32Array(0) },
    });
    const { tensors } = readSafetensorsHeader(out);
    // data in the same order as the header
    assert.deepEqual([...tensors.keys()], ['y', 'a', 'b', '\uffff', '\u{10000}', 'z']);
    const text = dec.decode(out.subarray(8, 8 + readSafetensorsHeader(out).headerLength));
    const order = [...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['y', 'a', 'b', '\uffff', '\u{10000}', 'z']);
  });
});

describe('dtypes', () => {
  test('every native dtype round-trips bit-exactly (NaN payloads, -0, extremes)', () => {
    const f32 = new Float32Array(8);
    new Uint32Array(f32.buffer).set([0x7fc00001, 0xffa00000, 0x80000000, 0x00000001, 0x7f7fffff, 0xff800000, 0x3f800000, 0x12345678]);
    const f64 = Float64Array.of(-0, Number.MIN_VALUE, Number.MAX_VALUE, Number.NaN, -Infinity, Math.PI);
    const cases: [string, WritableTensor, string][] = [
      ['f32', { shape: [2, 4], data: f32 }, 'F32'],
      ['f64', { shape: [6], data: f64 }, 'F64'],
      ['i32', { shape: [3], data: Int32Array.of(-2147483648, 0, 2147483647) }, 'I32'],
      ['u32', { shape: [2], data: Uint32Array.of(0, 4294967295) }, 'U32'],
      ['i16', { shape: [2], data: Int16Array.of(-32768, 32767) }, 'I16'],
      ['u16', { shape: [2], data: Uint16Array.of(0, 65535) }, 'U16'],
      ['i8', { shape: [2], data: Int8Array.of(-128, 127) }, 'I8'],
      ['u8', { shape: [2], data: Uint8Array.of(0, 255) }, 'U8'],
      ['bool', { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) }, 'BOOL'],
      ['i64', { shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) }, 'I64'],
      ['u64', { shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) }, 'U64'],
      ['empty', { shape: [0, 5], data: new Float32Array(0) }, 'F32'],
      ['scalar', { shape: [], data: Float32Array.of(42) }, 'F32'],
    ];
    const out = readSafetensors(writeSafetensors(Object.fromEntries(cases.map(([n, t]) => [n, t]))));
    for (const [name, t, dtype] of cases) {
      const got = out.tensors.get(name)!;
      assert.equal(got.dtype, dtype, name);
      assert.deepEqual(got.shape, [...t.shape], name);
      assert.equal(got.data.constructor, t.data.constructor, name);
      assert.deepEqual(bytesOf(got.data), bytesOf(t.data), name);
    }
  });

  test('I64 from Int32Array on write, and int64: "int32" on read (range-checked)', () => {
    const bytes = writeSafetensors({ ids: { dtype: 'I64', shape: [3], data: Int32Array.of(-5, 0, 2147483647) } });
    const wide = readSafetensors(bytes).tensors.get('ids')!;
    assert.equal(wide.dtype, 'I64');
    assert.deepEqual(wide.data, BigInt64Array.of(-5n, 0n, 2147483647n));
    assert.deepEqual(readSafetensors(bytes, { int64: 'int32' }).tensors.get('ids')!.data, Int32Array.of(-5, 0, 2147483647));
    const big = writeSafetensors({ ids: { shape: [2], data: BigInt64Array.of(1n, 2n ** 31n) } });
    assert.throws(() => readSafetensors(big, { int64: 'int32' }), isFormatError(/"ids" element 1 = 2147483648 does not fit in int32/));
    assert.throws(() => readSafetensors(big, { int64: 'number' as never }), InvalidArgumentError);
  });

  /** Every finite half value (non-negative), by bits: reference by formula, in float64. */
  function halfValue(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0x1f) return m ? Number.NaN : sign * Infinity;
    return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
  }

  function writeF16Bits(values: Float32Array, dtype: 'F16' | 'BF16'): Uint16Array {
    const file = writeSafetensors({ v: { dtype, shape: [values.length], data: values } });
    const { headerLength } = readSafetensorsHeader(file);
    const raw = file.slice(8 + headerLength);
    return new Uint16Array(raw.buffer);
  }

  test('F16 reads exactly: all 65,536 bit patterns widen to the value the formula gives', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const file = craft({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, bytesOf(halves));
    const got = readSafetensors(file).tensors.get('h')!.data as Float32Array;
    assert.ok(got instanceof Float32Array);
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      if (!(Object.is(got[h], want) || (Number.isNaN(want) && Number.isNaN(got[h])))) assert.fail(`F16 0x${h.toString(16)}: ${got[h]} != ${want}`);
    }
    // ...and every non-NaN half narrows back to itself (quiet NaNs too).
    const bits = writeF16Bits(got, 'F16');
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN || (h & 0x200) !== 0) {
        if (bits[h] !== h) assert.fail(`F16 0x${h.toString(16)} came back as 0x${bits[h]!.toString(16)}`);
      }
    }
  });

  test('F16 writes round to nearest, ties to even, overflow to infinity (against a search over all halves)', () => {
    const positives: number[] = [];
    for (let h = 0; h < 0x7c00; h++) positives.push(halfValue(h));
    const nearest = (x: number): number => {
      const a = Math.abs(x);
      if (a >= 65520) return x > 0 ? 0x7c00 : 0xfc00; // halfway between 65504 and 2^16 rounds to even = inf
      let lo = 0;
      let hi = positives.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((positives[mid] as number) <= a) lo = mid;
        else hi = mid;
      }
      const dl = a - (positives[lo] as number);
      const dh = (positives[hi] as number) - a;
      const h = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
      return (x < 0 || Object.is(x, -0) ? 0x8000 : 0) | h;
    };
    const next = rng(99);
    const values: number[] = [1, -2, 65504, 65519.99, 65520, 1e6, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 2 ** -26, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -0, 0, 0.1];
    for (let i = 0; i < 20000; i++) {
      // magnitudes from 2^-30 to 2^17, both signs, rounded to float32
      values.push(Math.fround((next() < 0.5 ? -1 : 1) * 2 ** (next() * 47 - 30)));
      // exact midpoints between neighbouring halves (the tie cases)
      const h = Math.floor(next() * 0x7bff);
      values.push(((positives[h] as number) + (positives[h + 1] as number)) / 2);
    }
    const input = Float32Array.from(values);
    const bits = writeF16Bits(input, 'F16');
    for (let i = 0; i < input.length; i++) {
      const want = nearest(input[i] as number);
      if (bits[i] !== want) assert.fail(`F16 of ${input[i]}: 0x${bits[i]!.toString(16)} != 0x${want.toString(16)}`);
    }
    const special = writeF16Bits(Float32Array.of(Infinity, -Infinity, Number.NaN), 'F16');
    assert.deepEqual(Array.from(special).slice(0, 2), [0x7c00, 0xfc00]);
    assert.equal(special[2]! & 0x7e00, 0x7e00);
  });

  test('BF16: exact widening, round-to-nearest-even narrowing, NaN kept', () => {
    const f = new Float32Array(6);
    const u = new Uint32Array(f.buffer);
    u.set([0x3f808000, 0x3f818000, 0x3f808001, 0x7f7fffff, 0x7f800001, 0xc0490fdb]);
    const bits = writeF16Bits(f, 'BF16');
    // tie -> even (0x3f80), tie -> even (0x3f82), above tie -> up, max rounds to inf, NaN stays NaN, -pi
    assert.deepEqual(Array.from(bits.subarray(0, 4)), [0x3f80, 0x3f82, 0x3f81, 0x7f80]);
    assert.ok((bits[4]! & 0x7f80) === 0x7f80 && (bits[4]! & 0x7f) !== 0);
    assert.equal(bits[5], 0xc049);
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const read = readSafetensors(craft({ b: { dtype: 'BF16', shape: [65536], data_offsets: [0, 131072] } }, bytesOf(all)));
    const wide = new Uint32Array((read.tensors.get('b')!.data as Float32Array).buffer);
    for (let i = 0; i < 65536; i++) if (wide[i] !== i << 16 >>> 0) assert.fail(`BF16 0x${i.toString(16)}`);
  });

  test('F8_E5M2 and F8_E4M3 (FN) widen to the values of their definitions', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const dtype of ['F8_E5M2', 'F8_E4M3'] as const) {
      const got = readSafetensors(craft({ f: { dtype, shape: [256], data_offsets: [0, 256] } }, all)).tensors.get('f')!.data as Float32Array;
      for (let b = 0; b < 256; b++) {
        const sign = b & 0x80 ? -1 : 1;
        let want: number;
        if (dtype === 'F8_E5M2') {
          const e = (b >> 2) & 0x1f;
          const m = b & 3;
          want = e === 31 ? (m ? Number.NaN : sign * Infinity) : e === 0 ? sign * (m / 4) * 2 ** -14 : sign * (1 + m / 4) * 2 ** (e - 15);
        } else {
          const e = (b >> 3) & 0xf;
          const m = b & 7;
          want = e === 15 && m === 7 ? Number.NaN : e === 0 ? sign * (m / 8) * 2 ** -6 : sign * (1 + m / 8) * 2 ** (e - 7);
        }
        assert.ok(Object.is(got[b], want) || (Number.isNaN(want) && Number.isNaN(got[b])), `${dtype} 0x${b.toString(16)}: ${got[b]} != ${want}`);
      }
    }
  });
});

describe('bad files give a FormatError naming the problem', () => {
  test('every truncation of a small file (each byte length below the full one) is an error, never a crash', () => {
    const full = smallFile();
    assert.equal(readSafetensors(full).tensors.size, 2);
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => readSafetensors(full.subarray(0, n)), isFormatError(), `truncated to ${n} bytes`);
    }
    // one extra byte at the end is an error too (the tensors must end exactly at the end)
    const longer = new Uint8Array(full.length + 1);
    longer.set(full);
    assert.throws(() => readSafetensors(longer), isFormatError(/cover \d+ data bytes but the file holds \d+/));
  });

  test('header length: too short a file, past the end, above the 100 MB cap, above 2^32', () => {
    assert.throws(() => readSafetensors(new Uint8Array(0)), isFormatError(/truncated file of 0 bytes: expected at least 8/));
    assert.throws(() => readSafetensors(new Uint8Array(7)), isFormatError(/7 bytes/));
    assert.throws(() => readSafetensors(craft('{}', 0, 100)), isFormatError(/header length 100 runs past the end of the file: expected at least 108 bytes, got 10/));
    assert.throws(() => readSafetensors(craft('{}', 0, 100_000_001)), isFormatError(/header length 100000001 exceeds the limit of 100000000/));
    const absurd = new Uint8Array(8).fill(0xff);
    assert.throws(() => readSafetensors(absurd), isFormatError(/header length 18446744073709551615 exceeds/));
    assert.throws(() => readSafetensors(craft('{}', 0, 2 ** 40)), isFormatError(/1099511627776/));
  });

  test('header text: invalid UTF-8, empty, not starting with {, invalid JSON, not an object', () => {
    const badUtf8 = craft('{"a":1}');
    badUtf8[10] = 0xff;
    assert.throws(() => readSafetensors(badUtf8), isFormatError(/not valid UTF-8/));
    assert.throws(() => readSafetensors(craft('')), isFormatError(/empty header/));
    assert.throws(() => readSafetensors(craft(' {}')), isFormatError(/starting with '\{'/));
    assert.throws(() => readSafetensors(craft('[]')), isFormatError(/starting with '\{'/));
    assert.throws(() => readSafetensors(craft('{"a":')), isFormatError(/not valid JSON/));
    assert.throws(() => readSafetensors(craft('{}}')), isFormatError(/not valid JSON/));
    // deep nesting is rejected, not a stack overflow
    const deep = `{"a":{"dtype":"F32","shape":${'['.repeat(200_000)}${']'.repeat(200_000)},"data_offsets":[0,0]}}`;
    assert.throws(() => readSafetensors(craft(deep)), isFormatError(/shape\[0\] expected an integer/));
    // A header of spaces after the object is fine (that is the padding).
    assert.equal(readSafetensors(craft('{}      ')).tensors.size, 0);
  });

  test('__proto__ and other inherited names cannot pollute prototypes or smuggle fields', () => {
    const t = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    const proto = readSafetensors(craft(`{"__proto__":${JSON.stringify(t)},"__metadata__":{"__proto__":"x","constructor":"y","polluted":"z"}}`, 4));
    assert.deepEqual([...proto.tensors.keys()], ['__proto__']);
    assert.equal(proto.metadata['__proto__'], 'x');
    assert.equal(proto.metadata['constructor'], 'y');
    assert.equal(Object.getPrototypeOf(proto.metadata), null);
    assert.deepEqual(Object.keys(proto.metadata), ['__proto__', 'constructor', 'polluted']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.throws(() => readSafetensors(craft('{"__proto__":{"polluted":"yes"}}')), isFormatError(/tensor "__proto__": dtype expected a string/));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // fields under a nested __proto__ are not inherited
    assert.throws(
      () => readSafetensors(craft('{"a":{"__proto__":{"dtype":"F32"},"shape":[1],"data_offsets":[0,4]}}', 4)),
      isFormatError(/"a": dtype expected a string, got nothing/),
    );
    assert.throws(() => readSafetensors(craft('{"toString":{"shape":[1]}}')), isFormatError(/"toString": dtype/));
  });

  test('tensor entries: dtype, shape and offsets are checked before any data is read', () => {
    const bad = (info: unknown, data = 4): Uint8Array => craft({ t: info }, data);
    const ok = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    const cases: [unknown, RegExp, number?][] = [
      [1, /"t": expected an object \{dtype, shape, data_offsets\}, got 1/],
      [[1, 2], /expected an object/],
      [null, /expected an object.*null/],
      [{ ...ok, dtype: undefined }, /dtype expected a string, got nothing/],
      [{ ...ok, dtype: 'F4' }, /unsupported dtype "F4"/],
      [{ ...ok, dtype: 4 }, /dtype expected a string, got 4/],
      [{ ...ok, shape: 1 }, /shape expected an array of integers >= 0, got 1/],
      [{ ...ok, shape: [-1] }, /shape\[0\] expected an integer >= 0, got -1/],
      [{ ...ok, shape: [1.5] }, /shape\[0\] expected an integer >= 0, got 1\.5/],
      [{ ...ok, shape: ['1'] }, /shape\[0\].*"1"/],
      [{ ...ok, shape: [1e300] }, /shape\[0\]/],
      [{ ...ok, shape: [2 ** 30, 2 ** 30, 2 ** 30] }, /overflows \(more than 2\^53 elements\)/],
      [{ ...ok, dtype: 'F64', shape: [2 ** 51] }, /overflows \(more than 2\^53 bytes\)/],
      [{ ...ok, data_offsets: [0] }, /data_offsets expected \[begin, end\]/],
      [{ ...ok, data_offsets: [0, 4, 8] }, /data_offsets expected/],
      [{ ...ok, data_offsets: [-4, 0] }, /data_offsets expected/],
      [{ ...ok, data_offsets: [0, 4.5] }, /data_offsets expected/],
      [{ ...ok, data_offsets: '0,4' }, /data_offsets expected/],
      [{ ...ok, data_offsets: [4, 0] }, /data_offsets \[4, 0\] end before they begin/],
      [{ ...ok, data_offsets: [0, 8] }, /run past the end of the data: expected end <= 4/],
      [{ ...ok, shape: [10 ** 15], data_offsets: [0, 4 * 10 ** 15] }, /run past the end of the data/],
      [{ ...ok, shape: [2] }, /F32 \[2\] needs 8 bytes but data_offsets \[0, 4\] hold 4/],
      [{ ...ok, shape: [1], data_offsets: [0, 3] }, /needs 4 bytes but data_offsets \[0, 3\] hold 3/, 3],
    ];
    for (const [info, pattern, data] of cases) {
      assert.throws(() => readSafetensors(bad(info, data)), isFormatError(pattern), JSON.stringify(info));
    }
    // the same checks run in readSafetensorsHeader
    assert.throws(() => readSafetensorsHeader(bad({ ...ok, dtype: 'C64' })), isFormatError(/unsupported dtype "C64"/));
    // zero-sized tensors are fine anywhere on a boundary
    assert.equal(readSafetensors(craft({ a: ok, e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] } }, 4)).tensors.size, 2);
  });

  test('offsets must tile the data: overlap, gap, trailing bytes', () => {
    const f = (offsets: [number, number], shape = [1]) => ({ dtype: 'F32', shape, data_offsets: offsets });
    assert.throws(() => readSafetensors(craft({ a: f([0, 8], [2]), b: f([4, 8]) }, 8)), isFormatError(/"b" data_offsets \[4, 8\] overlap tensor "a", which ends at 8/));
    assert.throws(() => readSafetensors(craft({ a: f([0, 4]), b: f([0, 4]) }, 4)), isFormatError(/overlap/));
    assert.throws(() => readSafetensors(craft({ a: f([0, 4]), b: f([8, 12]) }, 12)), isFormatError(/"b" starts at 8 but the previous tensor ends at 4.*4 unclaimed bytes/));
    assert.throws(() => readSafetensors(craft({ a: f([4, 8]) }, 8)), isFormatError(/"a" starts at 4 but the previous tensor ends at 0/));
    assert.throws(() => readSafetensors(craft({ a: f([0, 4]) }, 6)), isFormatError(/cover 4 data bytes but the file holds 6/));
    assert.throws(() => readSafetensors(craft({}, 1)), isFormatError(/cover 0 data bytes but the file holds 1/));
    // out of order in the header is fine: order comes from the offsets
    const file = readSafetensors(craft({ b: f([4, 8]), a: f([0, 4]) }, 8));
    assert.deepEqual([...file.tensors.keys()], ['a', 'b']);
  });

  test('__metadata__ must be a map of strings (null is accepted as empty)', () => {
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"a":1}}')), isFormatError(/__metadata__ values must be strings, got 1 for key "a"/));
    assert.throws(() => readSafetensors(craft('{"__metadata__":{"a":{"b":"c"}}}')), isFormatError(/values must be strings/));
    assert.throws(() => readSafetensors(craft('{"__metadata__":"pt"}')), isFormatError(/__metadata__ must be an object of strings, got "pt"/));
    assert.throws(() => readSafetensors(craft('{"__metadata__":["a"]}')), isFormatError(/must be an object/));
    assert.deepEqual({ ...readSafetensors(craft('{"__metadata__":null}')).metadata }, {});
  });

  test('seeded fuzz: mutated, truncated and spliced files either read or throw FormatError', () => {
    const base = smallFile();
    const next = rng(2024);
    const int = (n: number): number => Math.floor(next() * n);
    const interesting = [0x00, 0xff, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x2d, 0x30, 0x39, 0x20];
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      let bytes = base.slice();
      const kind = i % 4;
      if (kind === 0) {
        for (let k = 0, n = 1 + int(4); k < n; k++) bytes[int(bytes.length)] = int(256);
      } else if (kind === 1) {
        // mutate inside the header text with JSON-significant bytes
        const headerEnd = 8 + readSafetensorsHeader(base).headerLength;
        bytes[8 + int(headerEnd - 8)] = interesting[int(interesting.length)] as number;
      } else if (kind === 2) {
        bytes = bytes.subarray(0, int(bytes.length + 1));
        if (bytes.length >= 8 && next() < 0.5) bytes[int(8)] = int(256);
      } else {
        const at = int(bytes.length);
        const spliced = new Uint8Array(bytes.length + 1 + int(8));
        spliced.set(bytes.subarray(0, at));
        spliced.set(bytes.subarray(at), spliced.length - (bytes.length - at));
        bytes = spliced;
      }
      try {
        const file = readSafetensors(bytes);
        for (const t of file.tensors.values()) assert.ok(t.data.length === t.shape.reduce((p, d) => p * d, 1));
        ok++;
      } catch (e) {
        if (!(e instanceof FormatError)) assert.fail(`case ${i}: ${String(e)}`);
      }
    }
    assert.ok(ok > 0, 'some mutations (in the data) still read');
  });

  test('input as a Node Buffer (a plain Uint8Array in a page) at a non-zero byteOffset, or an ArrayBuffer', () => {
    const file = smallFile();
    const pool = inNode ? Buffer.alloc(file.length + 3) : new Uint8Array(file.length + 3);
    pool.set(file, 3);
    const view = pool.subarray(3);
    const a = readSafetensors(view);
    const b = readSafetensors(file.slice().buffer);
    assert.deepEqual(a.tensors.get('w')!.data, Float32Array.of(1, -2, 3.5, 0, -0, 1e-30));
    assert.deepEqual(b.tensors.get('ids')!.data, Int32Array.of(7, -1, 2147483647));
    assert.throws(() => readSafetensors([1, 2, 3] as never), (e: Error) => e instanceof InvalidArgumentError && /`bytes`/.test(e.message));
  });
});

describe('writing rejects bad tensors with InvalidArgumentError', () => {
  const f = Float32Array.of(1, 2, 3, 4);
  const cases: [string, () => unknown, RegExp][] = [
    ['shape/data mismatch', () => writeSafetensors({ w: { shape: [3], data: f } }), /"w": shape \[3\] holds 3 elements, expected data.length, got 4/],
    ['negative dim', () => writeSafetensors({ w: { shape: [-4], data: f } }), /shape\[0\] expected an integer >= 0, got -4/],
    ['non-integer dim', () => writeSafetensors({ w: { shape: [2, 2.5], data: f } }), /shape\[1\] expected an integer >= 0, got 2\.5/],
    ['dtype mismatch', () => writeSafetensors({ w: { dtype: 'I32', shape: [4], data: f } }), /dtype I32 cannot be written from a Float32Array/],
    ['unknown dtype', () => writeSafetensors({ w: { dtype: 'F4' as never, shape: [4], data: f } }), /dtype expected one of/],
    ['F8 write', () => writeSafetensors({ w: { dtype: 'F8_E4M3', shape: [4], data: f } }), /F8_E4M3 cannot be written/],
    ['reserved name', () => writeSafetensors({ __metadata__: { shape: [4], data: f } }), /'__metadata__'/],
    ['lone surrogate', () => writeSafetensors({ ['a\ud800']: { shape: [4], data: f } }), /well-formed/],
    ['not a typed array', () => writeSafetensors({ w: { shape: [4], data: [1, 2, 3, 4] as never } }), /data expected a numeric typed array/],
    ['BOOL not 0/1', () => writeSafetensors({ w: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 2) } }), /BOOL data expected 0 or 1, got 2 at index 1/],
    ['metadata value', () => writeSafetensors({}, { a: 1 as never }), /`metadata` expected well-formed string values, got 1 for key "a"/],
    ['metadata type', () => writeSafetensors({}, 'pt' as never), /`metadata` expected a Map or an object/],
    ['tensors type', () => writeSafetensors(null as never), /`tensors` expected/],
  ];
  for (const [name, run, pattern] of cases) {
    test(name, () => {
      assert.throws(run, (e: Error) => e instanceof InvalidArgumentError && pattern.test(e.message) || assert.fail(e.message));
    });
  }

  test('Map inputs and names that look like numbers keep their sorted order', () => {
    const out = writeSafetensors(
      new Map<string, WritableTensor>([
        ['10', { shape: [1], data: Float32Array.of(1) }],
        ['2', { shape: [1], data: Float32Array.of(2) }],
      ]),
      new Map([['b', '1'], ['a', '2']]),
    );
    const text = dec.decode(out.subarray(8, 8 + readSafetensorsHeader(out).headerLength)).trimEnd();
    assert.equal(text, '{"__metadata__":{"a":"2","b":"1"},"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"2":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}');
    const back = readSafetensors(out);
    assert.deepEqual([...back.tensors.keys()], ['10', '2']);
    const t = back.tensors.get('2') as SafetensorsTensor;
    assert.deepEqual(t.data, Float32Array.of(2));
  });
});
