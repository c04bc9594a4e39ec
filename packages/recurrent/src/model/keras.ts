/**
 * `loadKeras`: a TensorFlow.js layers model (`model.json` + weight shards, from
 * `tensorflowjs_converter` or tfjs `model.save`) as a {@link Model}, wrapped in a
 * {@link KerasModel} that runs it the Keras way: batch-major inputs and outputs, masks
 * (`Masking`, `Embedding(mask_zero)`), merge modes, return_state, stateful layers, the Dense
 * activation. docs/ARCHITECTURE.md, "A new file format".
 */
import { engine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';
import { type PathOrUrl, readIn, withReadSession } from '../io/files.js';
import type { ReadOptions } from '../io/read-session.js';
import { describe } from '../validate/index.js';
import { type KerasPlan, planKeras } from './keras-config.js';
import { isHdf5, readKerasH5 } from './keras-h5.js';
import { isZip, readKeras3 } from './keras3.js';
import { type ManifestGroup, splitWeights, stateDictOf } from './keras-weights.js';
import { dense, embedding, gru, type LayerConfig, lstm, rnn } from './layers.js';
import { Model } from './model.js';
import type { ModelState } from './state.js';

/** A tensor fed to or read from {@link KerasModel.predict}: row-major values and their shape. */
export interface KerasValue {
  shape: number[];
  data: ArrayLike<number>;
}

type Out = { shape: number[]; data: Float32Array };

/** A model read from the TensorFlow.js layers format. */
export class KerasModel {
  #carried: ModelState | undefined;

  /** @internal */
  constructor(
    /** The model (owned: dispose it, or this, when done). */
    readonly model: Model,
    /** @internal */ readonly plan: KerasPlan,
  ) {}

  /** The model's output names, as Keras names them. */
  get outputNames(): string[] {
    return this.plan.outputs.map((o) => o.name);
  }

  /**
   * What `predict` computes beyond {@link KerasModel.model} (so a file written from `model`
   * would not compute the Keras model), or undefined when the model alone is it.
   */
  get modelDiffers(): string | undefined {
    const p = this.plan;
    const last = p.recurrent.at(-1)!;
    if (p.maskValue !== undefined || p.embedding?.maskZero) return 'it masks steps (Masking or Embedding(mask_zero))';
    if (p.dense && p.dense.activation !== 'linear') return `its Dense layer applies ${p.dense.activation}; the model outputs the linear map`;
    if (!p.dense && last.merge && last.merge !== 'concat') return `its last Bidirectional layer merges with ${last.merge}; the model concatenates`;
    return undefined;
  }

  /** Forgets the carried state of a stateful model (Keras `reset_states()`). */
  resetStates(): void {
    this.#carried?.dispose();
    this.#carried = undefined;
  }

  dispose(): void {
    this.resetStates();
    this.model.dispose();
  }

  /**
   * Runs the model on `inputs` (input name -> `[B, T, F]` features or `[B, T]` token ids, plus
   * initial states `[B, U]` when the model takes them) and returns every output by name.
   * Masked steps follow Keras: state kept, output the previous one (zeros inside
   * Bidirectional); a stateful model carries its state to the next call.
   */
  predict(inputs: Record<string, KerasValue>): Record<string, Out> {
    const fn = 'KerasModel.predict';
    const p = this.plan;
    const names = Object.keys(inputs);
    const main = inputs[p.input] ?? (names.length === 1 ? inputs[names[0]!] : undefined);
    if (!main || !Array.isArray(main.shape)) throw new InvalidArgumentError(`${fn}: input \`${p.input}\` expected { shape, data }, got ${describe(main)}`);
    const tokens = p.embedding !== undefined;
    if (main.shape.length !== (tokens ? 2 : 3)) throw new InvalidArgumentError(`${fn}: input \`${p.input}\` expected shape [B, T${tokens ? '' : ', F'}], got [${main.shape.join(', ')}]`);
    const [B, T] = [main.shape[0]!, main.shape[1]!];
    const F = tokens ? 1 : main.shape[2]!;
    if (main.data.length !== B * T * F) throw new InvalidArgumentError(`${fn}: input \`${p.input}\` has ${main.data.length} values for shape [${main.shape.join(', ')}]`);
    const valid = (b: number, t: number) => {
      if (tokens) return !p.embedding!.maskZero || Number(main.data[b * T + t]) !== 0;
      if (p.maskValue === undefined) return true;
      for (let f = 0; f < F; f++) if (Number(main.data[(b * T + t) * F + f]) !== p.maskValue) return true;
      return false;
    };
    const stateful = p.recurrent.some((r) => r.stateful);
    if (stateful && this.#carried && this.#carried.batchSize !== B) throw new InvalidArgumentError(`${fn}: a stateful model runs batches of ${this.#carried.batchSize}, got ${B}`);
    const state = stateful ? (this.#carried ??= this.model.zeroState(B)) : this.model.zeroState(B);
    try {
      const first = p.recurrent[0]!;
      first.initialState.forEach((name, k) => {
        const v = inputs[name];
        if (!v || v.data.length !== B * first.units) throw new InvalidArgumentError(`${fn}: initial state \`${name}\` expected [${B}, ${first.units}]`);
        state.set(0, { [k === 0 ? 'h' : 'c']: [Float32Array.from(v.data, Number)] });
      });
      const last = p.recurrent.at(-1)!;
      const pooled = !last.returnSequences;
      const W = p.dense ? p.dense.units : last.merge === 'concat' ? 2 * last.units : last.units;
      const seqOut = new Float32Array(pooled ? B * W : B * T * W);
      const masked = p.maskValue !== undefined || p.embedding?.maskZero === true;
      const rows = masked ? Array.from({ length: B }, (_, b) => [b]) : [Array.from({ length: B }, (_, b) => b)];
      for (const group of rows) {
        // Masked: each sequence runs over its valid steps only (Keras keeps the state at masked steps).
        const steps = masked ? Array.from({ length: T }, (_, t) => t).filter((t) => valid(group[0]!, t)) : Array.from({ length: T }, (_, t) => t);
        const n = group.length;
        const s = masked ? this.model.zeroState(1) : state;
        try {
          if (masked) for (let i = 0; i < p.recurrent.length; i++) s.set(i, sliceState(state.get(i), group[0]!, B, p.recurrent[i]!.merge ? 2 : 1));
          let y: Float32Array | undefined;
          if (steps.length > 0) {
            const x = new Float32Array(steps.length * n * F);
            steps.forEach((t, j) => group.forEach((b, k) => { for (let f = 0; f < F; f++) x[(j * n + k) * F + f] = Number(main.data[(b * T + t) * F + f]); }));
            y = merged(p, this.model.predict(x, { seqLen: steps.length, batchSize: n, state: s }));
          }
          if (masked) for (let i = 0; i < p.recurrent.length; i++) writeState(state, i, s.get(i), group[0]!, B, p.recurrent[i]!.merge ? 2 : 1);
          const fill = this.#maskedOutput(W);
          group.forEach((b, k) => {
            if (pooled) {
              seqOut.set(y ? y.subarray(k * W, (k + 1) * W) : fill, b * W);
              return;
            }
            let prev = fill;
            let j = 0;
            for (let t = 0; t < T; t++) {
              if (j < steps.length && steps[j] === t) {
                prev = y!.subarray((j * n + k) * W, (j * n + k + 1) * W);
                j++;
                seqOut.set(prev, (b * T + t) * W);
              } else seqOut.set(last.merge ? fill : prev, (b * T + t) * W);
            }
          });
        } finally {
          if (masked) s.dispose();
        }
      }
      if (p.dense) activate(seqOut, W, p.dense.activation);
      const out: Record<string, Out> = {};
      for (const o of p.outputs) {
        if (o.index === 0) out[o.name] = { shape: pooled ? [B, W] : [B, T, W], data: seqOut };
        else {
          const li = p.recurrent.findIndex((r) => r.name === o.layer);
          const st = state.get(li);
          out[o.name] = { shape: [B, p.recurrent[li]!.units], data: (o.index === 1 ? st.h : st.c)[0]! };
        }
      }
      return out;
    } finally {
      if (!stateful) state.dispose();
    }
  }

  /** The output at a masked step before any valid one: zeros through the head (before its activation). */
  #maskedOutput(W: number): Float32Array {
    return this.plan.dense ? this.model.stateDict().get('fc.bias')!.slice() : new Float32Array(W);
  }
}

/** Row `b` of each stacked layer's `[D, B, H]` state, as a batch of one (`[D, 1, H]`). */
function sliceState(s: { h: Float32Array[]; c: Float32Array[] }, b: number, B: number, D: number): { h: Float32Array[]; c?: Float32Array[] } {
  const cut = (a: Float32Array) => {
    const H = a.length / (D * B);
    const out = new Float32Array(D * H);
    for (let d = 0; d < D; d++) out.set(a.subarray((d * B + b) * H, (d * B + b + 1) * H), d * H);
    return out;
  };
  return s.c.length > 0 ? { h: s.h.map(cut), c: s.c.map(cut) } : { h: s.h.map(cut) };
}

/** Writes a batch-of-one state back into row `b` of recurrent layer `i` of `state`. */
function writeState(state: ModelState, i: number, one: { h: Float32Array[]; c: Float32Array[] }, b: number, B: number, D: number): void {
  const all = state.get(i);
  const put = (into: Float32Array, from: Float32Array) => {
    const H = from.length / D;
    for (let d = 0; d < D; d++) into.set(from.subarray(d * H, (d + 1) * H), (d * B + b) * H);
  };
  all.h.forEach((a, k) => put(a, one.h[k]!));
  all.c.forEach((a, k) => put(a, one.c[k]!));
  state.set(i, all.c.length > 0 ? { h: all.h, c: all.c } : { h: all.h });
}

/** The last layer's Bidirectional merge (sum, ave, mul) when nothing after it folds it in. */
function merged(p: KerasPlan, y: Float32Array): Float32Array {
  const last = p.recurrent.at(-1)!;
  if (p.dense || !last.merge || last.merge === 'concat') return y;
  const U = last.units;
  const rows = y.length / (2 * U);
  const out = new Float32Array(rows * U);
  for (let r = 0; r < rows; r++) for (let u = 0; u < U; u++) {
    const f = y[r * 2 * U + u]!;
    const b = y[r * 2 * U + U + u]!;
    out[r * U + u] = last.merge === 'sum' ? f + b : last.merge === 'ave' ? (f + b) / 2 : f * b;
  }
  return out;
}

function activate(y: Float32Array, W: number, act: string): void {
  if (act === 'linear') return;
  for (let r = 0; r < y.length / W; r++) {
    const row = y.subarray(r * W, (r + 1) * W);
    if (act === 'softmax') {
      const m = Math.max(...row);
      let s = 0;
      for (let i = 0; i < W; i++) s += row[i] = Math.exp(row[i]! - m);
      for (let i = 0; i < W; i++) row[i]! /= s;
    } else for (let i = 0; i < W; i++) row[i] = act === 'tanh' ? Math.tanh(row[i]!) : act === 'sigmoid' ? 1 / (1 + Math.exp(-row[i]!)) : Math.max(0, row[i]!);
  }
}

/** The model of a plan and its weights. */
function build(plan: KerasPlan, weights: Map<string, { shape: number[]; data: Float32Array }>): KerasModel {
  const dict = stateDictOf(plan, weights);
  const layers: LayerConfig[] = [];
  if (plan.embedding) layers.push(embedding({ vocabSize: plan.embedding.vocabSize, dim: plan.embedding.dim, name: 'embedding' }));
  plan.recurrent.forEach((r, i) => {
    const common = { units: r.units, bidirectional: r.merge !== undefined, name: i === 0 ? 'rnn' : `rnn_${i}`, ...(r.returnSequences ? {} : { output: 'last' as const }) };
    layers.push(r.type === 'lstm' ? lstm(common) : r.type === 'gru' ? gru({ ...common, resetAfter: r.resetAfter }) : rnn({ ...common, nonlinearity: r.nonlinearity }));
  });
  if (plan.dense) layers.push(dense({ units: plan.dense.units, name: 'fc' }));
  let model: Model;
  try {
    model = new Model(layers, plan.embedding ? {} : { inputSize: plan.inputSize! });
  } catch (e) {
    throw new FormatError(`model.json: the layers are not a model here: ${(e as Error).message}`, { cause: e });
  }
  try {
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw new FormatError(`weights do not fit model.json: ${(e as Error).message}`, { cause: e });
  }
  return new KerasModel(model, plan);
}

/**
 * A model in one file: a Keras 3 `.keras` archive (a zip, `model.save("model.keras")`) or a
 * Keras 2 HDF5 file (`model.save("model.h5")`), topology and weights together.
 */
async function fromFileBytes(bytes: Uint8Array): Promise<KerasModel> {
  if (isZip(bytes)) {
    const k3 = await readKeras3(bytes);
    return build(planKeras(k3.modelJson), k3.weights);
  }
  if (isHdf5(bytes)) {
    const h5 = await readKerasH5(bytes);
    return build(planKeras(h5.modelJson), h5.weights);
  }
  throw new FormatError('loadKeras: the bytes are neither a .keras archive (zip) nor a Keras HDF5 file; for a TensorFlow.js model.json pass { modelJson, weights }');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, (k, v: unknown) => (k === '__proto__' ? undefined : v));
  } catch (e) {
    throw new FormatError(`model.json is not valid JSON: ${(e as Error).message}`);
  }
}

function manifestOf(modelJson: unknown): ManifestGroup[] {
  const m = (modelJson as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(m)) throw new FormatError('model.json: no weightsManifest (a list of { paths, weights })');
  return m as ManifestGroup[];
}

/** What {@link loadKeras} reads from memory: the model.json (object or text) and the weights (all shards concatenated in manifest order, or by path). */
export interface KerasSource {
  modelJson: unknown;
  weights: Uint8Array | Record<string, Uint8Array>;
}

/**
 * Loads a Keras model: the path or URL of a TensorFlow.js layers `model.json` (shards are read
 * beside it), of a Keras 3 `.keras` archive (zip, fflate) or of a Keras 2 HDF5 file (`model.h5`,
 * read with h5wasm); the bytes of a `.keras` or `.h5` file; or `{ modelJson, weights }`. Throws `FormatError` naming the layer, weight or shard that is
 * wrong (unsupported layer or activation, missing or short shards, shapes), `InitError` without
 * the engine, `InvalidArgumentError` for a bad `source`.
 */
export async function loadKeras(source: PathOrUrl | KerasSource | Uint8Array, options?: ReadOptions): Promise<KerasModel> {
  const fn = 'loadKeras';
  engine();
  if (source instanceof Uint8Array) return fromFileBytes(source);
  if (typeof source === 'object' && source !== null && !(source instanceof URL)) {
    const { modelJson, weights } = source;
    const json = typeof modelJson === 'string' ? parseJson(modelJson) : modelJson;
    const plan = planKeras(json);
    const manifest = manifestOf(json);
    let offset = 0;
    const all = weights instanceof Uint8Array ? weights : undefined;
    const split = splitWeights(manifest, (_g, path) => {
      if (all) {
        const rest = all.subarray(offset);
        offset = all.length; // one buffer: every shard of every group, in order (the split checks sizes)
        return rest;
      }
      const w = (weights as Record<string, Uint8Array>)[path] ?? (weights as Record<string, Uint8Array>)[path.replace(/^\.\//, '')];
      if (!(w instanceof Uint8Array)) throw new FormatError(`weights: shard ${JSON.stringify(path)} is missing`);
      return w;
    });
    return build(plan, split);
  }
  if (!(source instanceof URL) && !(typeof source === 'string' && source.length > 0)) {
    throw new InvalidArgumentError(`${fn}: argument \`source\` expected a path or URL of model.json, or { modelJson, weights }, got ${describe(source)}`);
  }
  return withReadSession(fn, options, async (session) => {
    const first = await readIn(session, fn, source);
    if (isHdf5(first) || isZip(first)) return fromFileBytes(first);
    const json = parseJson(new TextDecoder().decode(first));
    const plan = planKeras(json);
    const manifest = manifestOf(json);
    const shards = new Map<string, Uint8Array>();
    for (const g of manifest) {
      for (const path of g.paths ?? []) {
        const at = source instanceof URL ? new URL(path, source) : `${source.replace(/[^/\\]*$/, '')}${path.replace(/^\.\//, '')}`;
        try {
          shards.set(path, await readIn(session, fn, at));
        } catch (e) {
          if (e instanceof InvalidArgumentError) throw new FormatError(`weights: shard ${JSON.stringify(path)} cannot be read: ${e.message}`, { cause: e });
          throw e;
        }
      }
    }
    return build(plan, splitWeights(manifest, (_g, path) => shards.get(path)!));
  });
}
