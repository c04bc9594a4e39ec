/**
 * `Model`: a sequential recurrent network — optional input layer, recurrent layers, optional
 * dense output — with training by BPTT, inference, streaming steps and generation. Every
 * tensor lives in wasm memory; one training step is a handful of wasm calls whatever the
 * sequence length (DESIGN.md, "Data flow of one training step").
 */
import { Random } from '../data/random.js';
import type { Vocab } from '../data/vocab.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { InvalidArgumentError, NonFiniteError, OutOfMemoryError } from '../errors.js';
import { checkClipNorm, checkFinite, checkInt, checkObject, checkOneOf, checkOptionalBoolean, describe, MAX_BATCH_FLOATS } from '../validate/index.js';
import {
  asOutOfMemory, checkLayerConfigs, checkOptimizer, checkParameterBudget, checkParameterNames, checkState,
  checkVocab, type NamedLayer, type VocabSizes,
} from './checks.js';
import { gateCount } from '../core/stack.js';
import { cellKindOf } from './layers.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import { DenseLayer } from './dense-layer.js';
import { InputLayer } from './embedding-layer.js';
import type { DenseConfig, EmbeddingConfig, LayerConfig, OneHotConfig, RecurrentConfig, RecurrentOutput } from './layers.js';
import { Optimizer, type OptimizerConfig } from './optimizers.js';
import type { Param, ParamGroup } from './param.js';
import { type LayerState, RecurrentLayer } from './recurrent-layer.js';
import { ModelState } from './state.js';
import { generateText, generateTokens, type GenerateOptions } from './generate.js';
import { Workspace } from './workspace.js';

/** Options of {@link sequential}. */
export interface SequentialOptions {
  /** Seed of the parameter initialisation (and of dropout masks). Default `0`. */
  seed?: number;
  /** Features per step when there is no input layer (otherwise the vocabulary size decides). */
  inputSize?: number;
  /**
   * A vocabulary to keep with the model (used by `generate` with strings, and saved): a
   * {@link Vocab} with as many tokens as the input layer's `vocabSize` (or, for a model
   * without a token input, as its outputs). Default: none.
   */
  vocab?: Vocab;
  /** How `generate` splits a text prefix into tokens and joins the output. Default `'char'`. */
  tokenizer?: 'char' | 'word';
}

/** One training or evaluation batch, time-major. */
export interface SequenceBatch {
  /** Token ids `[T, B]` (models with an input layer) or features `[T, B, F]`. */
  x: ArrayLike<number>;
  /**
   * Targets: class ids `[T, B]` per step (cross-entropy, sequence output) or `[B]` per
   * sequence (pooled output); or float targets shaped like the model's output (MSE).
   */
  y: ArrayLike<number>;
  /** T. */
  seqLen: number;
  /** B. */
  batchSize: number;
  /** Valid steps of each sequence (B integers in [1, T]). Default: all T. */
  lengths?: ArrayLike<number>;
}

/** The loss a model trains on. */
export type LossKind = 'crossEntropy' | 'mse';

/** What one training step measured. */
export interface StepResult {
  /** Mean loss over the counted positions. */
  loss: number;
  /** Global L2 norm of all gradients before clipping. */
  gradNorm: number;
  /** Factor applied to the gradients (1 when not clipped). */
  clipScale: number;
  /** Counted positions (tokens or sequences). */
  count: number;
  /** Positions whose arg-max prediction was right (cross-entropy only). */
  correct: number;
}

/** Options of one training step. */
export interface TrainStepOptions {
  loss: LossKind;
  optimizer: Optimizer;
  /** Global-norm clipping threshold; `undefined` or `Infinity`: no clipping. */
  clipNorm?: number | undefined;
  /** Carry the final state of this batch into the next one (truncated BPTT). */
  carryState?: boolean;
  /** Start from this state instead (it receives the final state). */
  state?: ModelState;
  /**
   * Memory-saving BPTT: keep the recurrent state only every this many steps and recompute
   * the activations in between during the backward pass (unidirectional layers). The tape
   * then holds this many steps instead of the whole sequence, for about one extra forward.
   * Default `0` (keep everything).
   */
  checkpointEvery?: number;
  /** Epoch, for the learning-rate schedule. */
  epoch?: number;
}

/** Per-layer norms of dL/dh_t: `norms[d * seqLen + t]` for direction d. */
export interface GradientFlow {
  layer: string;
  stackedLayer: number;
  directions: number;
  seqLen: number;
  norms: Float32Array;
}

/** Where {@link Model.findNonFinite} found the first NaN or infinity. */
export interface NonFiniteReport {
  /** The layer's module name as in parameter names (`embedding`, `rnn`, `rnn_1`, `fc`; `oneHot`). */
  layer: string;
  /** Its index in the model's layer configs. */
  index: number;
  /** `'parameters'`: one of its parameters holds the value; `'output'`: its output on the batch does. */
  where: 'parameters' | 'output';
  /** The parameter's full name (when `where` is `'parameters'`). */
  parameter?: string;
  /** Flat index of the value in the parameter or the output `[T, B, F]` (`[B, F]` when pooled). */
  offset: number;
  /** Time step of the value in the output (`undefined` for parameters and pooled outputs). */
  step?: number;
  /** Sequence of the value in the output (`undefined` for parameters). */
  sequence?: number;
  /** The value itself: NaN, Infinity or -Infinity. */
  value: number;
}

/** A validated batch, ready for the kernels. */
interface Prepared {
  seqLen: number;
  b: number;
  rows: number;
  lengths: Uint32Array;
  ids: Uint32Array | undefined;
  x: Float32Array | undefined;
  targets: Uint32Array | Float32Array | undefined;
}

export class Model extends Owned {
  readonly configs: readonly LayerConfig[];
  readonly seed: number;
  #vocab: Vocab | undefined;
  /** How text maps to tokens for {@link Model.generate}. */
  readonly tokenizer: 'char' | 'word';
  /** @internal */ readonly engine: Engine;
  /** @internal */ readonly input: InputLayer | undefined;
  /** @internal */ readonly recurrent: RecurrentLayer[] = [];
  /** @internal */ readonly dense: DenseLayer | undefined;
  /** @internal */ readonly ws = new Workspace();
  /** Features per step fed to the first recurrent layer. */
  readonly featureSize: number;
  /** What the last recurrent layer outputs. */
  readonly output: RecurrentOutput;
  #carried: ModelState | undefined;
  #optimizer: { key: string; optimizer: Optimizer } | undefined;
  #batches = 0;

  /** @internal Use {@link sequential}. */
  constructor(layers: readonly LayerConfig[], options: SequentialOptions = {}) {
    super('Model');
    const op = 'sequential';
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new InvalidArgumentError(`${op}: argument \`layers\` expected a non-empty array of layer configs, got ${String(layers)}`);
    }
    checkObject(op, 'options', options, 'an options object');
    // Every config is checked, and the size bounded, before anything is allocated.
    checkLayerConfigs(op, layers);
    if (options.inputSize !== undefined) checkInt(op, 'inputSize', options.inputSize, 1);
    checkParameterBudget(op, layers, options.inputSize);
    this.configs = layers;
    this.seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff);
    this.tokenizer = options.tokenizer ?? 'char';
    if (this.tokenizer !== 'char' && this.tokenizer !== 'word') {
      throw new InvalidArgumentError(`${op}: option \`tokenizer\` expected 'char' or 'word', got ${String(this.tokenizer)}`);
    }
    this.engine = currentEngine();
    try {
      const rng = new Random(this.seed);
      let i = 0;
      const first = layers[0]!;
      if (first.type === 'embedding' || first.type === 'oneHot') {
        this.input = new InputLayer(first as EmbeddingConfig | OneHotConfig, this.engine, rng);
        this.featureSize = this.input.dim;
        i = 1;
        if (options.inputSize !== undefined && options.inputSize !== this.featureSize) {
          throw new InvalidArgumentError(`${op}: option \`inputSize\` ${options.inputSize} disagrees with the input layer's ${this.featureSize} features`);
        }
      } else {
        this.input = undefined;
        this.featureSize = checkInt(op, 'inputSize (needed without an embedding or oneHot layer)', options.inputSize, 1);
      }
      let size = this.featureSize;
      for (; i < layers.length && ['rnn', 'gru', 'lstm'].includes(layers[i]!.type); i++) {
        const prev = this.recurrent[this.recurrent.length - 1];
        if (prev && (prev.config.output ?? 'sequence') !== 'sequence') {
          throw new InvalidArgumentError(`${op}: only the last recurrent layer may set \`output\` to '${prev.config.output}'`);
        }
        const r = new RecurrentLayer(layers[i] as RecurrentConfig, this.recurrent.length, size, rng, this.engine);
        this.recurrent.push(r);
        size = r.outputSize;
      }
      if (this.recurrent.length === 0) {
        throw new InvalidArgumentError(`${op}: expected at least one rnn, gru or lstm layer after the input layer, got ${layers.map((l) => l.type).join(', ')}`);
      }
      this.output = this.recurrent[this.recurrent.length - 1]!.config.output ?? 'sequence';
      if (i < layers.length && layers[i]!.type === 'dense') {
        this.dense = new DenseLayer(layers[i] as DenseConfig, size, this.engine, rng);
        i++;
      } else {
        this.dense = undefined;
      }
      if (i < layers.length) {
        throw new InvalidArgumentError(`${op}: layer ${i} (${layers[i]!.type}) cannot follow ${layers[i - 1]!.type}; the order is [embedding|oneHot] rnn|gru|lstm... [dense]`);
      }
      checkParameterNames(op, this.#namedLayers());
      this.#vocab = checkVocab(op, 'option `vocab`', options.vocab, this.#vocabSizes());
    } catch (e) {
      // Free what was built before the failure: a failed constructor leaves nothing behind.
      this.input?.dispose();
      this.recurrent.forEach((r) => r.dispose());
      this.dense?.dispose();
      throw asOutOfMemory(op, e);
    }
  }

  /**
   * The vocabulary kept with the model, or undefined. Setting it checks it the way
   * {@link sequential}'s `vocab` option is checked.
   */
  get vocab(): Vocab | undefined {
    return this.#vocab;
  }

  set vocab(value: Vocab | undefined) {
    this.#vocab = checkVocab('Model.vocab', 'the assigned value', value, this.#vocabSizes());
  }

  #vocabSizes(): VocabSizes {
    return { input: this.input && { type: this.input.config.type, vocabSize: this.input.vocabSize }, outputSize: this.outputSize };
  }

  /** Every layer that has parameters, with its config index and module name. */
  #namedLayers(): NamedLayer[] {
    const first = this.input ? 1 : 0;
    const layers: NamedLayer[] = [];
    if (this.input) layers.push({ index: 0, type: this.input.config.type, name: this.input.name, params: this.input.params });
    this.recurrent.forEach((r, i) => layers.push({ index: first + i, type: r.config.type, name: r.name, params: r.params }));
    if (this.dense) layers.push({ index: first + this.recurrent.length, type: 'dense', name: this.dense.name, params: this.dense.params });
    return layers;
  }

  /** Features of the model's output per position. */
  get outputSize(): number {
    return this.dense?.units ?? this.recurrent[this.recurrent.length - 1]!.outputSize;
  }

  /** Whether inputs are token ids (an embedding or one-hot layer comes first). */
  get takesTokens(): boolean {
    return this.input !== undefined;
  }

  /** Every parameter tensor with its PyTorch state-dict name. */
  parameters(): Param[] {
    return [...(this.input?.params ?? []), ...this.recurrent.flatMap((r) => r.params), ...(this.dense?.params ?? [])];
  }

  /** @internal Flat parameter buffers with their gradients. */
  groups(): ParamGroup[] {
    return [...(this.input?.groups ?? []), ...this.recurrent.flatMap((r) => r.groups), ...(this.dense?.groups ?? [])];
  }

  /** Floats held by the recurrent layers' BPTT tapes (for memory reports). */
  get tapeFloats(): number {
    return this.recurrent.reduce((n, r) => n + r.tapeFloats, 0);
  }

  /** Total number of trainable floats. */
  get parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Forgets the state carried between batches (truncated BPTT); the next batch starts from zeros. */
  resetState(): void {
    this.#carried?.dispose();
    this.#carried = undefined;
  }

  /**
   * The optimiser `fit` uses for `config`: the previous one when the settings are the same
   * (so its state carries over, as in Keras), else a new one.
   */
  optimizerFor(config: OptimizerConfig): Optimizer {
    this.live();
    let key: string;
    try {
      key = JSON.stringify(config, (_, v: unknown) => (typeof v === 'function' ? `fn:${String(v)}` : v));
    } catch (e) {
      // A BigInt or a cycle: not an optimiser config.
      throw new InvalidArgumentError(`optimizer: expected sgd(), adam() or adamw(), got an object that is not plain data (${(e as Error).message})`);
    }
    if (this.#optimizer?.key !== key) {
      const optimizer = new Optimizer(config, this.groups(), this.engine);
      this.#optimizer?.optimizer.dispose();
      this.#optimizer = { key, optimizer };
    }
    return this.#optimizer.optimizer;
  }

  /** Forgets the optimiser state kept between `fit` calls. */
  resetOptimizer(): void {
    this.#optimizer?.optimizer.dispose();
    this.#optimizer = undefined;
  }

  /** A zero state for `batchSize` sequences, for {@link Model.step} or as a starting state. */
  zeroState(batchSize: number): ModelState {
    this.live();
    return new ModelState(this, this.recurrent, checkInt('zeroState', 'batchSize', batchSize, 1, 1 << 20));
  }

  /** The state carried between batches (truncated BPTT), created at zero for a new batch size. */
  carriedState(batchSize: number): ModelState {
    if (this.#carried?.batchSize !== batchSize) {
      this.resetState();
      this.#carried = this.zeroState(batchSize);
    }
    return this.#carried;
  }

  #states(state: ModelState | undefined, carry: boolean | undefined, batch: number, what: string): LayerState[] | undefined {
    if (state) return state.use(this, batch, what);
    return carry ? this.carriedState(batch).layers : undefined;
  }

  /** Checks a batch's shape and returns its parts ready for the kernels. */
  #prepare(batch: SequenceBatch, what: string, loss: LossKind | undefined): Prepared {
    this.live();
    if (typeof batch !== 'object' || batch === null) throw new InvalidArgumentError(`${what}: argument \`batch\` expected an object { x, y, seqLen, batchSize }`);
    const seqLen = checkInt(what, 'seqLen', batch.seqLen, 1);
    const b = checkInt(what, 'batchSize', batch.batchSize, 1);
    const rows = seqLen * b;
    const floats = rows * this.#floatsPerPosition();
    if (floats > MAX_BATCH_FLOATS) {
      throw new OutOfMemoryError(
        `${what}: arguments \`seqLen\` x \`batchSize\` = ${seqLen} x ${b} positions need about ${Math.round(floats / 2 ** 18)} MiB of working memory with this model, more than fits in wasm memory (${MAX_BATCH_FLOATS / 2 ** 18} MiB); use shorter or fewer sequences per batch`,
      );
    }
    const lengths = new Uint32Array(batch.lengths === undefined ? 0 : b);
    if (batch.lengths !== undefined) {
      if (batch.lengths === null || typeof batch.lengths !== 'object') {
        throw new InvalidArgumentError(`${what}: argument \`lengths\` expected ${b} integers in [1, ${seqLen}], got ${describe(batch.lengths)}`);
      }
      if (batch.lengths.length !== b) throw new InvalidArgumentError(`${what}: argument \`lengths\` expected ${b} values, got ${batch.lengths.length}`);
      for (let i = 0; i < b; i++) lengths[i] = checkInt(what, `lengths[${i}]`, batch.lengths[i], 1, seqLen);
    }
    const xLen = this.input ? rows : rows * this.featureSize;
    if (!batch.x || batch.x.length !== xLen) {
      const shape = this.input ? `[${seqLen}, ${b}] token ids` : `[${seqLen}, ${b}, ${this.featureSize}] features`;
      throw new InvalidArgumentError(`${what}: argument \`x\` expected ${shape} (${xLen} values), got ${batch.x?.length ?? String(batch.x)}`);
    }
    const ids = this.input ? this.input.ids(batch.x, `${what} x`) : undefined;
    let targets: Uint32Array | Float32Array | undefined;
    if (loss !== undefined) {
      const positions = this.output === 'sequence' ? rows : b;
      const shape = this.output === 'sequence' ? `[${seqLen}, ${b}]` : `[${b}]`;
      if (loss === 'crossEntropy') {
        if (!this.dense) throw new InvalidArgumentError(`${what}: cross-entropy needs a dense output layer`);
        if (!batch.y || batch.y.length !== positions) throw new InvalidArgumentError(`${what}: argument \`y\` expected ${shape} class ids, got ${batch.y?.length ?? String(batch.y)} values`);
        const t = new Uint32Array(positions);
        const valid = this.#validRows(seqLen, b, lengths);
        for (let i = 0; i < positions; i++) {
          const v = batch.y[i]!;
          const counted = this.output !== 'sequence' || valid === undefined || valid[i] === 1;
          if (counted && (!Number.isInteger(v) || v < 0 || v >= this.outputSize)) {
            throw new InvalidArgumentError(`${what}: argument \`y\` at index ${i} expected a class id in [0, ${this.outputSize - 1}], got ${String(v)}`);
          }
          t[i] = counted ? v : 0;
        }
        targets = t;
      } else {
        const n = positions * this.outputSize;
        if (!batch.y || batch.y.length !== n) throw new InvalidArgumentError(`${what}: argument \`y\` expected ${n} target values (${shape} x ${this.outputSize}), got ${batch.y?.length ?? String(batch.y)}`);
        targets = Float32Array.from(batch.y);
        checkFinite(what, 'argument `y`', targets);
      }
    }
    if (!this.input) {
      const x = Float32Array.from(batch.x);
      checkFinite(what, 'argument `x`', x);
      return { seqLen, b, rows, lengths, ids, x, targets };
    }
    return { seqLen, b, rows, lengths, ids, x: undefined, targets };
  }

  /**
   * Floats of working memory per (step, sequence) position a training batch needs, roughly:
   * input features, and per stacked layer its output plus what BPTT records (gate
   * activations, states), then the output layer and its gradient.
   */
  #floatsPerPosition(): number {
    let n = this.featureSize + 3 * this.outputSize;
    for (const r of this.recurrent) n += r.stacks.length * r.outputSize * (gateCount(cellKindOf(r.config)) + 4);
    return n;
  }

  /** @internal Throws what {@link Model.trainStep} would throw for `batch` and `loss`, computing nothing. */
  checkBatch(batch: SequenceBatch, loss: LossKind, what: string): void {
    this.#prepare(batch, what, loss);
  }

  /** 1 for valid (t, b) rows of a varlen batch, time-major; undefined when all are valid. */
  #validRows(seqLen: number, batch: number, lengths: Uint32Array): Uint8Array | undefined {
    if (lengths.length === 0) return undefined;
    const v = new Uint8Array(seqLen * batch);
    for (let t = 0; t < seqLen; t++) for (let b = 0; b < batch; b++) v[t * batch + b] = t < lengths[b]! ? 1 : 0;
    return v;
  }

  /** Runs the input layer and the recurrent layers; returns the top recurrent output buffer. */
  #forwardFeatures(
    p: Prepared,
    training: boolean,
    states: LayerState[] | undefined,
    seed: number,
    checkpointEvery = 0,
  ): Float32Buffer {
    const xBuf = this.ws.get('x', p.rows * this.featureSize);
    if (this.input && p.ids) this.input.forward(p.ids, xBuf);
    else if (p.x) xBuf.write(p.x);
    let h = xBuf;
    this.recurrent.forEach((r, i) => {
      h = r.forward(this.ws, p.seqLen, p.b, h, p.lengths, states?.[i], training, seed + i * 7919, checkpointEvery);
    });
    return h;
  }

  /** Pools the top output when the last layer says `last` or `mean`; returns rows and buffer. */
  #pool(p: Prepared, top: Float32Buffer): { n: number; features: Float32Buffer } {
    const r = this.recurrent[this.recurrent.length - 1]!;
    if (this.output === 'sequence') return { n: p.rows, features: top };
    const width = r.outputSize;
    const H = r.hiddenSize;
    const pooled = this.ws.get('pooled', p.b * width);
    const out = pooled.view();
    if (this.output === 'last') {
      const last = r.stacks.length - 1;
      const hn = this.ws.get(`${r.name}.hn${last}`, r.stateSize(p.b)).view();
      for (let d = 0; d < r.directions; d++)
        for (let b = 0; b < p.b; b++) out.set(hn.subarray((d * p.b + b) * H, (d * p.b + b + 1) * H), b * width + d * H);
    } else {
      const y = top.view();
      out.fill(0, 0, p.b * width);
      for (let b = 0; b < p.b; b++) {
        const len = p.lengths.length ? p.lengths[b]! : p.seqLen;
        for (let t = 0; t < len; t++) {
          const src = (t * p.b + b) * width;
          for (let j = 0; j < width; j++) out[b * width + j]! += y[src + j]! / len;
        }
      }
    }
    return { n: p.b, features: pooled };
  }

  /** Turns the gradient of the pooled features into gy (and ghn for `last`). */
  #unpool(p: Prepared, gPooled: Float32Buffer): { gy: Float32Buffer; ghn: Float32Buffer | undefined } {
    const r = this.recurrent[this.recurrent.length - 1]!;
    const width = r.outputSize;
    const H = r.hiddenSize;
    const gy = this.ws.zeros('gy', p.rows * width);
    const g = gPooled.view();
    if (this.output === 'last') {
      const ghn = this.ws.get('ghn', r.stateSize(p.b));
      const v = ghn.view();
      for (let d = 0; d < r.directions; d++)
        for (let b = 0; b < p.b; b++) v.set(g.subarray(b * width + d * H, b * width + (d + 1) * H), (d * p.b + b) * H);
      return { gy, ghn };
    }
    const out = gy.view();
    for (let b = 0; b < p.b; b++) {
      const len = p.lengths.length ? p.lengths[b]! : p.seqLen;
      for (let t = 0; t < len; t++) {
        const dst = (t * p.b + b) * width;
        for (let j = 0; j < width; j++) out[dst + j] = g[b * width + j]! / len;
      }
    }
    return { gy, ghn: undefined };
  }

  /** Loss and the gradient of the recurrent top, given the (pooled) features. */
  #loss(
    p: Prepared,
    loss: LossKind,
    n: number,
    features: Float32Buffer,
    gFeatures: Float32Buffer | undefined,
  ): { loss: number; count: number; correct: number } {
    const weights = this.output === 'sequence' ? this.#validRows(p.seqLen, p.b, p.lengths) : undefined;
    let wBuf: Float32Buffer | undefined;
    if (weights) {
      wBuf = this.ws.get('weights', n);
      const v = wBuf.view();
      for (let i = 0; i < n; i++) v[i] = weights[i]!;
    }
    if (loss === 'crossEntropy') {
      const dense = this.dense!;
      const scratch = this.ws.get('logits', n * dense.units);
      const s = dense.xent(n, features, p.targets as Uint32Array, scratch, gFeatures, wBuf, undefined, gFeatures !== undefined);
      return { loss: s.loss, count: s.rows, correct: s.correct };
    }
    // MSE on the (dense) output; padded rows are compared with themselves (zero error).
    const out = this.ws.get('out', n * this.outputSize);
    if (this.dense) this.dense.forward(n, features, out);
    else out.view().set(features.view().subarray(0, n * this.outputSize));
    const target = this.ws.get('target', n * this.outputSize);
    const t = target.view();
    t.set(p.targets as Float32Array);
    if (weights) {
      const o = out.view();
      for (let i = 0; i < n; i++) if (!weights[i]) t.set(o.subarray(i * this.outputSize, (i + 1) * this.outputSize), i * this.outputSize);
    }
    const len = n * this.outputSize;
    const dOut = gFeatures ? this.ws.get('dout', len) : undefined;
    const value = this.engine.call((w) => w.mse(len, out.liveHandle(), target.liveHandle(), dOut?.liveHandle() ?? 0, false));
    if (gFeatures && dOut) {
      if (this.dense) this.dense.backward(n, features, dOut, gFeatures);
      else gFeatures.view().set(dOut.view().subarray(0, len));
    }
    return { loss: value, count: n, correct: 0 };
  }

  /** Forward and backward of one batch, accumulating parameter gradients (zeroed first). */
  #forwardBackward(
    p: Prepared,
    loss: LossKind,
    states: LayerState[] | undefined,
    seed: number,
    flow?: Float32Buffer[][],
    checkpointEvery = 0,
  ): { loss: number; count: number; correct: number } {
    for (const g of this.groups()) g.grad.view().fill(0);
    const top = this.#forwardFeatures(p, true, states, seed, checkpointEvery);
    const { n, features } = this.#pool(p, top);
    const gFeatures = this.ws.get('gfeatures', n * this.recurrent[this.recurrent.length - 1]!.outputSize);
    const measured = this.#loss(p, loss, n, features, gFeatures);
    let gy: Float32Buffer;
    let ghn: Float32Buffer | undefined;
    if (this.output === 'sequence') {
      gy = gFeatures;
    } else {
      ({ gy, ghn } = this.#unpool(p, gFeatures));
    }
    for (let i = this.recurrent.length - 1; i >= 0; i--) {
      const r = this.recurrent[i]!;
      const wantInput = i > 0 || this.input?.config.type === 'embedding';
      const gx = r.backward(this.ws, p.seqLen, p.b, gy, i === this.recurrent.length - 1 ? ghn : undefined, wantInput, seed + i * 7919, flow?.[i]);
      if (gx) gy = gx;
    }
    if (this.input?.config.type === 'embedding' && p.ids) this.input.backward(p.ids, gy);
    return measured;
  }

  /**
   * One optimisation step on `batch`: forward, loss, BPTT, global-norm clipping, update.
   * A step whose loss or gradients are not finite, or whose update would leave a non-finite
   * parameter or optimiser value, changes nothing and throws {@link NonFiniteError}.
   */
  trainStep(batch: SequenceBatch, options: TrainStepOptions): StepResult {
    const op = 'trainStep';
    this.live();
    checkObject(op, 'options', options, 'an options object { loss, optimizer, ... }');
    const loss = checkOneOf(op, 'loss', options.loss, ['crossEntropy', 'mse'] as const);
    const p = this.#prepare(batch, op, loss);
    const clip = checkClipNorm(op, options.clipNorm);
    const optimizer = checkOptimizer(op, options.optimizer, this.groups());
    const epoch = checkInt(op, 'epoch', options.epoch ?? 0, 0);
    checkOptionalBoolean(op, 'carryState', options.carryState);
    const state = checkState(op, 'state', options.state);
    const checkpointEvery = checkInt('trainStep', 'checkpointEvery', options.checkpointEvery ?? 0, 0);
    const states = this.#states(state, options.carryState, p.b, op);
    // Keep the carried state (and the dropout counter) as they were if this step fails, so a
    // failed step changes nothing and a caller can skip the batch.
    const saved = states?.map((s) => ({ h: s.h.map((b) => b.read()), c: s.c.map((b) => b.read()) }));
    const batches = this.#batches;
    try {
      const seed = (this.seed * 2654435761 + this.#batches++) >>> 0;
      const m = this.#forwardBackward(p, loss, states, seed, undefined, checkpointEvery);
      let sq = 0;
      for (const g of this.groups()) sq += this.engine.call((w) => w.sum_squares(g.grad.liveHandle()));
      const gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(m.loss) || !Number.isFinite(gradNorm)) {
        throw new NonFiniteError(`trainStep: the ${Number.isFinite(m.loss) ? 'gradient norm' : 'loss'} is not finite (loss ${m.loss}, gradient norm ${gradNorm}); parameters were not updated`);
      }
      const clipScale = clip !== undefined && Number.isFinite(clip) && gradNorm > clip ? clip / gradNorm : 1;
      optimizer.apply(clipScale, epoch);
      return { loss: m.loss, gradNorm, clipScale, count: m.count, correct: m.correct };
    } catch (e) {
      this.#batches = batches;
      if (states && saved) states.forEach((s, i) => {
        s.h.forEach((b, l) => b.write(saved[i]!.h[l]!));
        s.c.forEach((b, l) => b.write(saved[i]!.c[l]!));
      });
      throw e;
    }
  }

  /** Loss (and accuracy counts) of a batch without changing anything (no dropout). */
  evaluate(batch: SequenceBatch, loss: LossKind = 'crossEntropy', options: { carryState?: boolean; state?: ModelState } = {}): { loss: number; count: number; correct: number } {
    checkObject('evaluate', 'options', options, 'an options object');
    const p = this.#prepare(batch, 'evaluate', checkOneOf('evaluate', 'loss', loss, ['crossEntropy', 'mse'] as const));
    checkOptionalBoolean('evaluate', 'carryState', options.carryState);
    const states = this.#states(checkState('evaluate', 'state', options.state), options.carryState, p.b, 'evaluate');
    const top = this.#forwardFeatures(p, false, states, 0);
    const { n, features } = this.#pool(p, top);
    return this.#loss(p, loss, n, features, undefined);
  }

  /**
   * The model's output for a batch of inputs: logits (or dense outputs) `[T, B, O]` for a
   * sequence model, `[B, O]` for a pooled one; the recurrent output when there is no dense layer.
   */
  predict(
    x: ArrayLike<number>,
    options: { seqLen: number; batchSize: number; lengths?: ArrayLike<number>; logSoftmax?: boolean; state?: ModelState },
  ): Float32Array {
    checkObject('predict', 'options', options, 'an options object { seqLen, batchSize, ... }');
    const p = this.#prepare({ x, y: [], seqLen: options.seqLen, batchSize: options.batchSize, ...(options.lengths !== undefined ? { lengths: options.lengths } : {}) }, 'predict', undefined);
    checkOptionalBoolean('predict', 'logSoftmax', options.logSoftmax);
    const states = checkState('predict', 'state', options.state)?.use(this, p.b, 'predict');
    const top = this.#forwardFeatures(p, false, states, 0);
    const { n, features } = this.#pool(p, top);
    if (!this.dense) return features.view().slice(0, n * this.outputSize);
    const out = this.ws.get('out', n * this.outputSize);
    this.dense.logits(n, features, out, options.logSoftmax ?? false);
    return out.view().slice(0, n * this.outputSize);
  }

  /** Every parameter by its PyTorch state-dict name (copies). */
  stateDict(): Map<string, Float32Array> {
    this.live();
    return new Map(this.parameters().map((p) => [p.name, p.read()]));
  }

  /**
   * Sets parameters from a state dict (PyTorch names and shapes). Every parameter of the
   * model must be present and no other name may appear, unless `strict` is false. Nothing is
   * changed when a check fails.
   */
  loadStateDict(dict: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>, options: { strict?: boolean } = {}): void {
    this.live();
    checkObject('loadStateDict', 'dict', dict, 'a Map or object of parameter name to values');
    checkObject('loadStateDict', 'options', options, 'an options object');
    checkOptionalBoolean('loadStateDict', 'strict', options.strict);
    const strict = options.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict as Record<string, ArrayLike<number>>));
    const params = this.parameters();
    const known = new Set(params.map((p) => p.name));
    if (strict) {
      const missing = params.filter((p) => !entries.has(p.name)).map((p) => p.name);
      const unexpected = [...entries.keys()].filter((k) => !known.has(k));
      if (missing.length || unexpected.length) {
        throw new InvalidArgumentError(
          `loadStateDict: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}`,
        );
      }
    }
    const checked: [Param, Float32Array][] = [];
    for (const p of params) {
      const v = entries.get(p.name);
      if (v === undefined) continue;
      if (typeof v !== 'object' || v === null || v.length !== p.size) {
        throw new InvalidArgumentError(`loadStateDict: \`${p.name}\` expected shape [${p.shape.join(', ')}] (${p.size} values), got ${typeof v === 'object' && v !== null ? `${v.length} values` : describe(v)}`);
      }
      const f = v instanceof Float32Array ? v : Float32Array.from(v);
      checkFinite('loadStateDict', `\`${p.name}\``, f);
      checked.push([p, f]);
    }
    for (const [p, f] of checked) p.write(f);
  }

  /**
   * One streaming step for `state.batchSize` sequences: `x` holds B token ids (or `[B, F]`
   * features); returns the output `[B, O]` (logits, or log-probabilities with `logSoftmax`)
   * and updates `state` in place. Constant work per step: nothing before is recomputed.
   */
  step(x: ArrayLike<number>, state: ModelState, options: { logSoftmax?: boolean } = {}): Float32Array {
    this.live();
    const checked = checkState('step', 'state', state);
    if (!checked) throw new InvalidArgumentError('step: argument `state` expected a ModelState (from model.zeroState), got undefined');
    checkObject('step', 'options', options, 'an options object');
    checkOptionalBoolean('step', 'logSoftmax', options.logSoftmax);
    const b = checked.batchSize;
    const layers = checked.use(this, b, 'step');
    if (this.recurrent.some((r) => r.directions === 2)) {
      throw new InvalidArgumentError('step: a bidirectional model cannot run step by step (its reverse direction needs the whole sequence)');
    }
    if (this.output === 'mean') throw new InvalidArgumentError("step: a model whose output is 'mean' cannot stream; use predict");
    const xb = this.ws.get('step.x', b * this.featureSize);
    if (this.input) {
      if (!x || x.length !== b) throw new InvalidArgumentError(`step: argument \`x\` expected ${b} token ids, got ${x?.length ?? String(x)}`);
      this.input.forward(this.input.ids(x, 'step x'), xb);
    } else {
      if (!x || x.length !== b * this.featureSize) throw new InvalidArgumentError(`step: argument \`x\` expected [${b}, ${this.featureSize}] features, got ${x?.length ?? String(x)} values`);
      const f = Float32Array.from(x);
      checkFinite('step', 'argument `x`', f);
      xb.write(f);
    }
    let h = xb;
    this.recurrent.forEach((r, i) => {
      h = r.step(this.ws, b, h, layers[i]!);
    });
    if (!this.dense) return h.view().slice(0, b * this.outputSize);
    const out = this.ws.get('step.out', b * this.outputSize);
    this.dense.logits(b, h, out, options.logSoftmax ?? false);
    return out.view().slice(0, b * this.outputSize);
  }

  /**
   * Generates a continuation of `prefix` (text, with the model's vocabulary; or token ids),
   * feeding the prefix one token at a time and then each sampled token. Returns text for a
   * text prefix and ids for ids. `temperature: 0` is greedy.
   */
  generate(prefix: string, options: GenerateOptions): string;
  generate(prefix: ArrayLike<number>, options: GenerateOptions): number[];
  generate(prefix: string | ArrayLike<number>, options: GenerateOptions): string | number[] {
    this.live();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('generate: argument `options` expected { length, temperature?, topK?, seed? }');
    return typeof prefix === 'string' ? generateText(this, prefix, options) : generateTokens(this, prefix, options).ids;
  }

  /**
   * Norms of dL/dh_t for every step, per recurrent layer and stacked layer, on one batch
   * (no update): the curve that shows vanishing and exploding gradients.
   */
  gradientFlow(batch: SequenceBatch, loss: LossKind = 'crossEntropy'): GradientFlow[] {
    const p = this.#prepare(batch, 'gradientFlow', checkOneOf('gradientFlow', 'loss', loss, ['crossEntropy', 'mse'] as const));
    const buffers = this.recurrent.map((r) => r.stacks.map((_, l) => this.ws.get(`${r.name}.flow${l}`, r.directions * p.seqLen)));
    this.#forwardBackward(p, loss, undefined, 0, buffers);
    const result: GradientFlow[] = [];
    this.recurrent.forEach((r, i) =>
      r.stacks.forEach((_, l) =>
        result.push({ layer: r.name, stackedLayer: l, directions: r.directions, seqLen: p.seqLen, norms: buffers[i]![l]!.view().slice(0, r.directions * p.seqLen) }),
      ),
    );
    return result;
  }

  /**
   * Opt-in diagnosis of non-finite values: runs the batch forward (inference: no dropout,
   * zero initial state) layer by layer and reports the first layer, in order, whose
   * parameters or output hold a NaN or infinity; `undefined` when every layer's output is
   * finite (then a non-finite training step comes from the loss or the gradients). Only
   * `batch.x` is used. Changes nothing.
   */
  findNonFinite(batch: Omit<SequenceBatch, 'y'> & { y?: ArrayLike<number> }): NonFiniteReport | undefined {
    const op = 'findNonFinite';
    checkObject(op, 'batch', batch, 'an object { x, seqLen, batchSize }');
    const p = this.#prepare({ ...batch, y: [] }, op, undefined);
    const firstBad = (v: Float32Array): number => v.findIndex((x) => !Number.isFinite(x));
    const inParams = (layer: string, index: number, params: readonly Param[]): NonFiniteReport | undefined => {
      for (const q of params) {
        const v = q.read();
        const i = firstBad(v);
        if (i >= 0) return { layer, index, where: 'parameters', parameter: q.name, offset: i, value: v[i]! };
      }
      return undefined;
    };
    const inOutput = (layer: string, index: number, buf: Float32Buffer, width: number, pooled: boolean): NonFiniteReport | undefined => {
      const v = buf.view().subarray(0, (pooled ? p.b : p.rows) * width);
      const i = firstBad(v);
      if (i < 0) return undefined;
      const row = Math.floor(i / width);
      const where = pooled ? { sequence: row } : { step: Math.floor(row / p.b), sequence: row % p.b };
      return { layer, index, where: 'output', offset: i, ...where, value: v[i]! };
    };
    let index = 0;
    const xBuf = this.ws.get('x', p.rows * this.featureSize);
    if (this.input && p.ids) {
      const name = this.input.name;
      const bad = inParams(name, 0, this.input.params);
      if (bad) return bad;
      this.input.forward(p.ids, xBuf);
      const out = inOutput(name, 0, xBuf, this.featureSize, false);
      if (out) return out;
      index = 1;
    } else if (p.x) {
      xBuf.write(p.x);
    }
    let h = xBuf;
    for (const [i, r] of this.recurrent.entries()) {
      const bad = inParams(r.name, index + i, r.params);
      if (bad) return bad;
      h = r.forward(this.ws, p.seqLen, p.b, h, p.lengths, undefined, false, 0);
      const out = inOutput(r.name, index + i, h, r.outputSize, false);
      if (out) return out;
    }
    if (!this.dense) return undefined;
    const name = this.dense.name;
    const denseIndex = index + this.recurrent.length;
    const bad = inParams(name, denseIndex, this.dense.params);
    if (bad) return bad;
    const { n, features } = this.#pool(p, h);
    const out = this.ws.get('out', n * this.outputSize);
    this.dense.logits(n, features, out, false);
    return inOutput(name, denseIndex, out, this.outputSize, this.output !== 'sequence');
  }

  protected free(): void {
    this.resetState();
    this.resetOptimizer();
    this.ws.dispose();
    this.input?.dispose();
    for (const r of this.recurrent) r.dispose();
    this.dense?.dispose();
  }
}

/** Builds a model from layer configs: `sequential([embedding(...), lstm(...), dense(...)])`. */
export function sequential(layers: readonly LayerConfig[], options: SequentialOptions = {}): Model {
  return new Model(layers, options);
}
