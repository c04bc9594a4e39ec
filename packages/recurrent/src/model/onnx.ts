/**
 * `loadOnnx`: an ONNX file of a recurrent model (see `onnx-graph.ts` for what is read) as a
 * {@link Model}, wrapped in an {@link OnnxModel} that also knows the graph's inputs and outputs,
 * so it can be run like an onnxruntime session (`run(feeds)`). docs/ARCHITECTURE.md, "A new file format".
 */
import { engine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';
import { type PathOrUrl, readIn, withReadSession } from '../io/files.js';
import type { ReadOptions } from '../io/read-session.js';
import { decodeModel } from '../io/onnx/proto.js';
import { describe } from '../validate/index.js';
import { dense, embedding, gru, type LayerConfig, lstm, type LstmVariant, rnn } from './layers.js';
import { Model } from './model.js';
import { type OnnxPlan, planOnnx } from './onnx-graph.js';

/** A tensor fed to or read from {@link OnnxModel.run}: row-major values and their shape. */
export interface OnnxValue {
  shape: number[];
  data: ArrayLike<number>;
}

/** A model read from ONNX, with the graph's input and output names. */
export class OnnxModel {
  /** @internal */
  constructor(
    /** The model (owned: dispose it, or this, when done). */
    readonly model: Model,
    /** @internal */ readonly plan: OnnxPlan,
    /** Which of our recurrent layers, and which stacked layer in it, each ONNX recurrent node is. */
    private readonly placement: { layer: number; stacked: number }[],
  ) {}

  /** The graph's input names, in the roles read (`x` features, `tokens`, `lengths`, `h0`, `c0`). */
  get inputNames(): string[] {
    return this.plan.inputs.map((i) => i.name);
  }

  /** The graph's output names. */
  get outputNames(): string[] {
    return this.plan.outputs.map((o) => o.name);
  }

  /**
   * What `run` computes beyond {@link OnnxModel.model} (so a file written from `model` would
   * not compute the graph), or undefined when the model alone is the graph.
   */
  get modelDiffers(): string | undefined {
    if (this.plan.reversed) return 'the graph runs right to left (direction="reverse"); the model runs on reversed sequences';
    if (this.plan.head && this.plan.head.scores !== 'logits') return `the graph ends with ${this.plan.head.scores === 'softmax' ? 'Softmax' : 'LogSoftmax'}; the model outputs logits`;
    return undefined;
  }

  /** Frees the model. */
  dispose(): void {
    this.model.dispose();
  }

  /**
   * Runs the graph on `feeds` (graph input name -> tensor, as for onnxruntime) and returns every
   * graph output, computed the ONNX way: steps past a sequence's `sequence_lens` are zeros in `Y`.
   */
  run(feeds: Record<string, OnnxValue>): Record<string, { shape: number[]; data: Float32Array }> {
    const fn = 'OnnxModel.run';
    const p = this.plan;
    const main = p.inputs.find((i) => i.role === 'x' || i.role === 'tokens')!;
    const feed = (name: string) => {
      const v = feeds[name];
      if (!v || !Array.isArray(v.shape) || v.data === undefined) throw new InvalidArgumentError(`${fn}: feed \`${name}\` expected { shape, data }, got ${describe(v)}`);
      if (v.shape.reduce((a, b) => a * b, 1) !== v.data.length) throw new InvalidArgumentError(`${fn}: feed \`${name}\` has ${v.data.length} values for shape [${v.shape.join(', ')}]`);
      return v;
    };
    const xv = feed(main.name);
    const batchFirst = p.batchFirst || p.nodes[0]!.layout === 1;
    const want = main.role === 'tokens' ? 2 : 3;
    if (xv.shape.length !== want) throw new InvalidArgumentError(`${fn}: feed \`${main.name}\` expected rank ${want}, got [${xv.shape.join(', ')}]`);
    const [T, B] = batchFirst ? [xv.shape[1]!, xv.shape[0]!] : [xv.shape[0]!, xv.shape[1]!];
    const F = main.role === 'tokens' ? 1 : xv.shape[2]!;
    const lengthsIn = p.inputs.find((i) => i.role === 'lengths');
    const lengths = lengthsIn ? Array.from(feed(lengthsIn.name).data, Number) : undefined;
    const timeMajor = batchFirst ? swap01(xv.data, B, T, F) : xv.data;
    const x = p.reversed ? reverseSteps(timeMajor, T, B, F, lengths) : timeMajor;
    const state = this.model.zeroState(B);
    try {
      for (const i of p.inputs) {
        if (i.role !== 'h0' && i.role !== 'c0') continue;
        const node = p.nodes[i.node]!;
        const v = feed(i.name);
        const at = this.placement[i.node]!;
        const D = node.directions;
        const H = node.hidden;
        const size = D * B * H;
        // layout 0: [rows, B, H] sliced by the exporter (rows k*D.. for node k); layout 1: [B, D, H].
        const rows = node.layout === 1 ? swap01(v.data, B, D, H) : v.data;
        const first = node.layout === 1 ? 0 : v.shape[0] === D ? 0 : i.node * D;
        const part = Float32Array.from({ length: size }, (_, j) => Number(rows[first * B * H + j]));
        const cur = state.get(at.layer);
        const key = i.role === 'h0' ? 'h' : 'c';
        cur[key][at.stacked] = part;
        state.set(at.layer, { [key]: cur[key] });
      }
      const scores = p.head?.scores === 'logits' || !p.head ? undefined : 'logSoftmax';
      const forward = this.model.predict(x, { seqLen: T, batchSize: B, state, ...(lengths ? { lengths } : {}), ...(scores ? { logSoftmax: true } : {}) });
      const y = p.reversed ? reverseSteps(forward, T, B, forward.length / (T * B), lengths) : forward;
      if (p.head?.scores === 'softmax') for (let j = 0; j < y.length; j++) y[j] = Math.exp(y[j]!);
      const out: Record<string, { shape: number[]; data: Float32Array }> = {};
      const last = p.nodes.at(-1)!;
      for (const o of p.outputs) {
        if (o.role === 'y' || o.role === 'logits') {
          const W = y.length / (T * B);
          if (o.role === 'y' && lengths) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lengths[b]!) y.fill(0, (t * B + b) * W, (t * B + b + 1) * W);
          if (o.role === 'y' && o.rank === 4) {
            const D = last.directions;
            const H = last.hidden;
            const r = new Float32Array(y.length);
            const bf = last.layout === 1;
            for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) {
              const at = bf ? ((b * T + t) * D + d) * H + h : ((t * D + d) * B + b) * H + h;
              r[at] = y[((t * B + b) * D + d) * H + h]!;
            }
            out[o.name] = { shape: bf ? [B, T, D, H] : [T, D, B, H], data: r };
          } else if (o.batchFirst || (o.role === 'y' && last.layout === 1)) out[o.name] = { shape: [B, T, W], data: swap01(y, T, B, W) as Float32Array };
          else out[o.name] = { shape: [T, B, W], data: y };
        } else {
          const key = o.role === 'h_n' ? 'h' : 'c';
          const nodes = o.nodes!;
          const parts = nodes.map((k) => state.get(this.placement[k]!.layer)[key][this.placement[k]!.stacked]!);
          const D = p.nodes[nodes[0]!]!.directions;
          const H = p.nodes[nodes[0]!]!.hidden;
          const cat = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
          parts.reduce((off, a) => (cat.set(a, off), off + a.length), 0);
          if (p.nodes[nodes[0]!]!.layout === 1) out[o.name] = { shape: [B, D, H], data: swap01(cat, D, B, H) as Float32Array };
          else out[o.name] = { shape: [cat.length / (B * H), B, H], data: cat };
        }
      }
      return out;
    } finally {
      state.dispose();
    }
  }
}

/** Time-major `a` [T, B, w] with each sequence's first `lengths[b]` steps (default T) in reverse order. */
function reverseSteps(a: ArrayLike<number>, T: number, B: number, w: number, lengths: readonly number[] | undefined): Float32Array {
  const out = new Float32Array(T * B * w);
  for (let b = 0; b < B; b++) {
    const len = Math.min(T, Math.max(0, lengths?.[b] ?? T));
    for (let t = 0; t < T; t++) {
      const from = t < len ? len - 1 - t : t;
      for (let k = 0; k < w; k++) out[(t * B + b) * w + k] = a[(from * B + b) * w + k]!;
    }
  }
  return out;
}

/** `a` as [n1, n0, w] from [n0, n1, w]. */
function swap01(a: ArrayLike<number>, n0: number, n1: number, w: number): Float32Array {
  const out = new Float32Array(n0 * n1 * w);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) for (let k = 0; k < w; k++) out[(j * n0 + i) * w + k] = a[(i * n1 + j) * w + k]!;
  return out;
}

/** The model of a plan: consecutive nodes of one kind and size are one stacked layer. */
export function modelOfPlan(plan: OnnxPlan): OnnxModel {
  const layers: LayerConfig[] = [];
  const dict = new Map<string, Float32Array>();
  if (plan.embedding) {
    layers.push(embedding({ vocabSize: plan.embedding.vocabSize, dim: plan.embedding.dim, name: 'embedding' }));
    dict.set('embedding.weight', plan.embedding.weight);
  }
  const groups: { start: number; count: number }[] = [];
  plan.nodes.forEach((n, k) => {
    const g = groups.at(-1);
    const prev = g ? plan.nodes[g.start]! : undefined;
    if (g && prev && prev.type === n.type && prev.variant === n.variant && prev.hidden === n.hidden && prev.directions === n.directions && n.layout === 0 && prev.layout === 0) g.count++;
    else groups.push({ start: k, count: 1 });
  });
  const placement: { layer: number; stacked: number }[] = [];
  groups.forEach((g, gi) => {
    const n = plan.nodes[g.start]!;
    const name = gi === 0 ? 'rnn' : `rnn_${gi}`;
    const common = { units: n.hidden, layers: g.count, bidirectional: n.directions === 2, name };
    layers.push(n.type === 'lstm' ? lstm({ ...common, variant: (n.variant === 'standard' ? 'standard' : n.variant) as LstmVariant })
      : n.type === 'gru' ? gru({ ...common, resetAfter: n.variant === 'reset_after' })
      : rnn({ ...common, nonlinearity: n.variant as 'tanh' | 'relu' }));
    for (let s = 0; s < g.count; s++) {
      placement.push({ layer: gi, stacked: s });
      for (const [stem, v] of plan.nodes[g.start + s]!.params) {
        const [base, rev] = stem.endsWith('_reverse') ? [stem.slice(0, -8), '_reverse'] : [stem, ''];
        dict.set(`${name}.${base}_l${s}${rev}`, v);
      }
    }
  });
  if (plan.head) {
    layers.push(dense({ units: plan.head.units, name: 'fc' }));
    dict.set('fc.weight', plan.head.weight);
    dict.set('fc.bias', plan.head.bias);
  }
  let model: Model;
  try {
    model = new Model(layers, plan.inputSize === undefined ? {} : { inputSize: plan.inputSize });
  } catch (e) {
    throw new FormatError(`ONNX: the graph's layers are not a model here: ${(e as Error).message}`, { cause: e });
  }
  try {
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw new FormatError(`ONNX: the weights do not fit the layers: ${(e as Error).message}`, { cause: e });
  }
  return new OnnxModel(model, plan, placement);
}

/** Reads an ONNX model from bytes, without the engine check (internal: tests and the CLI). */
export function onnxFromBytes(bytes: Uint8Array): OnnxModel {
  return modelOfPlan(planOnnx(decodeModel(bytes)));
}

/**
 * Loads the ONNX file `source` (its bytes, a path or a URL, read under `options`' limits) into
 * an {@link OnnxModel}. Throws `InitError` when the engine is not loaded, `FormatError` naming
 * what is wrong for a file that is not ONNX, truncated, too old (opset < 7), or holds an op,
 * attribute or shape this library has no layer for, `InvalidArgumentError` for a bad `source`.
 */
export async function loadOnnx(source: Uint8Array | PathOrUrl, options?: ReadOptions): Promise<OnnxModel> {
  const fn = 'loadOnnx';
  engine();
  if (source instanceof Uint8Array) return onnxFromBytes(source);
  if (!(source instanceof URL) && !(typeof source === 'string' && source.length > 0)) {
    throw new InvalidArgumentError(`${fn}: argument \`source\` expected the bytes of an ONNX file, a path or a URL, got ${describe(source)}`);
  }
  const bytes = await withReadSession(fn, options, (session) => readIn(session, fn, source));
  return onnxFromBytes(bytes);
}
