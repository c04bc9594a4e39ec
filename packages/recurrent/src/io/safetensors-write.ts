/**
 * Writing safetensors files, deterministic and byte-identical to the Python/Rust library's
 * `serialize` (see `safetensors.ts`), under the same rules the reader enforces.
 */
import { InvalidArgumentError } from '../errors.js';
import { f32BitsToBf16Bits, f32BitsToF16Bits } from './float-formats.js';
import {
  checkShape, describe, DTYPE_RANK, MAX_HEADER_LENGTH, metadataStringProblem, nameProblem, quote, SAFETENSORS_DTYPES,
  type SafetensorsDtype, tensorCountProblem,
} from './safetensors-rules.js';
import { LITTLE_ENDIAN, type TensorData, type WritableTensor } from './safetensors-types.js';

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

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
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

