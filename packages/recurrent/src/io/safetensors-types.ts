/** The types of the safetensors reader and writer (see `safetensors.ts` for the format). */
import type { SafetensorsDtype } from './safetensors-rules.js';

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

/** Whether this machine stores numbers little-endian (the file's order). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
