/** The options of a {@link TreeClassifier}, their defaults and their checks (one place). */
import { Vocab } from '../data/vocab.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkKnownKeys, checkObject, checkOneOf } from '../validate/index.js';
import { TREE_CELLS, type TreeCellKind } from './cell.js';

/** Options of the {@link TreeClassifier} constructor. */
export interface TreeClassifierOptions {
  /** The tree cell: `'treeRnn'` (binary trees), `'childSumTreeLstm'` (any number of children), `'naryTreeLstm'` (N = 2). */
  cell: TreeCellKind;
  /** The vocabulary of the leaves' words (unknown words are `<unk>`, id 0). */
  vocab: Vocab;
  /** Width of the node states. */
  hiddenSize: number;
  /** Width of the word vectors. Default: `hiddenSize` (which a `treeRnn` requires). */
  embeddingSize?: number;
  /** Number of classes of the head. */
  classes: number;
  /** Where the loss is taken: at each tree's root (default) or at every labelled node. */
  labels?: 'root' | 'all';
  /** Seed of the initialisation. Default `0`. */
  seed?: number;
}

export interface ResolvedTreeOptions {
  readonly cell: TreeCellKind;
  readonly vocab: Vocab;
  readonly hiddenSize: number;
  readonly embeddingSize: number;
  readonly classes: number;
  readonly labels: 'root' | 'all';
  readonly seed: number;
}

const KEYS = ['cell', 'vocab', 'hiddenSize', 'embeddingSize', 'classes', 'labels', 'seed'];

export function checkTreeClassifierOptions(op: string, o: TreeClassifierOptions): ResolvedTreeOptions {
  checkObject(op, 'options', o, 'an options object');
  checkKnownKeys(op, o, KEYS);
  const cell = checkOneOf(op, 'cell', o.cell, TREE_CELLS);
  if (!(o.vocab instanceof Vocab)) throw new InvalidArgumentError(`${op}: option \`vocab\` expected a Vocab`);
  const hiddenSize = checkInt(op, 'hiddenSize', o.hiddenSize, 1, 1 << 16);
  const embeddingSize = checkInt(op, 'embeddingSize', o.embeddingSize ?? hiddenSize, 1, 1 << 16);
  if (cell === 'treeRnn' && embeddingSize !== hiddenSize) throw new InvalidArgumentError(`${op}: a treeRnn's leaves are their word vectors: embeddingSize must equal hiddenSize, got ${embeddingSize} and ${hiddenSize}`);
  const labels = checkOneOf(op, 'labels', o.labels ?? 'root', ['root', 'all'] as const);
  return {
    cell,
    vocab: o.vocab,
    hiddenSize,
    embeddingSize,
    classes: checkInt(op, 'classes', o.classes, 1, 1 << 20),
    labels,
    seed: checkInt(op, 'seed', o.seed ?? 0, 0, 0xffffffff),
  };
}
