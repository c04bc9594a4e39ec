/**
 * The worker side of tree classifiers (issue 16): `TreeClassifier`s the worker owns by id,
 * their methods run on request, and training with an optimiser kept in the worker. The
 * classifier's own checks refuse bad arguments (typed errors cross the boundary with their
 * class, see `errors.ts`); a failed call changes nothing, as in-thread.
 */
import { Vocab, type VocabJSON } from '../data/vocab.js';
import { InvalidArgumentError } from '../errors.js';
import type { OptimizerConfig, Optimizer } from '../model/optimizers.js';
import { DEFAULT_OPTIMIZER } from '../model/default-optimizer.js';
import { TreeClassifier, type TreeClassifierOptions } from '../trees/classifier.js';
import { loadTreeClassifier, saveTreeClassifier } from '../trees/files.js';
import type { Tree } from '../trees/tree.js';
import { checkInt, checkKnownKeys, checkObject } from '../validate/index.js';

/** The options of a remote tree classifier: as in-thread, with the vocabulary as JSON. */
export type WireTreeOptions = Omit<TreeClassifierOptions, 'vocab'> & { vocab: VocabJSON };

/** Options of a remote `train`: an optimiser config (the optimiser lives in the worker), epochs, batches. */
export interface TreeTrainOptions {
  /**
   * The optimiser, made at the first `train` and kept (later configs are ignored). Default
   * `adam({ lr: 0.003 })` ({@link DEFAULT_OPTIMIZER}, the default of every trainer and of the CLI).
   */
  optimizer?: OptimizerConfig;
  /** Clip the global gradient norm to this. Default: none. */
  clipNorm?: number;
  /** Passes over the trees. Default `1`. */
  epochs?: number;
  /** Trees per step. Default `32`. */
  batchSize?: number;
}

/** The methods a remote tree classifier offers. */
export const TREE_METHODS = ['predict', 'predictNodes', 'encode', 'accuracy', 'stateDict', 'loadStateDict', 'save', 'train'] as const;
export type TreeMethod = (typeof TREE_METHODS)[number];

interface Entry {
  model: TreeClassifier;
  optimizer: Optimizer | undefined;
}

export class TreeService {
  readonly #entries = new Map<number, Entry>();
  #nextId = 1;

  create(options: WireTreeOptions): number {
    checkObject('treeClassifier', 'options', options, 'an options object');
    return this.#register(new TreeClassifier({ ...options, vocab: Vocab.fromJSON(options.vocab) }));
  }

  load(bytes: Uint8Array): number {
    return this.#register(loadTreeClassifier(bytes));
  }

  call(id: number, method: TreeMethod, args: unknown[]): unknown {
    const entry = this.#entries.get(id);
    if (!entry) throw new InvalidArgumentError(`TreeClassifier.${String(method)}: the tree classifier was disposed`);
    const m = entry.model;
    const trees = args[0] as Tree[];
    switch (method) {
      case 'predict':
        return m.predict(trees);
      case 'predictNodes':
        return m.predictNodes(trees);
      case 'encode':
        return m.encode(trees);
      case 'accuracy':
        return m.accuracy(trees);
      case 'stateDict':
        return m.stateDict();
      case 'loadStateDict':
        return m.loadStateDict(args[0] as Record<string, Float32Array>);
      case 'save':
        return saveTreeClassifier(m);
      case 'train':
        return this.#train(entry, trees, args[1] as TreeTrainOptions);
      default:
        throw new InvalidArgumentError(`the worker has no tree classifier method ${String(method)}`);
    }
  }

  #train(entry: Entry, trees: Tree[], options: TreeTrainOptions): { losses: number[] } {
    const op = 'TreeClassifier.train';
    checkObject(op, 'options', options, 'an options object');
    checkKnownKeys(op, options, ['optimizer', 'clipNorm', 'epochs', 'batchSize']);
    const epochs = checkInt(op, 'epochs', options.epochs ?? 1, 1);
    const batchSize = checkInt(op, 'batchSize', options.batchSize ?? 32, 1);
    if (!Array.isArray(trees) || trees.length === 0) throw new InvalidArgumentError(`${op}: argument \`trees\` expected a non-empty array of trees`);
    entry.optimizer ??= entry.model.optimizer(options.optimizer ?? DEFAULT_OPTIMIZER);
    const losses: number[] = [];
    for (let e = 1; e <= epochs; e++) {
      let sum = 0;
      let steps = 0;
      for (let i = 0; i < trees.length; i += batchSize) {
        sum += entry.model.trainStep(trees.slice(i, i + batchSize), { optimizer: entry.optimizer, clipNorm: options.clipNorm, epoch: e }).loss;
        steps++;
      }
      losses.push(sum / steps);
    }
    return { losses };
  }

  dispose(id: number): void {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    entry?.optimizer?.dispose();
    entry?.model.dispose();
  }

  disposeAll(): void {
    for (const id of [...this.#entries.keys()]) this.dispose(id);
  }

  #register(model: TreeClassifier): number {
    const id = this.#nextId++;
    this.#entries.set(id, { model, optimizer: undefined });
    return id;
  }
}
