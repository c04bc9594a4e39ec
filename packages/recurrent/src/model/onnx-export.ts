/**
 * `saveOnnx`: a model as an ONNX file (opset 14, `layout` 0, which onnxruntime runs): token ids
 * through `Gather` (an `embedding`, or a `oneHot` as an identity table), each stacked layer of
 * each recurrent layer one `LSTM`/`GRU`/`RNN` node with the gate blocks reordered for ONNX
 * (PyTorch i,f,g,o -> i,o,f,c; r,z,n -> z,r,h), the per-step `dense` head as `MatMul` + `Add`.
 * Inputs `x` `[seq, batch, I]` (or `tokens` int64 `[seq, batch]`) and, per recurrent layer,
 * `h0` (`c0`) `[layers*D, batch, H]` (`h0_1`, ... for the second, ...); outputs `logits`
 * `[seq, batch, O]` (or `y` `[seq, batch, D*H]` without a dense layer) and `h_n` (`c_n`).
 *
 * Kinds ONNX has an op for: rnn tanh/relu, gru (reset after: `linear_before_reset=1`; reset
 * before: 0), lstm standard, peephole (`P`), cifg (`input_forget=1`). The others (residual
 * RNN, no-forget LSTM, and any kind without a row here) are refused with an
 * InvalidArgumentError naming the layer: ONNX's recurrent ops cannot express them, and an
 * unrolled Loop would not run the streaming state the way these ops do. Pooled outputs
 * (`output: 'last' | 'mean'`) are refused likewise.
 */
import { cellKindOf } from './layers.js';
import { InvalidArgumentError } from '../errors.js';
import { encodeModel } from '../io/onnx/proto.js';
import { floatTensor } from '../io/onnx/tensor.js';
import { AttributeType, DataType, type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../io/onnx/types.js';
import type { Model } from './model.js';

/** The opset `saveOnnx` writes. */
export const ONNX_EXPORT_OPSET = 14;

/** Per exportable kind: the ONNX op, its attributes, and for each ONNX gate block our block (null: a zero block). */
const EXPORT: Record<string, { op: 'LSTM' | 'GRU' | 'RNN'; order: (number | null)[]; attrs: (D: number) => OnnxAttribute[]; peephole?: true }> = {
  rnn_tanh: { op: 'RNN', order: [0], attrs: () => [] },
  rnn_relu: { op: 'RNN', order: [0], attrs: (D) => [{ name: 'activations', type: AttributeType.STRINGS, strings: Array.from({ length: D }, () => bytes('Relu')) }] },
  gru: { op: 'GRU', order: [1, 0, 2], attrs: () => [int('linear_before_reset', 1)] },
  gru_reset_before: { op: 'GRU', order: [1, 0, 2], attrs: () => [int('linear_before_reset', 0)] },
  lstm: { op: 'LSTM', order: [0, 3, 1, 2], attrs: () => [] },
  lstm_peephole: { op: 'LSTM', order: [0, 3, 1, 2], attrs: () => [], peephole: true },
  lstm_cifg: { op: 'LSTM', order: [0, 2, null, 1], attrs: () => [int('input_forget', 1)] },
};

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
function int(name: string, i: number): OnnxAttribute {
  return { name, type: AttributeType.INT, i };
}
function ints(name: string, v: number[]): OnnxAttribute {
  return { name, type: AttributeType.INTS, ints: v };
}
function intTensor(name: string, v: number[]): OnnxTensor {
  return { name, dims: [v.length], data_type: DataType.INT64, int64_data: v };
}
function value(name: string, elem: number, dims: (number | string)[]): OnnxValueInfo {
  return { name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } };
}

/** Row blocks of `a` (blocks of `rows` rows of `width`) in `order` (null: zeros). */
function blocks(a: Float32Array, order: (number | null)[], rows: number, width: number): Float32Array {
  const out = new Float32Array(order.length * rows * width);
  order.forEach((b, j) => {
    if (b !== null) out.set(a.subarray(b * rows * width, (b + 1) * rows * width), j * rows * width);
  });
  return out;
}

/** The ONNX file of `model` (see the module comment for the graph and what is refused). */
export function saveOnnx(model: Model): Uint8Array {
  const fn = 'saveOnnx';
  const dict = model.stateDict();
  const get = (name: string) => {
    const t = dict.get(name);
    if (!t) throw new InvalidArgumentError(`${fn}: the model has no parameter ${name}`);
    return t;
  };
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const first = model.configs[0]!;
  if (model.takesTrees) throw new InvalidArgumentError(`${fn}: layer 0 is a ${first.type} tree encoder, which has no ONNX operator; save it with saveModel`);
  let x: string;
  if (first.type === 'embedding' || first.type === 'oneHot') {
    const V = first.vocabSize;
    const name = first.type === 'embedding' ? (first.name ?? 'embedding') : 'onehot';
    const table = first.type === 'embedding' ? get(`${name}.weight`) : Float32Array.from({ length: V * V }, (_, i) => (i % (V + 1) === 0 ? 1 : 0));
    inits.push(floatTensor(`${name}.weight`, [V, table.length / V], table));
    inputs.push(value('tokens', DataType.INT64, ['seq', 'batch']));
    nodes.push({ op_type: 'Gather', name: `/${name}/Gather`, input: [`${name}.weight`, 'tokens'], output: [`${name}.out`] });
    x = `${name}.out`;
  } else {
    inputs.push(value('x', DataType.FLOAT, ['seq', 'batch', model.featureSize]));
    x = 'x';
  }
  model.recurrent.forEach((r, gi) => {
    const kind = cellKindOf(r.config);
    const spec = EXPORT[kind];
    if (!spec) throw new InvalidArgumentError(`${fn}: layer ${r.name} is a ${kind} cell, which ONNX's LSTM/GRU/RNN ops cannot express (exported kinds: ${Object.keys(EXPORT).join(', ')})`);
    if (r.skip > 0) throw new InvalidArgumentError(`${fn}: layer ${r.name} has a skip connection (skip: ${r.skip}), which ONNX's RNN op cannot express`);
    if ((r.config.output ?? 'sequence') !== 'sequence') throw new InvalidArgumentError(`${fn}: layer ${r.name} pools its output ('${r.config.output}'); only per-step outputs are exported`);
    if (r.stateWidth !== r.hiddenSize) {
      throw new InvalidArgumentError(`${fn}: layer ${r.name} has projSize ${r.stateWidth} (weight_hr, PyTorch's proj_size); ONNX's LSTM op has no projection, so it cannot be exported (saveTorch can)`);
    }
    const D = r.directions;
    const H = r.hiddenSize;
    const G = spec.order.length;
    const ours = Math.max(1, spec.order.filter((b) => b !== null).length);
    const sfx = gi === 0 ? '' : `_${gi}`;
    inputs.push(value(`h0${sfx}`, DataType.FLOAT, [r.layers * D, 'batch', H]));
    if (r.hasCell) inputs.push(value(`c0${sfx}`, DataType.FLOAT, [r.layers * D, 'batch', H]));
    const hs: string[] = [];
    const cs: string[] = [];
    for (let k = 0; k < r.layers; k++) {
      const p = `/${r.name}/l${k}`;
      const W: Float32Array[] = [];
      const R: Float32Array[] = [];
      const B: Float32Array[] = [];
      const P: Float32Array[] = [];
      let I = 0;
      for (let d = 0; d < D; d++) {
        const s = `_l${k}${d === 1 ? '_reverse' : ''}`;
        const wih = get(`${r.name}.weight_ih${s}`);
        I = wih.length / (ours * H);
        W.push(blocks(wih, spec.order, H, I));
        R.push(blocks(get(`${r.name}.weight_hh${s}`), spec.order, H, H));
        // A layer without biases (`bias: false`) gets zeros: ONNX's B is one [2*G*H] tensor.
        const bias = (n: string) => (r.config.bias === false ? new Float32Array(ours * H) : get(`${r.name}.${n}${s}`));
        B.push(blocks(bias('bias_ih'), spec.order, H, 1), blocks(bias('bias_hh'), spec.order, H, 1));
        if (spec.peephole) P.push(get(`${r.name}.peephole_i${s}`), get(`${r.name}.peephole_o${s}`), get(`${r.name}.peephole_f${s}`));
      }
      const cat = (parts: Float32Array[]) => {
        const out = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
        parts.reduce((o, a) => (out.set(a, o), o + a.length), 0);
        return out;
      };
      inits.push(floatTensor(`${p}/W`, [D, G * H, I], cat(W)), floatTensor(`${p}/R`, [D, G * H, H], cat(R)), floatTensor(`${p}/B`, [D, 2 * G * H], cat(B)));
      if (spec.peephole) inits.push(floatTensor(`${p}/P`, [D, 3 * H], cat(P)));
      inits.push(intTensor(`${p}/rows0`, [k * D]), intTensor(`${p}/rows1`, [(k + 1) * D]), intTensor(`${p}/axis0`, [0]));
      nodes.push({ op_type: 'Slice', name: `${p}/SliceH`, input: [`h0${sfx}`, `${p}/rows0`, `${p}/rows1`, `${p}/axis0`], output: [`${p}/h0`] });
      if (r.hasCell) nodes.push({ op_type: 'Slice', name: `${p}/SliceC`, input: [`c0${sfx}`, `${p}/rows0`, `${p}/rows1`, `${p}/axis0`], output: [`${p}/c0`] });
      const attrs: OnnxAttribute[] = [int('hidden_size', H), ...spec.attrs(D)];
      if (D === 2) attrs.push({ name: 'direction', type: AttributeType.STRING, s: bytes('bidirectional') });
      const ins = [x, `${p}/W`, `${p}/R`, `${p}/B`, '', `${p}/h0`];
      if (r.hasCell) ins.push(`${p}/c0`);
      if (spec.peephole) ins.push(`${p}/P`);
      const outs = [`${p}/Y`, `${p}/Y_h`];
      if (r.hasCell) outs.push(`${p}/Y_c`);
      nodes.push({ op_type: spec.op, name: `${p}/${spec.op}`, input: ins, output: outs, attribute: attrs });
      hs.push(`${p}/Y_h`);
      if (r.hasCell) cs.push(`${p}/Y_c`);
      // Y [T, D, B, H] -> [T, B, D*H], the next layer's input.
      inits.push(intTensor(`${p}/shape`, [0, 0, -1]));
      nodes.push({ op_type: 'Transpose', name: `${p}/Transpose`, input: [`${p}/Y`], output: [`${p}/Yt`], attribute: [ints('perm', [0, 2, 1, 3])] });
      nodes.push({ op_type: 'Reshape', name: `${p}/Reshape`, input: [`${p}/Yt`, `${p}/shape`], output: [`${p}/y`] });
      x = `${p}/y`;
    }
    const state = (parts: string[], out: string) => {
      if (parts.length === 1) nodes.push({ op_type: 'Identity', name: `/${r.name}/${out}`, input: parts, output: [out] });
      else nodes.push({ op_type: 'Concat', name: `/${r.name}/${out}`, input: parts, output: [out], attribute: [int('axis', 0)] });
      outputs.push(value(out, DataType.FLOAT, [r.layers * D, 'batch', H]));
    };
    state(hs, `h_n${sfx}`);
    if (r.hasCell) state(cs, `c_n${sfx}`);
  });
  const dense = model.dense;
  const last = model.recurrent.at(-1)!;
  if (dense) {
    const w = get(`${dense.name}.weight`);
    const O = dense.units;
    const In = w.length / O;
    const wt = new Float32Array(w.length);
    for (let o = 0; o < O; o++) for (let i = 0; i < In; i++) wt[i * O + o] = w[o * In + i]!;
    inits.push(floatTensor(`${dense.name}.weight_t`, [In, O], wt), floatTensor(`${dense.name}.bias`, [O], get(`${dense.name}.bias`)));
    nodes.push({ op_type: 'MatMul', name: `/${dense.name}/MatMul`, input: [x, `${dense.name}.weight_t`], output: [`/${dense.name}/mm`] });
    nodes.push({ op_type: 'Add', name: `/${dense.name}/Add`, input: [`/${dense.name}/mm`, `${dense.name}.bias`], output: ['logits'] });
    outputs.unshift(value('logits', DataType.FLOAT, ['seq', 'batch', O]));
  } else {
    nodes.push({ op_type: 'Identity', name: '/y', input: [x], output: ['y'] });
    outputs.unshift(value('y', DataType.FLOAT, ['seq', 'batch', last.directions * last.hiddenSize]));
  }
  return encodeModel({
    ir_version: 8,
    producer_name: 'recurrent',
    opset_import: [{ domain: '', version: ONNX_EXPORT_OPSET }],
    graph: { name: 'recurrent', node: nodes, initializer: inits, input: inputs, output: outputs },
  });
}
