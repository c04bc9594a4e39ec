/**
 * Seeded LSTM weights in PyTorch's names, shapes and gate order (i, f, g, o), shared by every
 * engine of a workload so that their outputs can be compared; and their conversions to the
 * layouts of the peers (ONNX: i, o, f, c with one bias pair; TensorFlow.js: transposed kernels,
 * one bias).
 */
import { uniform } from './data.js';

export interface LstmShape {
  inputSize: number;
  hiddenSize: number;
  layers: number;
  bidirectional: boolean;
}

/** `weight_ih_l{l}[_reverse]` etc. in PyTorch's order, uniform in +-1/sqrt(H), from `seed`. */
export function lstmWeights(s: LstmShape, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const bound = 1 / Math.sqrt(s.hiddenSize);
  const g = 4 * s.hiddenSize;
  let k = 0;
  for (let l = 0; l < s.layers; l++) {
    const input = l === 0 ? s.inputSize : (s.bidirectional ? 2 : 1) * s.hiddenSize;
    for (const suffix of s.bidirectional ? ['', '_reverse'] : ['']) {
      const scaled = (n: number): Float32Array => uniform(n, seed + 101 * k++).map((x) => x * bound);
      out.set(`weight_ih_l${l}${suffix}`, scaled(g * input));
      out.set(`weight_hh_l${l}${suffix}`, scaled(g * s.hiddenSize));
      out.set(`bias_ih_l${l}${suffix}`, scaled(g));
      out.set(`bias_hh_l${l}${suffix}`, scaled(g));
    }
  }
  return out;
}

export function layerInput(s: LstmShape, l: number): number {
  return l === 0 ? s.inputSize : (s.bidirectional ? 2 : 1) * s.hiddenSize;
}

export function get(w: Map<string, Float32Array>, name: string): Float32Array {
  const v = w.get(name);
  if (!v) throw new Error(`missing weight ${name}`);
  return v;
}

/** Rows of `m` ([4H, cols]) with its four H-row gate blocks reordered: block b of the result is block `order[b]` of `m`. */
export function permuteBlocks(m: Float32Array, h: number, cols: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(m.length);
  order.forEach((src, dst) => out.set(m.subarray(src * h * cols, (src + 1) * h * cols), dst * h * cols));
  return out;
}

/** Transpose of a row-major `[rows, cols]` matrix. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/** ONNX LSTM gate order i, o, f, c as PyTorch block indices (i, f, g, o). */
export const ONNX_FROM_TORCH = [0, 3, 1, 2] as const;
/** tfjs `basicLSTMCell` gate order i, j (= g), f, o as PyTorch block indices. */
export const TFJS_CELL_FROM_TORCH = [0, 2, 1, 3] as const;
