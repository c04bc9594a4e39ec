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
 * tensors are counted (at most {@link MAX_TENSORS}) before the JSON is parsed, a key repeated
 * within an object is refused (JSON.parse would silently keep the last), the JSON is parsed
 * into Maps and null-prototype objects (a `__proto__` key is just a name), every name, dtype,
 * shape and offset is checked by the rules the writer also follows (`safetensors-rules.ts`),
 * the tensors must tile the data exactly (no gap, no overlap, nothing after the last), and
 * only then are the tensors copied out. Any violation throws a {@link FormatError} naming the
 * tensor and what is wrong.
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
import { type PathOrUrl, readIn, withReadSession } from './files.js';
import type { ReadOptions } from './read-session.js';
import { scanJson } from './json-scan.js';
import {
  checkShape,
  describe,
  DTYPE_RANK,
  MAX_HEADER_LENGTH,
  MAX_TENSORS,
  METADATA_KEY,
  metadataStringProblem,
  nameProblem,
  quote,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  tensorCountProblem,
} from './safetensors-rules.js';

export { MAX_HEADER_LENGTH, MAX_TENSORS, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-rules.js';

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
  const n = headerLength(view, total);
  if (n === undefined) {
    throw new FormatError(`safetensors: truncated file of ${total} bytes: expected at least 8 (the header length)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(view.subarray(8, 8 + n));
  } catch {
    throw new FormatError(`safetensors: the ${n}-byte header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw notAnObject(text);
  // Counted before parsing: a header of a million tensors is refused without building them.
  const scan = scanJson(text, { maxOuterKeys: MAX_TENSORS, ignoreKey: METADATA_KEY });
  if (scan.tooManyKeys) throw new FormatError(`safetensors: the header holds ${tensorCountProblem(MAX_TENSORS + 1)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`safetensors: the header is not valid JSON: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!isPlainObject(parsed)) {
    throw new FormatError('safetensors: the header must be a JSON object');
  }
  if (scan.duplicate) {
    // JSON.parse keeps the last of repeated keys; a file whose meaning depends on that is refused.
    const { key, path } = scan.duplicate;
    const where =
      path.length === 0
        ? key === METADATA_KEY
          ? `${METADATA_KEY} appears twice`
          : `tensor name ${quote(key)} appears twice`
        : path.length === 1 && path[0] === METADATA_KEY
          ? `metadata key ${quote(key)} appears twice`
          : `the key ${quote(key)} appears twice in ${path.map(quote).join(' > ')}`;
    throw new FormatError(`safetensors: ${where} in the header (JSON readers disagree on which one counts)`);
  }

  const dataLength = total - 8 - n;
  const entries: [string, SafetensorsTensorInfo][] = [];
  const metadata = Object.create(null) as Record<string, string>;
  // Own enumerable keys only; JSON.parse defines `__proto__` as an own data property, so it is
  // an ordinary name here, and nothing is ever assigned onto an object with a prototype.
  for (const key of Object.keys(parsed)) {
    const value: unknown = (parsed as Record<string, unknown>)[key];
    if (key === METADATA_KEY) {
      readMetadata(value, metadata);
    } else {
      const problem = nameProblem(key);
      if (problem !== undefined) throw new FormatError(`safetensors: tensor names ${problem}`);
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
        `safetensors: tensor ${quote(name)} data_offsets [${begin}, ${end}] overlap tensor ${quote(previous)}, which ends at ${expected}`,
      );
    }
    if (begin > expected) {
      throw new FormatError(
        `safetensors: tensor ${quote(name)} starts at ${begin} but the previous tensor ends at ${expected}: expected contiguous data_offsets (${begin - expected} unclaimed bytes)`,
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
 * N from the first 8 bytes of `view`, or undefined when fewer than 8 bytes are there; throws
 * {@link FormatError} when N is beyond {@link MAX_HEADER_LENGTH}, or beyond `total` (the
 * file's full length) when that is known.
 */
function headerLength(view: Uint8Array, total: number | undefined): number | undefined {
  if (view.byteLength < 8) return undefined;
  const dv = new DataView(view.buffer, view.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_LENGTH) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    throw new FormatError(`safetensors: header length ${n} exceeds the limit of ${MAX_HEADER_LENGTH} bytes (corrupt or not a safetensors file)`);
  }
  if (total !== undefined && 8 + lo > total) {
    throw new FormatError(`safetensors: header length ${lo} runs past the end of the file: expected at least ${8 + lo} bytes, got ${total} (truncated?)`);
  }
  return lo;
}

function notAnObject(text: string): FormatError {
  return new FormatError(`safetensors: the header must be a JSON object starting with '{', got ${text.length === 0 ? 'an empty header' : JSON.stringify(text.slice(0, 16))}`);
}

/**
 * @internal Checks the start of a file as it arrives, so a download that cannot be a
 * safetensors file stops after its first bytes: the header length (against the limit and
 * `total`, the declared length, when known) and the `{` that opens the header. Returns true
 * once there was enough to check (later bytes need not be shown), false to be called again
 * with more; throws {@link FormatError}.
 */
export function checkSafetensorsStart(head: Uint8Array, total: number | undefined): boolean {
  const n = headerLength(head, total);
  if (n === undefined) return false;
  if (n === 0) throw notAnObject('');
  if (head.byteLength < 9) return false;
  if (head[8] !== 0x7b) throw notAnObject(new TextDecoder().decode(head.subarray(8, Math.min(head.byteLength, 8 + n, 24))));
  return true;
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

/**
 * Reads the safetensors file at `pathOrUrl` (see `readBytes` and {@link readSafetensors}),
 * under the limits of {@link ReadOptions} (`signal`, `timeoutMs`, `maxBytes`). The header
 * length in the first 8 bytes is checked as soon as they arrive: a download that cannot be a
 * safetensors file stops there with a {@link FormatError}.
 */
export async function loadSafetensors(pathOrUrl: PathOrUrl, options: ReadSafetensorsOptions & ReadOptions = {}): Promise<SafetensorsFile> {
  const fn = 'loadSafetensors';
  const bytes = await withReadSession(fn, options, (session) => readIn(session, fn, pathOrUrl, checkSafetensorsStart), LOAD_OPTION_KEYS);
  return readSafetensors(bytes, options.int64 === undefined ? {} : { int64: options.int64 });
}

const LOAD_OPTION_KEYS = ['int64', 'signal', 'timeoutMs', 'maxBytes'];

function readMetadata(value: unknown, out: Record<string, string>): void {
  if (value === null) return; // the reference reader accepts a null map
  if (!isPlainObject(value)) {
    throw new FormatError(`safetensors: __metadata__ must be an object of strings, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string') {
      throw new FormatError(`safetensors: __metadata__ values must be strings, got ${describe(v)} for key ${quote(key)}`);
    }
    const problem = metadataStringProblem(key) ?? metadataStringProblem(v);
    if (problem !== undefined) throw new FormatError(`safetensors: __metadata__ key ${quote(key)}: ${problem}`);
    out[key] = v;
  }
}

function readInfo(name: string, value: unknown, dataLength: number): SafetensorsTensorInfo {
  const where = `safetensors: tensor ${quote(name)}`;
  if (!isPlainObject(value)) {
    throw new FormatError(`${where}: expected an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  }
  const field = (key: string): unknown => (Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined);
  const dtype = field('dtype');
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    throw new FormatError(
      `${where}: ${typeof dtype === 'string' ? `unsupported dtype ${quote(dtype)}` : `dtype expected a string, got ${describe(dtype)}`} (supported: ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  const checked = checkShape(dtype as SafetensorsDtype, field('shape'));
  if (typeof checked === 'string') throw new FormatError(`${where}: ${checked}`);
  const { shape, byteLength } = checked;
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
 * are not modified. Throws {@link InvalidArgumentError} for anything the reader would refuse
 * (the same rules, in `safetensors-rules.ts`): a name that is `__metadata__` (reserved) or not
 * well-formed Unicode, a shape that is not integers >= 0 or whose running product passes 2^53
 * (`[2^40, 2^40, 0]`), more than {@link MAX_TENSORS} tensors, a header longer than
 * {@link MAX_HEADER_LENGTH}, a metadata key or value that is not a well-formed string; and when
 * a shape does not match the data length or a dtype does not go with its array.
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
  const tooMany = tensorCountProblem(list.length);
  if (tooMany !== undefined) throw new InvalidArgumentError(`${fn}: argument \`tensors\` holds ${list.length} tensors, ${tooMany}`);
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
      if (metadataStringProblem(key) !== undefined) {
        throw new InvalidArgumentError(`${fn}: argument \`metadata\` expected well-formed string keys, got ${describe(key)}`);
      }
      if (metadataStringProblem(value) !== undefined) {
        throw new InvalidArgumentError(`${fn}: argument \`metadata\` expected well-formed string values, got ${describe(value)} for key ${quote(key as string)}`);
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
  if (headerLength > MAX_HEADER_LENGTH) {
    throw new InvalidArgumentError(`${fn}: the header would be ${headerLength} bytes, more than readers accept (${MAX_HEADER_LENGTH}); use fewer tensors or shorter names and metadata`);
  }
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
  const problem = nameProblem(name);
  if (problem !== undefined) throw new InvalidArgumentError(`${fn}: tensor names ${problem}`);
  const where = `${fn}: tensor ${quote(name as string)}`;
  if (!isObject(tensor)) {
    throw new InvalidArgumentError(`${where}: expected { shape, data, dtype? }, got ${describe(tensor)}`);
  }
  const { data, shape, dtype: given } = tensor as { data?: unknown; shape?: unknown; dtype?: unknown };
  const natural = dtypeOfArray(data);
  if (natural === undefined) {
    throw new InvalidArgumentError(`${where}: data expected a numeric typed array, got ${describe(data)}`);
  }
  const array = data as TensorData;
  const dtype = given === undefined ? natural : given;
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    throw new InvalidArgumentError(`${where}: dtype expected one of ${SAFETENSORS_DTYPES.join(', ')}, got ${describe(dtype)}`);
  }
  const checked = checkShape(dtype as SafetensorsDtype, shape);
  if (typeof checked === 'string') throw new InvalidArgumentError(`${where}: ${checked}`);
  if (checked.elements !== array.length) {
    throw new InvalidArgumentError(`${where}: shape [${checked.shape.join(', ')}] holds ${checked.elements} elements, expected data.length, got ${array.length}`);
  }
  const bytes = encode(where, dtype as SafetensorsDtype, natural, array);
  return { name: name as string, dtype: dtype as SafetensorsDtype, shape: checked.shape, bytes };
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

