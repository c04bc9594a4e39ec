/**
 * A tree encoder as the entry of a network (docs/ARCHITECTURE.md, "The network"): a batch's
 * trees, laid out as one forest, have their words embedded and the tree cell run over the
 * forest (one core call, batched by level); the output is each tree's root state, one row per
 * tree, which any layers and loss head after it read. Backward scatters dL/d(root states) into
 * the nodes' state gradients and runs backpropagation through structure (one core call) into
 * the cell's and the embedding's gradients.
 */
import type { Random } from '../data/random.js';
import { Vocab } from '../data/vocab.js';
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { normal, uniform } from '../model/init.js';
import type { TreeLayerConfig } from '../model/layers.js';
import { ownedTensor, type Param, type ParamGroup } from '../model/param.js';
import { TREE_CELLS, TreeCell } from '../trees/cell.js';
import { batchTrees, type TreeBatch } from '../trees/forest.js';
import type { Tree } from '../trees/tree.js';
import { MAX_BATCH_FLOATS } from '../validate/index.js';
import { type Activation, activation, type Entry, type NetworkInput, type Pass } from './layer.js';

export class TreeEntry implements Entry {
  readonly configIndex = 0;
  /** It reads trees, not token ids or features. */
  readonly vocabSize = undefined;
  readonly streamProblem: string;
  readonly name: string;
  readonly params: readonly Param[];
  readonly groups: readonly ParamGroup[];
  /** The leaves' words to embedding rows. */
  readonly vocab: Vocab;
  readonly cell: TreeCell;
  readonly #embedding: ParamGroup;
  readonly #engine: Engine;
  readonly #embeddingSize: number;
  /** Floats of working memory per node of a training batch (tape, states, their gradients, word vectors). */
  readonly #floatsPerNode: number;

  constructor(
    readonly config: TreeLayerConfig,
    engine: Engine,
    rng: Random,
  ) {
    this.#engine = engine;
    this.name = config.name ?? 'tree';
    this.vocab = Vocab.fromJSON(config.vocab);
    const [H, E, V] = [config.units, config.embeddingSize ?? config.units, this.vocab.size];
    this.#embeddingSize = E;
    this.streamProblem = `a ${config.type} layer reads whole trees, not one step at a time`;
    const table = new Float32Array(V * E);
    normal(table, 1, rng);
    const emb = ownedTensor(`${this.name}.embedding.weight`, [V, E], table);
    this.#embedding = emb.group;
    try {
      this.cell = new TreeCell(config.type, E, H);
    } catch (e) {
      emb.group.value.dispose();
      emb.group.grad.dispose();
      throw e;
    }
    // PyTorch's recurrent init: U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias of the cell.
    const init = new Float32Array(this.cell.params.length);
    uniform(init, 1 / Math.sqrt(H), rng);
    this.cell.params.write(init);
    const cell = this.cell;
    this.params = [
      emb.param,
      ...cell.info.map(
        (p): Param => ({
          name: `${this.name}.${p.name}`,
          shape: p.shape,
          size: p.size,
          read: () => cell.params.read().slice(p.offset, p.offset + p.size),
          write: (data) => cell.params.write(data, p.offset),
          readGrad: () => cell.grads.read().slice(p.offset, p.offset + p.size),
        }),
      ),
    ];
    this.groups = [emb.group, { value: cell.params, grad: cell.grads }];
    const code = TREE_CELLS.indexOf(config.type);
    const tape = engine.call((w) => w.tree_tape_len(code, E, H, 1));
    this.#floatsPerNode = tape + 4 * H + 2 * E;
  }

  get type(): string {
    return this.config.type;
  }

  /** Width of the root states. */
  get outputSize(): number {
    return this.config.units;
  }

  /**
   * `trees` as one forest for this encoder (`what` names the caller): words through the
   * vocabulary, the structure checked by the core (arity, cycles, shared children), the size
   * bounded. Nothing runs on a batch that fails.
   */
  layout(what: string, trees: readonly unknown[]): TreeBatch {
    if (!Array.isArray(trees) || trees.length === 0) {
      throw new InvalidArgumentError(`${what}: argument \`x\` expected a non-empty array of trees (one per example), got ${Array.isArray(trees) ? 'an empty array' : typeof trees}`);
    }
    const batch = batchTrees(trees as readonly Tree[], (w) => this.vocab.idOf(w), what);
    const floats = batch.nodes * this.#floatsPerNode;
    if (floats > MAX_BATCH_FLOATS) {
      throw new OutOfMemoryError(
        `${what}: argument \`x\` holds ${batch.nodes} nodes, which need about ${Math.round(floats / 2 ** 18)} MiB of working memory with this ${this.config.type} (more than fits in wasm memory, ${MAX_BATCH_FLOATS / 2 ** 18} MiB); use fewer or smaller trees per batch`,
      );
    }
    this.cell.check(batch);
    return batch;
  }

  forward(pass: Pass, input: NetworkInput): Activation {
    const forest = input.forest!;
    const [E, H, B] = [this.#embeddingSize, this.config.units, forest.roots.length];
    const x = pass.ws.get('tree.x', Math.max(1, forest.numInputs * E));
    const out = pass.ws.get('tree.roots', B * H);
    const table = this.#embedding.value;
    if (forest.numInputs > 0) this.#engine.call((w) => w.embedding_forward(this.vocab.size, E, forest.tokens, table.liveHandle(), x.liveHandle()));
    const result = this.cell.forward(forest, x);
    // Views only once nothing more is allocated (a growing memory detaches them).
    const [h, o] = [result.h.view(), out.view()];
    forest.roots.forEach((j, b) => o.set(h.subarray(j * H, (j + 1) * H), b * H));
    return activation(out, B, H, false);
  }

  backward(pass: Pass, input: NetworkInput, gy: Activation): void {
    const forest = input.forest!;
    const [E, H] = [this.#embeddingSize, this.config.units];
    // dL/dh is zero at every node but the roots; the cell's backward carries it down the trees.
    const gh = pass.ws.get('tree.gh', forest.nodes * H);
    const gx = pass.ws.get('tree.gx', Math.max(1, forest.numInputs * E));
    const g = gh.view();
    g.fill(0, 0, forest.nodes * H);
    const d = gy.data.view();
    forest.roots.forEach((j, b) => g.set(d.subarray(b * H, (b + 1) * H), j * H));
    gx.view().fill(0, 0, forest.numInputs * E);
    this.cell.backward(gh, undefined, gx);
    const grad = this.#embedding.grad;
    if (forest.numInputs > 0) this.#engine.call((w) => w.embedding_backward(this.vocab.size, E, forest.tokens, gx.liveHandle(), grad.liveHandle()));
  }

  dispose(): void {
    this.cell.dispose();
    this.#embedding.value.dispose();
    this.#embedding.grad.dispose();
  }
}

/** How a network with `entry` lays out a batch's trees (`BatchShape.layoutTrees`): undefined unless it is a tree encoder. */
export function treeLayout(entry: Entry): ((what: string, trees: readonly unknown[]) => TreeBatch) | undefined {
  return entry instanceof TreeEntry ? (what, trees) => entry.layout(what, trees) : undefined;
}
