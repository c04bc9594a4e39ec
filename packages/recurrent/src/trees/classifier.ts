/**
 * Tree classification (sentiment-treebank style) and tree encoding: leaf words through an
 * embedding, a tree cell (`treeRnn`, `childSumTreeLstm`, `naryTreeLstm`) over the forest of a
 * batch, and a dense softmax head at the root of each tree (`labels: 'root'`) or at every
 * labelled node (`'all'`). One training step is the project's optimisation step
 * (`network/step.ts`): a failed step changes nothing, and a malformed tree is refused before
 * anything runs. See docs/ARCHITECTURE.md, "A new task".
 */
import { Random } from '../data/random.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { Optimizer, type OptimizerConfig } from '../model/optimizers.js';
import { DEFAULT_OPTIMIZER } from '../model/default-optimizer.js';
import type { ParamGroup } from '../model/param.js';
import { optimizationStep, SeedSequence, type StepResult } from '../network/step.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import { checkClipNorm, checkInt } from '../validate/index.js';
import { TreeCell } from './cell.js';
import { batchTrees, type TreeBatch } from './forest.js';
import { checkTreeClassifierOptions, type ResolvedTreeOptions, type TreeClassifierOptions } from './options.js';
import type { Tree } from './tree.js';

export type { TreeClassifierOptions } from './options.js';

/** A named tensor of a {@link TreeClassifier}: `embedding.weight`, `tree.<name>`, `fc.weight`, `fc.bias`. */
export interface TreeParameter {
  readonly name: string;
  readonly shape: readonly number[];
  read(): Float32Array;
  readGrad(): Float32Array;
}

/** Options of {@link TreeClassifier.trainStep}. */
export interface TreeStepOptions {
  /** An optimiser over {@link TreeClassifier.groups} (from {@link TreeClassifier.optimizer}). */
  optimizer: Optimizer;
  /** Clip the global gradient norm to this. Default: no clipping. */
  clipNorm?: number | undefined;
  /** Epoch, for a learning-rate schedule: from 1, as everywhere (fit, Seq2Seq, the CLI). Default `1`. */
  epoch?: number;
}

/** What the task computed for a batch: per-row logits and which node each row is. */
interface Head {
  batch: TreeBatch;
  /** Node of each loss row. */
  rows: Uint32Array;
  targets: Uint32Array;
}

export class TreeClassifier extends Owned {
  readonly options: ResolvedTreeOptions;
  readonly engine: Engine;
  readonly cell: TreeCell;
  readonly #embedding: Float32Buffer;
  readonly #dEmbedding: Float32Buffer;
  readonly #fcW: Float32Buffer;
  readonly #fcB: Float32Buffer;
  readonly #dFcW: Float32Buffer;
  readonly #dFcB: Float32Buffer;
  readonly #seeds: SeedSequence;
  readonly #scratch = new Map<string, Float32Buffer>();

  constructor(options: TreeClassifierOptions) {
    super('TreeClassifier');
    this.options = checkTreeClassifierOptions('TreeClassifier', options);
    this.engine = currentEngine();
    this.attachEngine(this.engine);
    const { cell, vocab, embeddingSize: E, hiddenSize: H, classes: C, seed } = this.options;
    const made: Owned[] = [];
    try {
      this.cell = track(made, new TreeCell(cell, E, H));
      this.#embedding = track(made, new Float32Buffer(vocab.size * E));
      this.#dEmbedding = track(made, new Float32Buffer(vocab.size * E));
      this.#fcW = track(made, new Float32Buffer(C * H));
      this.#fcB = track(made, new Float32Buffer(C));
      this.#dFcW = track(made, new Float32Buffer(C * H));
      this.#dFcB = track(made, new Float32Buffer(C));
    } catch (e) {
      made.forEach((o) => o.dispose());
      throw e;
    }
    const rng = new Random(seed);
    const uniform = (buf: Float32Buffer, k: number): void => buf.write(Float32Array.from({ length: buf.length }, () => (rng.nextFloat() * 2 - 1) * k));
    uniform(this.#embedding, 1);
    uniform(this.cell.params, 1 / Math.sqrt(H));
    uniform(this.#fcW, 1 / Math.sqrt(H));
    uniform(this.#fcB, 1 / Math.sqrt(H));
    this.#seeds = new SeedSequence(seed);
  }

  /**
   * An optimiser over {@link TreeClassifier.groups}, for {@link TreeClassifier.trainStep}.
   * Dispose it when done. Default config: {@link DEFAULT_OPTIMIZER}, `adam({ lr: 0.003 })`.
   */
  optimizer(config: OptimizerConfig = DEFAULT_OPTIMIZER): Optimizer {
    return new Optimizer(config, this.groups(), this.engine);
  }

  /** The parameter groups (value and gradient buffers), for an optimiser. */
  groups(): ParamGroup[] {
    this.live();
    return [
      { value: this.#embedding, grad: this.#dEmbedding },
      { value: this.cell.params, grad: this.cell.grads },
      { value: this.#fcW, grad: this.#dFcW },
      { value: this.#fcB, grad: this.#dFcB },
    ];
  }

  /** The named tensors, in order. */
  parameters(): TreeParameter[] {
    this.live();
    const { vocab, embeddingSize: E, hiddenSize: H, classes: C } = this.options;
    const whole = (name: string, shape: number[], v: Float32Buffer, g: Float32Buffer): TreeParameter => ({ name, shape, read: () => v.read(), readGrad: () => g.read() });
    return [
      whole('embedding.weight', [vocab.size, E], this.#embedding, this.#dEmbedding),
      ...this.cell.info.map((p) => ({
        name: `tree.${p.name}`,
        shape: p.shape,
        read: () => this.cell.params.read().slice(p.offset, p.offset + p.size),
        readGrad: () => this.cell.grads.read().slice(p.offset, p.offset + p.size),
      })),
      whole('fc.weight', [C, H], this.#fcW, this.#dFcW),
      whole('fc.bias', [C], this.#fcB, this.#dFcB),
    ];
  }

  /** Every parameter by name (copies). */
  stateDict(): Record<string, Float32Array> {
    return Object.fromEntries(this.parameters().map((p) => [p.name, p.read()]));
  }

  /**
   * Overwrites the parameters from `dict` (every name of {@link TreeClassifier.parameters},
   * each with its exact size). Everything is checked before anything is written.
   */
  loadStateDict(dict: Readonly<Record<string, ArrayLike<number>>>): void {
    const op = 'TreeClassifier.loadStateDict';
    const params = this.parameters();
    const names = new Set(params.map((p) => p.name));
    for (const key of Object.keys(dict ?? {})) if (!names.has(key)) throw new InvalidArgumentError(`${op}: unknown tensor \`${key}\` (expected ${[...names].join(', ')})`);
    for (const p of params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const v = dict[p.name];
      if (!v || v.length !== size) throw new InvalidArgumentError(`${op}: tensor \`${p.name}\` expected ${size} values (${p.shape.join(' x ')}), got ${v ? v.length : 'none'}`);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new InvalidArgumentError(`${op}: tensor \`${p.name}\` has a non-finite value at ${i}`);
    }
    const at = new Map(this.cell.info.map((p) => [`tree.${p.name}`, p.offset]));
    const buffers: Record<string, Float32Buffer> = { 'embedding.weight': this.#embedding, 'fc.weight': this.#fcW, 'fc.bias': this.#fcB };
    for (const p of params) {
      const b = buffers[p.name];
      if (b) b.write(dict[p.name]!);
      else this.cell.params.write(dict[p.name]!, at.get(p.name)!);
    }
  }

  /** A scratch buffer of at least `len` floats, reused from batch to batch. */
  #buf(name: string, len: number): Float32Buffer {
    const old = this.#scratch.get(name);
    if (old && old.length >= len) return old;
    old?.dispose();
    const b = new Float32Buffer(Math.max(len, 1));
    this.#scratch.set(name, b);
    return b;
  }

  /** Batches `trees` (leaf words through the vocabulary) and checks the forest for the cell. */
  #batch(op: string, trees: readonly Tree[]): TreeBatch {
    this.live();
    const vocab = this.options.vocab;
    const batch = batchTrees(trees, (w) => vocab.idOf(w), op);
    this.cell.check(batch);
    return batch;
  }

  /** Embeds the leaves and runs the tree cell: node states `[nodes, H]`. */
  #encode(batch: TreeBatch, levelBatched: boolean): Float32Buffer {
    const E = this.options.embeddingSize;
    const x = this.#buf('x', batch.numInputs * E);
    this.engine.call((w) => w.embedding_forward(this.options.vocab.size, E, batch.tokens, this.#embedding.liveHandle(), x.liveHandle()));
    return this.cell.forward(batch, x, levelBatched).h;
  }

  /** The loss rows of a batch: the roots, or every labelled node. */
  #head(op: string, batch: TreeBatch): Head {
    const all = this.options.labels === 'all';
    const rows = all ? Uint32Array.from(Array.from(batch.labels).flatMap((l, j) => (l >= 0 ? [j] : []))) : batch.roots;
    const targets = new Uint32Array(rows.length);
    rows.forEach((j, r) => {
      const l = batch.labels[j]!;
      if (l < 0 || l >= this.options.classes) throw new InvalidArgumentError(`${op}: ${all ? `node ${j}` : `tree ${r}`} has label ${l < 0 ? 'none' : l}, expected a class in [0, ${this.options.classes})`);
      targets[r] = l;
    });
    if (rows.length === 0) throw new InvalidArgumentError(`${op}: no labelled node in the trees`);
    return { batch, rows, targets };
  }

  /** `[rows, H]` copies of the state rows of `rows`. */
  #gather(h: Float32Buffer, rows: Uint32Array): Float32Buffer {
    const H = this.options.hiddenSize;
    const out = this.#buf('rows', rows.length * H);
    const [src, dst] = [h.view(), out.view()];
    rows.forEach((j, r) => dst.set(src.subarray(j * H, (j + 1) * H), r * H));
    return out;
  }

  /**
   * One optimisation step on `trees` (a batch): cross-entropy at the roots or at every
   * labelled node, averaged over those rows. `levelBatched: false` is the node-at-a-time
   * baseline of the benchmark.
   */
  trainStep(trees: readonly Tree[], options: TreeStepOptions, levelBatched = true): StepResult {
    const op = 'TreeClassifier.trainStep';
    const head = this.#head(op, this.#batch(op, trees));
    const groups = this.groups();
    if (!options?.optimizer?.covers(groups)) throw new InvalidArgumentError(`${op}: option \`optimizer\` expected an optimiser over this classifier's groups()`);
    return optimizationStep(op, {
      groups,
      engine: this.engine,
      optimizer: options.optimizer,
      clipNorm: checkClipNorm(op, options.clipNorm),
      epoch: checkInt(op, 'epoch', options.epoch ?? 1, 1),
      seeds: this.#seeds,
      run: () => this.#lossAndGradients(head, levelBatched),
    });
  }

  #lossAndGradients({ batch, rows, targets }: Head, levelBatched: boolean): { loss: number; count: number; correct: number } {
    const { hiddenSize: H, classes: C, embeddingSize: E, vocab } = this.options;
    const h = this.#encode(batch, levelBatched);
    const hs = this.#gather(h, rows);
    const scratch = this.#buf('logits', rows.length * C);
    const dhs = this.#buf('drows', rows.length * H);
    const stats = this.engine.call((w) =>
      w.dense_xent(rows.length, H, C, hs.liveHandle(), this.#fcW.liveHandle(), this.#fcB.liveHandle(), targets, 0, -1, false, scratch.liveHandle(), 0, this.#dFcW.liveHandle(), this.#dFcB.liveHandle(), dhs.liveHandle(), false),
    );
    const gh = this.#buf('gh', batch.nodes * H);
    const [g, d] = [gh.view(), dhs.view()];
    g.fill(0, 0, batch.nodes * H);
    rows.forEach((j, r) => g.set(d.subarray(r * H, (r + 1) * H), j * H));
    const gx = this.#buf('gx', batch.numInputs * E);
    gx.view().fill(0, 0, batch.numInputs * E);
    this.cell.backward(gh, undefined, gx);
    this.engine.call((w) => w.embedding_backward(vocab.size, E, batch.tokens, gx.liveHandle(), this.#dEmbedding.liveHandle()));
    return { loss: stats[0]!, count: stats[3]!, correct: stats[4]! };
  }

  /** The root state of each tree, `[trees, H]`: the encoding any head can take. */
  encode(trees: readonly Tree[]): Float32Array {
    const batch = this.#batch('TreeClassifier.encode', trees);
    return this.#gather(this.#encode(batch, true), batch.roots).read().slice(0, batch.roots.length * this.options.hiddenSize);
  }

  /** Logits of the rows of `rows` (nodes) after encoding `batch`. */
  #logits(batch: TreeBatch, rows: Uint32Array): Float32Array {
    const { hiddenSize: H, classes: C } = this.options;
    const hs = this.#gather(this.#encode(batch, true), rows);
    const out = this.#buf('logits', rows.length * C);
    this.engine.call((w) => w.dense_logits(rows.length, H, C, hs.liveHandle(), this.#fcW.liveHandle(), this.#fcB.liveHandle(), out.liveHandle(), false));
    return out.read().slice(0, rows.length * C);
  }

  /** The most likely class at the root of each tree. */
  predict(trees: readonly Tree[]): number[] {
    const batch = this.#batch('TreeClassifier.predict', trees);
    return argmaxRows(this.#logits(batch, batch.roots), this.options.classes);
  }

  /** The most likely class of every node of each tree, post-order (children before parents, left to right). */
  predictNodes(trees: readonly Tree[]): number[][] {
    const batch = this.#batch('TreeClassifier.predictNodes', trees);
    const all = Uint32Array.from({ length: batch.nodes }, (_, j) => j);
    const classes = argmaxRows(this.#logits(batch, all), this.options.classes);
    const out: number[][] = [];
    let start = 0;
    for (const root of batch.roots) {
      out.push(classes.slice(start, root + 1));
      start = root + 1;
    }
    return out;
  }

  /** Accuracy of {@link TreeClassifier.predict} against the roots' labels. */
  accuracy(trees: readonly Tree[]): number {
    const predicted = this.predict(trees);
    return predicted.filter((p, i) => p === trees[i]!.label).length / trees.length;
  }

  protected free(): void {
    for (const o of [this.cell, this.#embedding, this.#dEmbedding, this.#fcW, this.#fcB, this.#dFcW, this.#dFcB, ...this.#scratch.values()]) o.dispose();
  }
}

function track<T extends Owned>(list: Owned[], o: T): T {
  list.push(o);
  return o;
}

function argmaxRows(v: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < v.length; at += n) {
    let best = 0;
    for (let j = 1; j < n; j++) if (v[at + j]! > v[at + best]!) best = j;
    out.push(best);
  }
  return out;
}

