/** ONNX `TensorProto` values as typed arrays, with their shape; anything malformed is a {@link FormatError}. */
import { FormatError } from '../format-error.js';
import { DataType, type OnnxTensor } from './types.js';

/** A tensor's values: floats as Float32Array, integers as plain numbers. */
export interface Tensor {
  shape: number[];
  data: Float32Array | number[];
}

function count(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The values of `t` (float32/64 as Float32Array; int32/int64 as numbers); `what` names it in errors. */
export function tensorOf(t: OnnxTensor, what: string): Tensor {
  const shape = (t.dims ?? []).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new FormatError(`ONNX: tensor ${what}: bad dims [${shape.join(', ')}]`);
  if (t.data_location === 1) throw new FormatError(`ONNX: tensor ${what} is stored in an external file; only self-contained models are read`);
  const n = count(shape);
  const type = t.data_type ?? 0;
  const raw = t.raw_data;
  const check = (got: number) => {
    if (got !== n) throw new FormatError(`ONNX: tensor ${what}: shape [${shape.join(', ')}] needs ${n} values, the file has ${got}`);
  };
  const view = raw && raw.length > 0 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (type) {
    case DataType.FLOAT: {
      if (view) {
        if (raw!.length % 4 !== 0) throw new FormatError(`ONNX: tensor ${what}: raw_data of ${raw!.length} bytes is not float32`);
        check(raw!.length / 4);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
        return { shape, data: out };
      }
      check(t.float_data?.length ?? 0);
      return { shape, data: Float32Array.from(t.float_data ?? []) };
    }
    case DataType.DOUBLE: {
      if (view) {
        check(raw!.length / 8);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
        return { shape, data: out };
      }
      check(t.double_data?.length ?? 0);
      return { shape, data: Float32Array.from(t.double_data ?? []) };
    }
    case DataType.INT64: {
      if (view) {
        check(raw!.length / 8);
        return { shape, data: Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true))) };
      }
      check(t.int64_data?.length ?? 0);
      return { shape, data: (t.int64_data ?? []).map(Number) };
    }
    case DataType.INT32: {
      if (view) {
        check(raw!.length / 4);
        return { shape, data: Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true)) };
      }
      check(t.int32_data?.length ?? 0);
      return { shape, data: (t.int32_data ?? []).map(Number) };
    }
    default:
      throw new FormatError(`ONNX: tensor ${what} has data type ${type}; float32, float64, int32 and int64 are read`);
  }
}

/** A float tensor `t` as a TensorProto (float32, raw little-endian). */
export function floatTensor(name: string, shape: readonly number[], data: Float32Array): OnnxTensor {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return { name, dims: [...shape], data_type: DataType.FLOAT, raw_data: raw };
}
