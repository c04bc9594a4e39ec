/**
 * Reading safetensors files: the header validated as the module comment of `safetensors.ts`
 * says (length first, tensors counted before the JSON is parsed, duplicate keys refused, every
 * entry checked by `safetensors-rules.ts`, the data tiled exactly), then the tensors copied out
 * in native order. Any violation throws a {@link FormatError} naming the tensor.
 */
import { InvalidArgumentError } from '../errors.js';
import { bf16BitsToF32Bits, f16BitsToF32Bits, f8e4m3Table, f8e5m2ToF32Bits } from './float-formats.js';
import { FormatError } from './format-error.js';
import { type PathOrUrl, readIn, withReadSession } from './files.js';
import type { ReadOptions } from './read-session.js';
import { scanJson } from './json-scan.js';
import {
  checkShape, describe, DTYPE_RANK, MAX_HEADER_LENGTH, MAX_TENSORS, METADATA_KEY, metadataStringProblem, nameProblem, quote,
  SAFETENSORS_DTYPES, type SafetensorsDtype, tensorCountProblem,
} from './safetensors-rules.js';
import {
  LITTLE_ENDIAN, type ReadSafetensorsOptions, type SafetensorsFile, type SafetensorsHeader, type SafetensorsTensor,
  type SafetensorsTensorInfo, type TensorData,
} from './safetensors-types.js';

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

function asBytes(fn: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new InvalidArgumentError(`${fn}: argument \`bytes\` expected a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
}

function isPlainObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
