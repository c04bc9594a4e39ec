/**
 * The weights of a TensorFlow.js layers model: each `weightsManifest` group's shards
 * concatenated, split in manifest order (float32 little-endian), then found by name — converter
 * output is `<layer>/<cell>/kernel` in HDF5 (name) order, tfjs `model.save` is `<layer>/kernel`
 * in model order; `Bidirectional` adds `forward_<inner>` / `backward_<inner>`. Then mapped to
 * PyTorch names and layouts: kernels transposed, GRU blocks z,r,h -> r,z,n, the GRU's
 * `[2, 3U]` bias split into `bias_ih` / `bias_hh`, the other biases into `bias_ih` with a zero
 * `bias_hh`.
 */
import { FormatError } from '../io/format-error.js';
import type { KerasPlan, KerasRecurrentPlan } from './keras-config.js';

export interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype?: string }[];
}

/** Every weight by name, from the manifest and each group's shard bytes (in `paths` order). */
export function splitWeights(manifest: ManifestGroup[], shards: (group: number, path: string) => Uint8Array): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  manifest.forEach((g, gi) => {
    if (typeof g !== 'object' || g === null || !Array.isArray(g.paths) || !Array.isArray(g.weights) || g.paths.some((p) => typeof p !== 'string')) {
      throw new FormatError(`model.json: weightsManifest[${gi}] expected { paths: string[], weights: [...] }`);
    }
    g.weights.forEach((w, wi) => {
      if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
        throw new FormatError(`model.json: weightsManifest[${gi}].weights[${wi}] expected { name: string, shape: number[], dtype }`);
      }
    });
    const parts = g.paths.map((p) => shards(gi, p));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const w of g.weights) {
      if ((w.dtype ?? 'float32') !== 'float32') throw new FormatError(`model.json: weight ${w.name} is ${w.dtype}; float32 is read`);
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new FormatError(`model.json: weight ${w.name}: bad shape`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (at + n * 4 > total) throw new FormatError(`weights: group ${gi} (${g.paths.join(', ')}) holds ${total} bytes; weight ${w.name} needs bytes ${at}..${at + n * 4}: a shard is short or missing`);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + i * 4, true);
      out.set(w.name.replace(/:0$/, ''), { shape: w.shape, data });
      at += n * 4;
    }
    if (at !== total) throw new FormatError(`weights: group ${gi} (${g.paths.join(', ')}) holds ${total} bytes, the manifest lists ${at}`);
  });
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Row blocks of H rows of `a` (`width` per row) taken in `order`. */
function blocks(a: Float32Array, order: number[], H: number, width: number): Float32Array {
  const out = new Float32Array(a.length);
  order.forEach((b, j) => out.set(a.subarray(b * H * width, (b + 1) * H * width), j * H * width));
  return out;
}

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** The weight `leaf` of layer `layer` (under `scope`, e.g. `forward_lstm`), whatever cell scope the producer wrote. */
function find(weights: Weights, layer: string, leaf: string, scope?: (part: string) => boolean): { shape: number[]; data: Float32Array } | undefined {
  for (const [name, w] of weights) {
    const parts = name.split('/');
    if (parts[0] !== layer || parts.at(-1) !== leaf) continue;
    if (scope ? parts.length >= 3 && scope(parts[1]!) : !parts.slice(1, -1).some((p) => p.startsWith('forward_') || p.startsWith('backward_'))) return w;
  }
  return undefined;
}

function need(weights: Weights, layer: string, leaf: string, shape: number[], scope?: (part: string) => boolean, scopeName = ''): Float32Array {
  const w = find(weights, layer, leaf, scope);
  if (!w) throw new FormatError(`weights: no ${scopeName ? `${scopeName} ` : ''}${leaf} for layer ${JSON.stringify(layer)}`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) throw new FormatError(`weights: ${layer}${scopeName ? ` ${scopeName}` : ''} ${leaf} expected shape [${shape.join(', ')}], got [${w.shape.join(', ')}]`);
  return w.data;
}

/** The PyTorch-named state dict of `plan` (module names `embedding`, `rnn`, `rnn_1`, ..., `fc`). */
export function stateDictOf(plan: KerasPlan, weights: Weights): Map<string, Float32Array> {
  const dict = new Map<string, Float32Array>();
  if (plan.embedding) dict.set('embedding.weight', need(weights, plan.embedding.name, 'embeddings', [plan.embedding.vocabSize, plan.embedding.dim]));
  let inSize = plan.embedding ? plan.embedding.dim : plan.inputSize!;
  let dup = 1; // a sum/ave Bidirectional before: the consumer reads [f; b] with its input columns repeated
  let scale = 1;
  const widen = (w: Float32Array, rows: number, cols: number): Float32Array => {
    if (dup === 1) return w;
    const out = new Float32Array(rows * cols * 2);
    for (let r = 0; r < rows; r++) for (let k = 0; k < 2; k++) for (let c = 0; c < cols; c++) out[r * cols * 2 + k * cols + c] = w[r * cols + c]! * scale;
    return out;
  };
  plan.recurrent.forEach((r, li) => {
    const name = li === 0 ? 'rnn' : `rnn_${li}`;
    const G = r.type === 'lstm' ? 4 : r.type === 'gru' ? 3 : 1;
    const U = r.units;
    const order = r.type === 'gru' ? [1, 0, 2] : Array.from({ length: G }, (_, i) => i);
    const dirs: [string, ((p: string) => boolean) | undefined, string][] = r.merge
      ? [['', (p) => p.startsWith('forward_'), 'forward'], ['_reverse', (p) => p.startsWith('backward_'), 'backward']]
      : [['', undefined, '']];
    for (const [sfx, scope, scopeName] of dirs) {
      const kernel = need(weights, r.name, 'kernel', [inSize, G * U], scope, scopeName);
      const rk = need(weights, r.name, 'recurrent_kernel', [U, G * U], scope, scopeName);
      dict.set(`${name}.weight_ih_l0${sfx}`, widen(blocks(transpose(kernel, inSize, G * U), order, U, inSize), G * U, inSize));
      dict.set(`${name}.weight_hh_l0${sfx}`, blocks(transpose(rk, U, G * U), order, U, U));
      let bih: Float32Array = new Float32Array(G * U);
      let bhh: Float32Array = new Float32Array(G * U);
      if (r.useBias) {
        if (r.type === 'gru' && r.resetAfter) {
          const b = need(weights, r.name, 'bias', [2, G * U], scope, scopeName);
          bih = blocks(b.slice(0, G * U), order, U, 1);
          bhh = blocks(b.slice(G * U), order, U, 1);
        } else bih = blocks(need(weights, r.name, 'bias', [G * U], scope, scopeName), order, U, 1);
      }
      dict.set(`${name}.bias_ih_l0${sfx}`, bih);
      dict.set(`${name}.bias_hh_l0${sfx}`, bhh);
    }
    const D = r.merge ? 2 : 1;
    dup = r.merge === 'sum' || r.merge === 'ave' ? 2 : 1;
    scale = r.merge === 'ave' ? 0.5 : 1;
    inSize = r.merge === 'concat' ? D * U : U;
  });
  if (plan.dense) {
    const d = plan.dense;
    const k = need(weights, d.name, 'kernel', [inSize, d.units]);
    dict.set('fc.weight', widen(transpose(k, inSize, d.units), d.units, inSize));
    dict.set('fc.bias', d.useBias ? need(weights, d.name, 'bias', [d.units]) : new Float32Array(d.units));
  }
  return dict;
}

export type { KerasRecurrentPlan };
