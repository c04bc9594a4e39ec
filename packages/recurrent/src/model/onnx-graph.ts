/**
 * Reads an ONNX graph of a recurrent model into a plan: the layers (an optional `Gather`
 * embedding, `LSTM`/`GRU`/`RNN` nodes grouped into stacked layers, a `MatMul`+`Add` or `Gemm`
 * head with an optional `Softmax`/`LogSoftmax`), their PyTorch-named weights (gate blocks
 * reordered: ONNX i,o,f,c -> i,f,g,o; z,r,h -> r,z,n), and what each graph input and output is.
 * The glue exporters put between them (`Transpose`, `Squeeze`/`Unsqueeze`, `Reshape`, `Concat`,
 * `Slice`, `Shape`/`Gather` on shapes, `Expand`/`ConstantOfShape` of zero states) is traced,
 * not run. Anything else is a FormatError naming the op and its node.
 */
import { FormatError } from '../io/format-error.js';
import { type Tensor, tensorOf } from '../io/onnx/tensor.js';
import type { OnnxAttribute, OnnxGraph, OnnxModelProto, OnnxNode } from '../io/onnx/types.js';

/** Oldest default-domain opset read: the recurrent ops' current definitions date from opset 7. */
export const MIN_ONNX_OPSET = 7;

const DATA_GLUE = new Set(['Transpose', 'Squeeze', 'Unsqueeze', 'Reshape', 'Slice', 'Expand', 'Identity', 'Cast']);
const KNOWN = new Set([...DATA_GLUE, 'Concat', 'Shape', 'Gather', 'Constant', 'ConstantOfShape', 'LSTM', 'GRU', 'RNN', 'MatMul', 'Add', 'Gemm', 'Softmax', 'LogSoftmax']);

/** One recurrent node as a layer of ours. */
export interface RecurrentNodePlan {
  node: string;
  type: 'lstm' | 'gru' | 'rnn';
  variant: string;
  hidden: number;
  directions: number;
  layout: number;
  /** `direction="reverse"`: run right to left (see {@link OnnxPlan.reversed}). */
  reverse: boolean;
  /** Weights by PyTorch stem (`weight_ih`, ...) and direction suffix, without the `_l{k}` part. */
  params: Map<string, Float32Array>;
}

export type InputRole = { name: string; role: 'x' | 'tokens' | 'lengths' } | { name: string; role: 'h0' | 'c0'; node: number };
/** A graph output: `nodes` (for `h_n`/`c_n`) lists the recurrent nodes whose final states it concatenates. */
export interface OutputRole {
  name: string;
  rank: number;
  batchFirst: boolean;
  role: 'y' | 'logits' | 'h_n' | 'c_n';
  nodes?: number[];
}

export interface OnnxPlan {
  embedding?: { vocabSize: number; dim: number; weight: Float32Array };
  inputSize?: number | undefined;
  nodes: RecurrentNodePlan[];
  head?: { units: number; weight: Float32Array; bias: Float32Array; scores: 'logits' | 'softmax' | 'logSoftmax' };
  inputs: InputRole[];
  outputs: OutputRole[];
  batchFirst: boolean;
  /**
   * Every recurrent node runs right to left (`direction="reverse"`): the model runs left to right
   * on each sequence reversed within its length, and the per-step outputs are put back in order.
   */
  reversed: boolean;
}

type Origin = { kind: 'input'; name: string; swapped: boolean } | { kind: 'node'; node: OnnxNode; index: number; swapped: boolean } | { kind: 'const'; zero: boolean };

const label = (n: OnnxNode) => `${n.op_type} node ${JSON.stringify(n.name ?? '')}`;
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute?.find((a) => a.name === name);
}

/** The plan of `model`; every refusal is a FormatError naming the node. */
export function planOnnx(model: OnnxModelProto): OnnxPlan {
  const opset = model.opset_import?.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < MIN_ONNX_OPSET) throw new FormatError(`ONNX: opset ${opset} is too old (the default domain must be opset ${MIN_ONNX_OPSET} or newer)`);
  const g = model.graph as OnnxGraph;
  const nodes = g.node ?? [];
  for (const n of nodes) {
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') throw new FormatError(`ONNX: ${label(n)} is in domain ${JSON.stringify(n.domain)}; only the default domain is read`);
    if (!KNOWN.has(n.op_type ?? '')) throw new FormatError(`ONNX: unsupported op ${JSON.stringify(n.op_type)} (${label(n)}): a recurrent model here is Gather, LSTM/GRU/RNN, MatMul+Add/Gemm, Softmax/LogSoftmax and shape glue`);
  }
  const consts = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', tensorOf(t, JSON.stringify(t.name)));
  for (const n of nodes) {
    if (n.op_type === 'Constant') {
      const v = attr(n, 'value');
      if (v?.t) consts.set(n.output?.[0] ?? '', tensorOf(v.t, `of ${label(n)}`));
    }
  }
  const inputs = new Set((g.input ?? []).map((i) => i.name ?? '').filter((n) => !consts.has(n)));
  const producer = new Map<string, { node: OnnxNode; index: number }>();
  for (const n of nodes) (n.output ?? []).forEach((o, index) => producer.set(o, { node: n, index }));

  const origins = (name: string, swapped = false, depth = 0): Origin[] => {
    if (depth > 64) throw new FormatError(`ONNX: the glue before ${JSON.stringify(name)} is deeper than 64 nodes`);
    if (name === '') return [];
    const c = consts.get(name);
    if (c) return [{ kind: 'const', zero: c.data instanceof Float32Array ? c.data.every((v) => v === 0) : true }];
    if (inputs.has(name)) return [{ kind: 'input', name, swapped }];
    const p = producer.get(name);
    if (!p) throw new FormatError(`ONNX: tensor ${JSON.stringify(name)} is neither a graph input, an initializer nor a node output`);
    const n = p.node;
    const op = n.op_type!;
    if (op === 'Shape') return [{ kind: 'const', zero: true }];
    if (op === 'ConstantOfShape') {
      const v = attr(n, 'value')?.t;
      const zero = !v || (tensorOf(v, `of ${label(n)}`).data as ArrayLike<number>)[0] === 0;
      return [{ kind: 'const', zero }];
    }
    if (op === 'Gather') {
      const data = origins(n.input?.[0] ?? '', swapped, depth + 1);
      if (data.every((o) => o.kind === 'const')) {
        // An embedding: a table looked up by ids that come from the graph's inputs.
        const ids = origins(n.input?.[1] ?? '', swapped, depth + 1);
        if (consts.get(n.input?.[0] ?? '')?.shape.length === 2 && ids.some((o) => o.kind !== 'const')) return [{ kind: 'node', node: n, index: p.index, swapped }];
        return data; // shape arithmetic or a constant table lookup
      }
      throw new FormatError(`ONNX: ${label(n)} gathers from a computed tensor; only an embedding table (an initializer) or shapes are read`);
    }
    if (op === 'Transpose') {
      const perm = attr(n, 'perm')?.ints?.map(Number) ?? [];
      return origins(n.input?.[0] ?? '', perm[0] === 1 && perm[1] === 0 ? !swapped : swapped, depth + 1);
    }
    if (DATA_GLUE.has(op)) return origins(n.input?.[0] ?? '', swapped, depth + 1);
    if (op === 'Concat') return (n.input ?? []).flatMap((i) => origins(i, swapped, depth + 1));
    return [{ kind: 'node', node: n, index: p.index, swapped }];
  };

  const plan: OnnxPlan = { nodes: [], inputs: [], outputs: [], batchFirst: false, reversed: false };
  const recurrent = nodes.filter((n) => n.op_type === 'LSTM' || n.op_type === 'GRU' || n.op_type === 'RNN');
  if (recurrent.length === 0) throw new FormatError('ONNX: the graph has no LSTM, GRU or RNN node');
  const only = (os: Origin[], what: string, n: OnnxNode): Origin => {
    const real = os.filter((o) => o.kind !== 'const');
    if (real.length !== 1) throw new FormatError(`ONNX: ${label(n)}: its ${what} must come from one tensor`);
    return real[0]!;
  };

  recurrent.forEach((n, k) => {
    const x = only(origins(n.input?.[0] ?? ''), 'input X', n);
    if (k === 0) {
      if (x.kind === 'input') {
        plan.inputs.push({ name: x.name, role: 'x' });
        plan.batchFirst = x.swapped;
      } else if (x.kind === 'node' && x.node.op_type === 'Gather') {
        const table = consts.get(x.node.input?.[0] ?? '');
        const ids = only(origins(x.node.input?.[1] ?? ''), 'indices', x.node);
        if (!table || table.shape.length !== 2 || ids.kind !== 'input') throw new FormatError(`ONNX: ${label(x.node)}: an embedding needs a [vocab, dim] initializer and token ids from a graph input`);
        plan.embedding = { vocabSize: table.shape[0]!, dim: table.shape[1]!, weight: table.data as Float32Array };
        plan.inputs.push({ name: ids.name, role: 'tokens' });
        plan.batchFirst = ids.swapped !== x.swapped;
      } else throw new FormatError(`ONNX: ${label(n)}: its input X must be a graph input or an embedding (Gather)`);
    } else if (!(x.kind === 'node' && x.node === recurrent[k - 1] && x.index === 0)) {
      throw new FormatError(`ONNX: ${label(n)}: its input X must be the previous recurrent node's output Y`);
    }
    plan.nodes.push(recurrentNode(n, consts));
    if (k === 0) plan.inputSize = plan.embedding ? undefined : (consts.get(n.input![1]!)!.shape[2] as number);
    const state = (index: number, role: 'h0' | 'c0' | 'lengths') => {
      const name = n.input?.[index] ?? '';
      if (name === '') return;
      const os = origins(name);
      const given = os.filter((o) => o.kind !== 'const');
      if (given.length === 0) {
        if (role !== 'lengths' && !os.every((o) => o.kind === 'const' && o.zero)) throw new FormatError(`ONNX: ${label(n)}: a constant non-zero ${role === 'h0' ? 'initial_h' : 'initial_c'} has no equivalent here`);
        if (role === 'lengths') throw new FormatError(`ONNX: ${label(n)}: constant sequence_lens are not read; give them as a graph input`);
        return;
      }
      const o = only(os, role, n);
      if (o.kind !== 'input') throw new FormatError(`ONNX: ${label(n)}: its ${role} must come from a graph input`);
      if (role === 'lengths') {
        if (k === 0) plan.inputs.push({ name: o.name, role });
        else if (!plan.inputs.some((i) => i.name === o.name && i.role === 'lengths')) throw new FormatError(`ONNX: ${label(n)}: every node must share one sequence_lens`);
      } else plan.inputs.push({ name: o.name, role, node: k });
    };
    state(4, 'lengths');
    state(5, 'h0');
    if (n.op_type === 'LSTM') state(6, 'c0');
  });
  plan.reversed = plan.nodes.every((r) => r.reverse);
  const mixed = plan.nodes.find((r) => r.reverse !== plan.reversed);
  if (mixed) throw new FormatError(`ONNX: ${mixed.node}: reverse nodes mixed with forward or bidirectional ones have no equivalent here`);
  planHead(plan, nodes, recurrent, consts, origins);
  for (const out of g.output ?? []) {
    const name = out.name ?? '';
    const rank = out.type?.tensor_type?.shape?.dim?.length ?? 0;
    const os = origins(name);
    const ns = os.filter((o): o is Extract<Origin, { kind: 'node' }> => o.kind === 'node');
    if (ns.length !== os.length || ns.length === 0) throw new FormatError(`ONNX: graph output ${JSON.stringify(name)} is not computed from the recurrent nodes or the head`);
    const batchFirst = ns[0]!.swapped;
    const last = ns[0]!.node;
    if (['MatMul', 'Add', 'Gemm', 'Softmax', 'LogSoftmax'].includes(last.op_type!)) plan.outputs.push({ name, rank, batchFirst, role: 'logits' });
    else if (ns.length === 1 && last === recurrent.at(-1) && ns[0]!.index === 0) {
      if (plan.head) throw new FormatError(`ONNX: graph output ${JSON.stringify(name)} is the recurrent output beside a head; only one of them is read`);
      plan.outputs.push({ name, rank, batchFirst, role: 'y' });
    } else if (ns.every((o) => o.index === ns[0]!.index && (o.index === 1 || o.index === 2) && recurrent.includes(o.node))) {
      plan.outputs.push({ name, rank, batchFirst, role: ns[0]!.index === 1 ? 'h_n' : 'c_n', nodes: ns.map((o) => recurrent.indexOf(o.node)) });
    } else throw new FormatError(`ONNX: graph output ${JSON.stringify(name)} mixes values this library cannot compute together`);
  }
  return plan;
}

function planHead(plan: OnnxPlan, nodes: OnnxNode[], recurrent: OnnxNode[], consts: Map<string, Tensor>, origins: (n: string) => Origin[]): void {
  const heads = nodes.filter((n) => ['MatMul', 'Add', 'Gemm', 'Softmax', 'LogSoftmax'].includes(n.op_type!));
  if (heads.length === 0) return;
  const lastY = recurrent.at(-1)!;
  const first = heads[0]!;
  const weightOf = (name: string) => {
    const t = consts.get(name);
    if (!t || !(t.data instanceof Float32Array) || t.shape.length !== 2) throw new FormatError(`ONNX: ${label(first)}: its weight must be a 2-D float initializer`);
    return t;
  };
  const fromY = origins(first.input?.[0] ?? '').filter((o) => o.kind !== 'const');
  if (!(fromY.length === 1 && fromY[0]!.kind === 'node' && fromY[0]!.node === lastY && fromY[0]!.index === 0)) {
    throw new FormatError(`ONNX: ${label(first)}: the head must read the last recurrent node's output Y`);
  }
  let weight: Float32Array;
  let units: number;
  let bias: Float32Array;
  let rest: OnnxNode[];
  if (first.op_type === 'Gemm') {
    for (const a of ['alpha', 'beta']) if ((attr(first, a)?.f ?? 1) !== 1) throw new FormatError(`ONNX: ${label(first)}: ${a} other than 1 has no equivalent here`);
    if (attr(first, 'transA')?.i) throw new FormatError(`ONNX: ${label(first)}: transA=1 has no equivalent here`);
    const w = weightOf(first.input![1]!);
    const transB = Boolean(attr(first, 'transB')?.i);
    units = transB ? w.shape[0]! : w.shape[1]!;
    weight = transB ? (w.data as Float32Array) : transpose(w.data as Float32Array, w.shape[0]!, w.shape[1]!);
    bias = (consts.get(first.input?.[2] ?? '')?.data as Float32Array | undefined) ?? new Float32Array(units);
    rest = heads.slice(1);
  } else if (first.op_type === 'MatMul') {
    const w = weightOf(first.input![1]!);
    units = w.shape[1]!;
    weight = transpose(w.data as Float32Array, w.shape[0]!, units);
    const add = heads[1];
    if (add?.op_type === 'Add' && add.input?.includes(first.output![0]!)) {
      const b = consts.get(add.input.find((i) => i !== first.output![0]) ?? '');
      if (!b || b.data.length !== units) throw new FormatError(`ONNX: ${label(add)}: the head's bias must be an initializer of ${units} values`);
      bias = b.data as Float32Array;
      rest = heads.slice(2);
    } else {
      bias = new Float32Array(units);
      rest = heads.slice(1);
    }
  } else throw new FormatError(`ONNX: ${label(first)} has no layer before it to apply to`);
  let scores: 'logits' | 'softmax' | 'logSoftmax' = 'logits';
  if (rest.length > 1 || (rest[0] && rest[0].op_type !== 'Softmax' && rest[0].op_type !== 'LogSoftmax')) {
    throw new FormatError(`ONNX: ${label(rest[0]!)}: the head is MatMul+Add or Gemm, then at most one Softmax or LogSoftmax`);
  }
  if (rest[0]) scores = rest[0].op_type === 'Softmax' ? 'softmax' : 'logSoftmax';
  plan.head = { units, weight, bias, scores };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Default activations of each op (per direction). */
const DEFAULT_ACTS: Record<string, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };

/** ONNX gate blocks (in their order) taken for each of our blocks, per our variant. */
const ORDER: Record<string, number[]> = { lstm: [0, 2, 3, 1], cifg: [0, 3, 1], gru: [1, 0, 2], rnn: [0] };

function recurrentNode(n: OnnxNode, consts: Map<string, Tensor>): RecurrentNodePlan {
  const op = n.op_type!;
  const direction = text(attr(n, 'direction')?.s) || 'forward';
  if (direction !== 'reverse' && direction !== 'forward' && direction !== 'bidirectional') throw new FormatError(`ONNX: ${label(n)}: unknown direction ${JSON.stringify(direction)}`);
  const D = direction === 'bidirectional' ? 2 : 1;
  if (attr(n, 'clip')) throw new FormatError(`ONNX: ${label(n)}: clip has no equivalent here`);
  const acts = (attr(n, 'activations')?.strings ?? []).map(text);
  let variant = op === 'GRU' ? (attr(n, 'linear_before_reset')?.i ? 'reset_after' : 'reset_before') : op === 'RNN' ? 'tanh' : 'standard';
  if (acts.length > 0) {
    const defaults = DEFAULT_ACTS[op]!;
    const per = acts.length / D;
    const same = (want: string[]) => acts.length === want.length * D && acts.every((a, i) => a === want[i % want.length]);
    if (op === 'RNN' && same(['Relu'])) variant = 'relu';
    else if (!same(defaults) || per !== defaults.length) throw new FormatError(`ONNX: ${label(n)}: activations [${acts.join(', ')}] have no equivalent here (the defaults${op === 'RNN' ? ' or Relu' : ''} do)`);
  }
  const W = consts.get(n.input?.[1] ?? '');
  const R = consts.get(n.input?.[2] ?? '');
  if (!W || !R) throw new FormatError(`ONNX: ${label(n)}: W and R must be initializers`);
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const hidden = Number(attr(n, 'hidden_size')?.i ?? R.shape[2]);
  const I = W.shape[2]!;
  const shapeIs = (t: Tensor, want: number[], what: string) => {
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) throw new FormatError(`ONNX: ${label(n)}: ${what} expected shape [${want.join(', ')}], got [${t.shape.join(', ')}]`);
  };
  shapeIs(W, [D, G * hidden, I], 'W');
  shapeIs(R, [D, G * hidden, hidden], 'R');
  const B = consts.get(n.input?.[3] ?? '');
  if (n.input?.[3] && !B) throw new FormatError(`ONNX: ${label(n)}: B must be an initializer`);
  if (B) shapeIs(B, [D, 2 * G * hidden], 'B');
  const P = op === 'LSTM' ? consts.get(n.input?.[7] ?? '') : undefined;
  if (op === 'LSTM' && n.input?.[7] && !P) throw new FormatError(`ONNX: ${label(n)}: P must be an initializer`);
  if (P) shapeIs(P, [D, 3 * hidden], 'P');
  const inputForget = op === 'LSTM' && Boolean(attr(n, 'input_forget')?.i);
  if (inputForget && P) throw new FormatError(`ONNX: ${label(n)}: input_forget with peepholes has no equivalent here`);
  if (inputForget) variant = 'cifg';
  else if (P) variant = 'peephole';
  const order = ORDER[op === 'LSTM' ? (inputForget ? 'cifg' : 'lstm') : op === 'GRU' ? 'gru' : 'rnn']!;
  const H = hidden;
  const blocks = (src: Float32Array, offset: number, width: number) => {
    const out = new Float32Array(order.length * H * width);
    order.forEach((b, j) => out.set(src.subarray(offset + b * H * width, offset + (b + 1) * H * width), j * H * width));
    return out;
  };
  const params = new Map<string, Float32Array>();
  for (let d = 0; d < D; d++) {
    const sfx = d === 1 ? '_reverse' : '';
    params.set(`weight_ih${sfx}`, blocks(W.data as Float32Array, d * G * H * I, I));
    params.set(`weight_hh${sfx}`, blocks(R.data as Float32Array, d * G * H * H, H));
    const bd = B ? (B.data as Float32Array) : new Float32Array(D * 2 * G * H);
    params.set(`bias_ih${sfx}`, blocks(bd, d * 2 * G * H, 1));
    params.set(`bias_hh${sfx}`, blocks(bd, d * 2 * G * H + G * H, 1));
    if (P) {
      const p = (P.data as Float32Array).subarray(d * 3 * H, (d + 1) * 3 * H);
      params.set(`peephole_i${sfx}`, p.slice(0, H));
      params.set(`peephole_o${sfx}`, p.slice(H, 2 * H));
      params.set(`peephole_f${sfx}`, p.slice(2 * H, 3 * H));
    }
  }
  const layout = Number(attr(n, 'layout')?.i ?? 0);
  if (layout !== 0 && layout !== 1) throw new FormatError(`ONNX: ${label(n)}: layout ${layout} is not 0 or 1`);
  return { node: n.name ?? '', type: op.toLowerCase() as 'lstm' | 'gru' | 'rnn', variant, hidden: H, directions: D, layout, reverse: direction === 'reverse', params };
}
