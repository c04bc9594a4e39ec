/**
 * The safetensors format (huggingface/safetensors), read and written in plain TypeScript:
 *
 *   bytes 0..8        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      the header: UTF-8 JSON object starting with `{` (writers pad it with
 *                     spaces to a multiple of 8), `name -> {dtype, shape, data_offsets}` plus an
 *                     optional `__metadata__` map of strings
 *   bytes 8+N..       the data: each tensor's elements, row-major, little-endian, at
 *                     `data_offsets = [begin, end)` relative to the start of the data
 *
 * Reading validates like the reference implementation (and is meant to survive fuzzing): the
 * header length is checked against the file and a 100 MB cap before anything is decoded, the
 * JSON is parsed into Maps and null-prototype objects (a `__proto__` key is just a name),
 * every dtype, shape and offset is checked, the tensors must tile the data exactly (no gap,
 * no overlap, nothing after the last), and only then are the tensors copied out. Any
 * violation throws a {@link FormatError} naming the tensor and what is wrong.
 *
 * Writing is deterministic and byte-identical to the Python/Rust library's `serialize` for
 * the same tensors and metadata: tensors ordered by dtype (widest alignment first, the
 * library's enum order) then by name, `__metadata__` first with its keys sorted, compact
 * JSON, the header padded with spaces to 8 bytes.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  bf16BitsToF32Bits,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f8e4m3Table,
  f8e5m2ToF32Bits,
} from './float-formats.js';
import { FormatError } from './format-error.js';
import { type PathOrUrl, readBytes } from './files.js';

/** Element types of safetensors files, in the reference library's order (increasing alignment). */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;

/** An element type of a safetensors file. */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The typed arrays tensors are read into and written from. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor read from a file. `dtype` is the type stored in the file; `data` is a copy in
 * native order: Float32Array for F32 and for F16, BF16, F8_E5M2, F8_E4M3 (widened exactly),
 * Float64Array for F64, Int32Array for I32, BigInt64Array for I64 (Int32Array with
 * `int64: 'int32'`), Uint8Array for U8 and BOOL, and the matching typed array for the others.
 */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** A tensor entry of a header, before any data is read. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** `[begin, end)` in bytes, relative to the start of the data (after the header). */
  dataOffsets: [number, number];
}

/** The validated header of a file. */
export interface SafetensorsHeader {
  /** N, the header's length in bytes; the data starts at byte `8 + N`. */
  headerLength: number;
  /** Tensor infos by name, in order of their data. */
  tensors: Map<string, SafetensorsTensorInfo>;
  /** The `__metadata__` strings (an object with a null prototype; empty when absent). */
  metadata: Record<string, string>;
}

/** A file's tensors and metadata. */
export interface SafetensorsFile {
  /** Tensors by name, in order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` strings (an object with a null prototype; empty when absent). */
  metadata: Record<string, string>;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * How I64 tensors are returned: `'bigint'` (default) as BigInt64Array; `'int32'` as
   * Int32Array, throwing a {@link FormatError} if a value does not fit (handy for token ids
   * and embedding indices saved by PyTorch, whose integer default is int64).
   */
  int64?: 'bigint' | 'int32';
}

/** A tensor to write. `dtype` defaults from the array type (see {@link writeSafetensors}). */
export interface WritableTensor {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: TensorData;
}

/** The reference library's cap on the header length. */
export const MAX_HEADER_LENGTH = 100_000_000;

const DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses and validates the header of a safetensors file held in `bytes`, without reading any
 * tensor data. Throws {@link FormatError} if the file is not valid (see the module comment).
 */
export function readSafetensorsHeader(bytes: Uint8Array | ArrayBuffer): SafetensorsHeader {
  const view = asBytes('readSafetensorsHeader', bytes);
  const total = view.byteLength;
  if (total < 8) {
    throw new FormatError(`safetensors: truncated file of ${total} bytes: expected at least 8 (the header length)`);
  }
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_LENGTH) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    throw new FormatError(
      `safetensors: header length ${n} exceeds the limit of ${MAX_HEADER_LENGTH} bytes (corrupt or not a safetensors file)`,
    );
  }
  const n = lo;
  if (8 + n > total) {
    throw new FormatError(`safetensors: header length ${n} runs past the end of the file: expected at least ${8 + n} bytes, got ${total} (truncated?)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(view.subarray(8, 8 + n));
  } catch {
    throw new FormatError(`safetensors: the ${n}-byte header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    throw new FormatError(`safetensors: the header must be a JSON object starting with '{', got ${n === 0 ? 'an empty header' : JSON.stringify(text.slice(0, 16))}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`safetensors: the header is not valid JSON: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!isPlainObject(parsed)) {
    throw new FormatError('safetensors: the header must be a JSON object');
  }

  const dataLength = total - 8 - n;
  const entries: [string, SafetensorsTensorInfo][] = [];
  const metadata = Object.create(null) as Record<string, string>;
  // Own enumerable keys only; JSON.parse defines `__proto__` as an own data property, so it is
  // an ordinary name here, and nothing is ever assigned onto an object with a prototype.
  for (const key of Object.keys(parsed)) {
    const value: unknown = (parsed as Record<string, unknown>)[key];
    if (key === '__metadata__') {
      readMetadata(value, metadata);
    } else {
      entries.push([key, readInfo(key, value, dataLength)]);
    }
  }

  // The tensors must tile [0, dataLength) exactly, in order of their offsets.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let expected = 0;
  let previous = '';
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    if (begin < expected) {
      throw new FormatError(
        `safetensors: tensor ${JSON.stringify(name)} data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(previous)}, which ends at ${expected}`,
      );
    }
    if (begin > expected) {
      throw new FormatError(
        `safetensors: tensor ${JSON.stringify(name)} starts at ${begin} but the previous tensor ends at ${expected}: expected contiguous data_offsets (${begin - expected} unclaimed bytes)`,
      );
    }
    expected = end;
    previous = name;
  }
  if (expected !== dataLength) {
    throw new FormatError(
      `safetensors: the tensors cover ${expected} data bytes but the file holds ${dataLength} after the header: expected them to end exactly at the end of the file`,
    );
  }
  return { headerLength: n, tensors: new Map(entries), metadata };
}

/**
 * Reads a safetensors file held in `bytes`: every tensor (copied out, converted to a native
 * typed array as {@link SafetensorsTensor} says) and the metadata. Throws
 * {@link FormatError} if the file is not valid; nothing is allocated for tensor data until
 * the whole header has been validated.
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const int64 = options.int64 ?? 'bigint';
  if (int64 !== 'bigint' && int64 !== 'int32') {
    throw new InvalidArgumentError(`readSafetensors: option \`int64\` expected 'bigint' or 'int32', got ${String(int64)}`);
  }
  const view = asBytes('readSafetensors', bytes);
  const header = readSafetensorsHeader(view);
  const start = 8 + header.headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, info] of header.tensors) {
    const raw = view.subarray(start + info.dataOffsets[0], start + info.dataOffsets[1]);
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data: decode(name, info.dtype, raw, int64) });
  }
  return { tensors, metadata: header.metadata };
}

/** Reads the safetensors file at `pathOrUrl` (see `readBytes` and {@link readSafetensors}). */
export async function loadSafetensors(pathOrUrl: PathOrUrl, options: ReadSafetensorsOptions = {}): Promise<SafetensorsFile> {
  return readSafetensors(await readBytes(pathOrUrl), options);
}

function readMetadata(value: unknown, out: Record<string, string>): void {
  if (value === null) return; // the reference reader accepts a null map
  if (!isPlainObject(value)) {
    throw new FormatError(`safetensors: __metadata__ must be an object of strings, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string') {
      throw new FormatError(`safetensors: __metadata__ values must be strings, got ${describe(v)} for key ${JSON.stringify(key)}`);
    }
    out[key] = v;
  }
}

function readInfo(name: string, value: unknown, dataLength: number): SafetensorsTensorInfo {
  const where = `safetensors: tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(value)) {
    throw new FormatError(`${where}: expected an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  }
  const field = (key: string): unknown => (Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined);
  const dtype = field('dtype');
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    throw new FormatError(
      `${where}: ${typeof dtype === 'string' ? `unsupported dtype ${JSON.stringify(dtype)}` : `dtype expected a string, got ${describe(dtype)}`} (supported: ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  const shapeValue = field('shape');
  if (!Array.isArray(shapeValue)) {
    throw new FormatError(`${where}: shape expected an array of integers >= 0, got ${describe(shapeValue)}`);
  }
  const shape: number[] = [];
  let elements = 1;
  for (let i = 0; i < shapeValue.length; i++) {
    const d: unknown = shapeValue[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new FormatError(`${where}: shape[${i}] expected an integer >= 0, got ${describe(d)}`);
    }
    elements *= d;
    if (elements > Number.MAX_SAFE_INTEGER) {
      throw new FormatError(`${where}: shape [${shapeValue.join(', ')}] overflows (more than 2^53 elements)`);
    }
    shape.push(d);
  }
  const size = DTYPE_SIZE[dtype as SafetensorsDtype];
  const byteLength = elements * size;
  if (byteLength > Number.MAX_SAFE_INTEGER) {
    throw new FormatError(`${where}: shape [${shape.join(', ')}] of ${dtype} overflows (more than 2^53 bytes)`);
  }
  const offsets = field('data_offsets');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o: unknown) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new FormatError(`${where}: data_offsets expected [begin, end] with integers >= 0, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new FormatError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  }
  if (end > dataLength) {
    throw new FormatError(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the data: expected end <= ${dataLength} (the file holds ${dataLength} bytes after the header)`,
    );
  }
  if (end - begin !== byteLength) {
    throw new FormatError(
      `${where}: ${dtype} [${shape.join(', ')}] needs ${byteLength} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { dtype: dtype as SafetensorsDtype, shape, dataOffsets: [begin, end] };
}

/** A copy of `raw` (little-endian elements of `dtype`) as a native typed array. */
function decode(name: string, dtype: SafetensorsDtype, raw: Uint8Array, int64: 'bigint' | 'int32'): TensorData {
  switch (dtype) {
    case 'BOOL':
    case 'U8':
      return raw.slice();
    case 'I8':
      return new Int8Array(raw.slice().buffer);
    case 'I16':
      return new Int16Array(nativeCopy(raw, 2));
    case 'U16':
      return new Uint16Array(nativeCopy(raw, 2));
    case 'I32':
      return new Int32Array(nativeCopy(raw, 4));
    case 'U32':
      return new Uint32Array(nativeCopy(raw, 4));
    case 'F32':
      return new Float32Array(nativeCopy(raw, 4));
    case 'F64':
      return new Float64Array(nativeCopy(raw, 8));
    case 'U64':
      return new BigUint64Array(nativeCopy(raw, 8));
    case 'I64': {
      const wide = new BigInt64Array(nativeCopy(raw, 8));
      if (int64 === 'bigint') return wide;
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i] as bigint;
        if (v < -2147483648n || v > 2147483647n) {
          throw new FormatError(
            `safetensors: tensor ${JSON.stringify(name)} element ${i} = ${v} does not fit in int32 (read with int64: 'int32'; use 'bigint')`,
          );
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'F16':
    case 'BF16': {
      const halves = new Uint16Array(nativeCopy(raw, 2));
      const out = new Float32Array(halves.length);
      const bits = new Uint32Array(out.buffer);
      const widen = dtype === 'F16' ? f16BitsToF32Bits : bf16BitsToF32Bits;
      for (let i = 0; i < halves.length; i++) bits[i] = widen(halves[i] as number);
      return out;
    }
    case 'F8_E5M2': {
      const out = new Float32Array(raw.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < raw.length; i++) bits[i] = f8e5m2ToF32Bits(raw[i] as number);
      return out;
    }
    case 'F8_E4M3': {
      const table = f8e4m3Table();
      const out = new Float32Array(raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = table[raw[i] as number] as number;
      return out;
    }
  }
}

/** A fresh, aligned buffer with the elements of `raw` in native byte order. */
function nativeCopy(raw: Uint8Array, size: number): ArrayBuffer {
  const copy = raw.slice();
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return copy.buffer;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serializes `tensors` (and `metadata`, a map of strings, written as `__metadata__` when
 * given) to the bytes of a safetensors file.
 *
 * `dtype` defaults from the array: Float32Array -> F32, Float64Array -> F64, Int32Array ->
 * I32, BigInt64Array -> I64, Uint8Array -> U8, and likewise for the other integer arrays.
 * Conversions on request: F16 and BF16 from a Float32Array (rounded to nearest even), I64
 * from an Int32Array, BOOL from a Uint8Array of 0s and 1s. The data are copied; the inputs
 * are not modified. Throws {@link InvalidArgumentError} when a name is `__metadata__`
 * (reserved) or not well-formed Unicode, a shape is not integers >= 0 or does not match the
 * data length, a dtype does not go with its array, or a metadata value is not a string.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, WritableTensor> | Readonly<Record<string, WritableTensor>>,
  metadata?: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): Uint8Array {
  const fn = 'writeSafetensors';
  if (typeof tensors !== 'object' || tensors === null) {
    throw new InvalidArgumentError(`${fn}: argument \`tensors\` expected a Map or an object of tensors, got ${describe(tensors)}`);
  }
  const list: [string, WritableTensor][] =
    tensors instanceof Map ? Array.from(tensors as ReadonlyMap<string, WritableTensor>) : Object.entries(tensors);
  const prepared = list.map(([name, tensor]) => prepareTensor(fn, name, tensor));
  prepared.sort((a, b) => (DTYPE_RANK.get(b.dtype) as number) - (DTYPE_RANK.get(a.dtype) as number) || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) {
      throw new InvalidArgumentError(`${fn}: argument \`metadata\` expected a Map or an object of strings, got ${describe(metadata)}`);
    }
    const pairs: [string, unknown][] =
      metadata instanceof Map ? Array.from(metadata as ReadonlyMap<string, unknown>) : Object.entries(metadata);
    for (const [key, value] of pairs) {
      if (typeof key !== 'string' || !isWellFormed(key)) {
        throw new InvalidArgumentError(`${fn}: argument \`metadata\` expected well-formed string keys, got ${describe(key)}`);
      }
      if (typeof value !== 'string' || !isWellFormed(value)) {
        throw new InvalidArgumentError(`${fn}: argument \`metadata\` expected well-formed string values, got ${describe(value)} for key ${JSON.stringify(key)}`);
      }
    }
    pairs.sort((a, b) => compareCodePoints(a[0], b[0]));
    parts.push(`"__metadata__":{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of prepared) {
    const end = offset + t.bytes.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const total = 8 + headerLength + offset;
  let out: Uint8Array;
  try {
    out = new Uint8Array(total);
  } catch (e) {
    throw new InvalidArgumentError(`${fn}: the file would be ${total} bytes, more than this runtime can allocate`, { cause: e });
  }
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLength % 4294967296, true);
  dv.setUint32(4, Math.floor(headerLength / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of prepared) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

interface PreparedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The little-endian bytes to write. */
  bytes: Uint8Array;
}

function prepareTensor(fn: string, name: unknown, tensor: unknown): PreparedTensor {
  if (typeof name !== 'string' || !isWellFormed(name)) {
    throw new InvalidArgumentError(`${fn}: expected tensor names to be well-formed strings, got ${describe(name)}`);
  }
  const where = `${fn}: tensor ${JSON.stringify(name)}`;
  if (name === '__metadata__') {
    throw new InvalidArgumentError(`${where}: expected a name other than '__metadata__' (reserved for the metadata map)`);
  }
  if (!isObject(tensor)) {
    throw new InvalidArgumentError(`${where}: expected { shape, data, dtype? }, got ${describe(tensor)}`);
  }
  const { data, shape, dtype: given } = tensor as { data?: unknown; shape?: unknown; dtype?: unknown };
  const natural = dtypeOfArray(data);
  if (natural === undefined) {
    throw new InvalidArgumentError(`${where}: data expected a numeric typed array, got ${describe(data)}`);
  }
  const array = data as TensorData;
  if (!Array.isArray(shape) || !shape.every((d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidArgumentError(`${where}: shape expected an array of integers >= 0, got ${describe(shape)}`);
  }
  const elements = (shape as number[]).reduce((p, d) => p * d, 1);
  if (elements !== array.length) {
    throw new InvalidArgumentError(`${where}: shape [${shape.join(', ')}] holds ${elements} elements, expected data.length, got ${array.length}`);
  }
  const dtype = given === undefined ? natural : given;
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    throw new InvalidArgumentError(`${where}: dtype expected one of ${SAFETENSORS_DTYPES.join(', ')}, got ${describe(dtype)}`);
  }
  const bytes = encode(where, dtype as SafetensorsDtype, natural, array);
  return { name, dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), bytes };
}

/** The little-endian bytes of `array` stored as `dtype`. */
function encode(where: string, dtype: SafetensorsDtype, natural: SafetensorsDtype, array: TensorData): Uint8Array {
  if (dtype === natural) return littleEndianBytes(array);
  if (dtype === 'BOOL' && array instanceof Uint8Array) {
    const bad = array.findIndex((v) => v > 1);
    if (bad >= 0) throw new InvalidArgumentError(`${where}: BOOL data expected 0 or 1, got ${array[bad]} at index ${bad}`);
    return array.slice();
  }
  if ((dtype === 'F16' || dtype === 'BF16') && array instanceof Float32Array) {
    const bits = new Uint32Array(array.buffer, array.byteOffset, array.length);
    const halves = new Uint16Array(array.length);
    const narrow = dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
    for (let i = 0; i < array.length; i++) halves[i] = narrow(bits[i] as number);
    return littleEndianBytes(halves);
  }
  if (dtype === 'I64' && array instanceof Int32Array) {
    const wide = new BigInt64Array(array.length);
    for (let i = 0; i < array.length; i++) wide[i] = BigInt(array[i] as number);
    return littleEndianBytes(wide);
  }
  throw new InvalidArgumentError(
    `${where}: dtype ${dtype} cannot be written from a ${array.constructor.name} (expected ${natural}; conversions: F16/BF16 from Float32Array, I64 from Int32Array, BOOL from Uint8Array)`,
  );
}

function littleEndianBytes(array: TensorData): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
  if (!LITTLE_ENDIAN && array.BYTES_PER_ELEMENT > 1) {
    const size = array.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  return bytes;
}

function dtypeOfArray(data: unknown): SafetensorsDtype | undefined {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function asBytes(fn: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new InvalidArgumentError(`${fn}: argument \`bytes\` expected a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function isPlainObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Order of UTF-8 bytes (= code points), as Rust compares `String`s. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** No lone surrogates (those have no UTF-8 form). */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    const shown = v.slice(0, 8).map((x: unknown) => (typeof x === 'object' && x !== null ? '...' : typeof x === 'string' ? JSON.stringify(x) : String(x)));
    return `[${shown.join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}
