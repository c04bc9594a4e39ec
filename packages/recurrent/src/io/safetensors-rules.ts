/**
 * What a safetensors header may hold, in one place. The reader reports a violation as a
 * `FormatError`, the writer as an `InvalidArgumentError`, but both ask these functions, so
 * every file the writer produces reads back, and the reader refuses nothing the writer writes.
 */

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

/** The reference library's cap on the header length, in bytes. */
export const MAX_HEADER_LENGTH = 100_000_000;

/**
 * The most tensors a file may hold. Real checkpoints hold hundreds to a few thousand; the cap
 * bounds the time spent validating a hostile header (a million empty tensors fit in 59 MB).
 */
export const MAX_TENSORS = 100_000;

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
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

/** Each dtype's index in {@link SAFETENSORS_DTYPES}; membership is the dtype rule. */
export const DTYPE_RANK: ReadonlyMap<string, number> = new Map(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/** The key of the metadata map; no tensor may be named so. */
export const METADATA_KEY = '__metadata__';

/** Why `name` cannot name a tensor (a sentence to follow "tensor names"), or undefined if it can. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected strings, got ${describe(name)}`;
  if (!isWellFormed(name)) return `expected well-formed Unicode (no lone surrogates, which have no UTF-8 form), got ${quote(name)}`;
  if (name === METADATA_KEY) return `expected a name other than '${METADATA_KEY}' (reserved for the metadata map)`;
  return undefined;
}

/** Why `value` cannot be a metadata key or value, or undefined if it can. */
export function metadataStringProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${describe(value)}`;
  if (!isWellFormed(value)) return `expected well-formed Unicode (no lone surrogates), got ${quote(value)}`;
  return undefined;
}

/** A checked shape: its dimensions, element count and byte length. */
export interface CheckedShape {
  shape: number[];
  elements: number;
  byteLength: number;
}

/**
 * Checks `shape` for a tensor of `dtype`: an array of integers >= 0 whose running product (as
 * the reference reader computes it, dimension by dimension) and byte length stay below 2^53.
 * So `[2^40, 2^40, 0]` is refused even though it holds no element. Returns the shape, or the
 * problem as text starting with `shape`.
 */
export function checkShape(dtype: SafetensorsDtype, shape: unknown): CheckedShape | string {
  if (!Array.isArray(shape)) return `shape expected an array of integers >= 0, got ${describe(shape)}`;
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return `shape[${i}] expected an integer >= 0, got ${describe(d)}`;
    elements *= d;
    if (elements > Number.MAX_SAFE_INTEGER) return `shape ${describe(shape)} overflows (more than 2^53 elements)`;
    dims.push(d);
  }
  const byteLength = elements * DTYPE_SIZE[dtype];
  if (byteLength > Number.MAX_SAFE_INTEGER) return `shape [${dims.join(', ')}] of ${dtype} overflows (more than 2^53 bytes)`;
  return { shape: dims, elements, byteLength };
}

/** Why a file of `count` tensors cannot be, or undefined. */
export function tensorCountProblem(count: number): string | undefined {
  return count > MAX_TENSORS ? `more than ${MAX_TENSORS} tensors (the limit of this library)` : undefined;
}

/** No lone surrogates (those have no UTF-8 form). */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** `s` as a JSON string for a message, cut to 64 characters (names can be megabytes long). */
export function quote(s: string): string {
  return s.length > 64 ? `${JSON.stringify(s.slice(0, 64))}... (${s.length} characters)` : JSON.stringify(s);
}

/** A short description of a value for messages. */
export function describe(v: unknown): string {
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
