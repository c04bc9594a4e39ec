/**
 * The ONNX graphs of the ONNX Runtime rows, built in memory from the same seeded weights as
 * the other engines (see `lib/weights.ts`): a stack of ONNX `LSTM` operators (one per layer,
 * `direction` forward or bidirectional, PyTorch's weights permuted to ONNX's i, o, f, c gate
 * order), and a `MatMul` with a constant right operand for the GEMM rows.
 */
import { encodeModel, INT64, type Initializer, type OnnxNode } from './proto.js';
import { get, layerInput, lstmWeights, ONNX_FROM_TORCH, permuteBlocks, type LstmShape } from '../lib/weights.js';

export interface LstmModelOptions extends LstmShape {
  seed: number;
  /** Fixed sequence length and batch, or symbolic when omitted. */
  seqLen?: number;
  batch?: number;
  /** Streaming form: inputs `h0`, `c0` `[D, B, H]` (one layer only), outputs `h`, `c`. */
  stateful?: boolean;
}

/** A stack of LSTM layers: input `x [T, B, I]`, output `y [T, B, D*H]` (plus states if `stateful`). */
export function lstmModel(o: LstmModelOptions): Uint8Array {
  const w = lstmWeights(o, o.seed);
  const H = o.hiddenSize;
  const dirs = o.bidirectional ? ['', '_reverse'] : [''];
  const D = dirs.length;
  const T = o.seqLen ?? 'T';
  const B = o.batch ?? 'B';
  const nodes: OnnxNode[] = [];
  const inits: Initializer[] = [];
  if (o.stateful && o.layers !== 1) throw new Error('stateful ONNX LSTM: one layer only');
  let x = 'x';
  for (let l = 0; l < o.layers; l++) {
    const I = layerInput(o, l);
    const cat = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let k = 0;
      for (const p of parts) {
        out.set(p, k);
        k += p.length;
      }
      return out;
    };
    const W = cat(dirs.map((s) => permuteBlocks(get(w, `weight_ih_l${l}${s}`), H, I, ONNX_FROM_TORCH)));
    const R = cat(dirs.map((s) => permuteBlocks(get(w, `weight_hh_l${l}${s}`), H, H, ONNX_FROM_TORCH)));
    const Bias = cat(dirs.flatMap((s) => [
      permuteBlocks(get(w, `bias_ih_l${l}${s}`), H, 1, ONNX_FROM_TORCH),
      permuteBlocks(get(w, `bias_hh_l${l}${s}`), H, 1, ONNX_FROM_TORCH),
    ]));
    inits.push({ name: `W${l}`, dims: [D, 4 * H, I], data: W });
    inits.push({ name: `R${l}`, dims: [D, 4 * H, H], data: R });
    inits.push({ name: `B${l}`, dims: [D, 8 * H], data: Bias });
    const last = l + 1 === o.layers;
    const y = `Y${l}`;
    nodes.push({
      op: 'LSTM',
      name: `lstm${l}`,
      // X, W, R, B, sequence_lens, initial_h, initial_c
      inputs: [x, `W${l}`, `R${l}`, `B${l}`, '', o.stateful ? 'h0' : '', o.stateful ? 'c0' : ''],
      outputs: o.stateful ? ['', 'h', 'c'] : [y],
      attrs: { hidden_size: H, direction: o.bidirectional ? 'bidirectional' : 'forward' },
    });
    if (o.stateful) break;
    // Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D*H] (forward direction first, as PyTorch).
    nodes.push({ op: 'Transpose', inputs: [y], outputs: [`${y}t`], attrs: { perm: [0, 2, 1, 3] } });
    nodes.push({ op: 'Reshape', inputs: [`${y}t`, 'shape3'], outputs: [last ? 'y' : `X${l + 1}`] });
    x = `X${l + 1}`;
  }
  if (!o.stateful) inits.push({ name: 'shape3', dims: [3], data: BigInt64Array.from([0n, 0n, -1n]) });
  const I0 = o.inputSize;
  return encodeModel({
    name: 'lstm',
    nodes,
    initializers: inits,
    inputs: o.stateful
      ? [
          { name: 'x', shape: [1, B, I0] },
          { name: 'h0', shape: [D, B, H] },
          { name: 'c0', shape: [D, B, H] },
        ]
      : [{ name: 'x', shape: [T, B, I0] }],
    outputs: o.stateful
      ? [
          { name: 'h', shape: [D, B, H] },
          { name: 'c', shape: [D, B, H] },
        ]
      : [{ name: 'y', shape: [T, B, D * H] }],
  });
}

/** `c [m, n] = a [m, k] . b`, with `b [k, n]` a constant (so the engine may pre-pack it). */
export function matmulModel(m: number, n: number, k: number, b: Float32Array, transA = false): Uint8Array {
  const nodes: OnnxNode[] = [];
  let a = 'a';
  if (transA) {
    nodes.push({ op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [1, 0] } });
    a = 'at';
  }
  nodes.push({ op: 'MatMul', inputs: [a, 'b'], outputs: ['c'] });
  return encodeModel({
    name: 'matmul',
    nodes,
    initializers: [{ name: 'b', dims: [k, n], data: b }],
    inputs: [{ name: 'a', shape: transA ? [k, m] : [m, k] }],
    outputs: [{ name: 'c', shape: [m, n] }],
  });
}

export { INT64 };
