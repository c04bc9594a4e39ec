/**
 * Forests as the core takes them: nodes in an order where every child comes before its
 * parent, each with its child list (CSR: `childOffsets`, `children`) and its input row
 * (`NO_INPUT` for none). {@link batchTrees} lays a list of {@link Tree}s out this way, post-order
 * and iteratively; {@link forestFromNodes} takes a node list written by hand (any order: the
 * core sorts it into levels and refuses cycles, shared or repeated children and indices out of
 * range, naming the node).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Tree } from './tree.js';

/** The input row of a node without input. */
export const NO_INPUT = 0xffffffff;

/** A forest of `nodes` nodes in the core's layout. */
export interface Forest {
  readonly nodes: number;
  /** `nodes + 1` offsets into `children`. */
  readonly childOffsets: Uint32Array;
  /** Child node indices, each node's in order. */
  readonly children: Uint32Array;
  /** Input row of each node, or {@link NO_INPUT}. */
  readonly xRows: Uint32Array;
  /** Rows of the input the nodes index. */
  readonly numInputs: number;
}

/** A forest made from trees, with what the tasks need besides. */
export interface TreeBatch extends Forest {
  /** Token id of each input row (`numInputs`): the leaves' words, left to right per tree. */
  readonly tokens: Uint32Array;
  /** Label of each node, `-1` for none. */
  readonly labels: Int32Array;
  /** Node index of each tree's root, in the order of the trees. */
  readonly roots: Uint32Array;
}

/**
 * Lays `trees` out as one forest: each tree post-order (children before parents), trees one
 * after the other; each node with a word (every leaf; an internal node may have one, e.g. the
 * operator of an expression tree) gets an input row holding `tokenOf(word)`, the others none.
 */
export function batchTrees(trees: readonly Tree[], tokenOf: (word: string, tree: number) => number, op = 'batchTrees'): TreeBatch {
  if (!Array.isArray(trees) || trees.length === 0) throw new InvalidArgumentError(`${op}: argument \`trees\` expected a non-empty array of trees, got ${Array.isArray(trees) ? 'an empty array' : String(trees)}`);
  const offsets: number[] = [0];
  const children: number[] = [];
  const xRows: number[] = [];
  const tokens: number[] = [];
  const labels: number[] = [];
  const roots: number[] = [];
  // Iterative post-order: (node, visited) frames; a visited node's children are the last
  // `children.length` entries of `done`.
  const done: number[] = [];
  trees.forEach((tree, b) => {
    const stack: [Tree, boolean][] = [[tree, false]];
    while (stack.length > 0) {
      const [t, visited] = stack.pop()!;
      const kids = t?.children;
      if (!Array.isArray(kids)) throw new InvalidArgumentError(`${op}: trees[${b}] has a node without a \`children\` array`);
      if (!visited && kids.length > 0) {
        stack.push([t, true]);
        for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, false]);
        continue;
      }
      const j = xRows.length;
      if (kids.length === 0 && typeof t.word !== 'string') throw new InvalidArgumentError(`${op}: trees[${b}] has a leaf without a word`);
      children.push(...done.splice(done.length - kids.length, kids.length));
      if (typeof t.word === 'string') {
        xRows.push(tokens.length);
        tokens.push(tokenOf(t.word, b));
      } else xRows.push(NO_INPUT);
      offsets.push(children.length);
      const label = t.label;
      if (label !== undefined && (!Number.isSafeInteger(label) || label < 0)) throw new InvalidArgumentError(`${op}: trees[${b}] has a label ${String(label)} (expected an integer >= 0)`);
      labels.push(label ?? -1);
      done.push(j);
    }
    roots.push(done.pop()!);
  });
  return {
    nodes: xRows.length,
    childOffsets: Uint32Array.from(offsets),
    children: Uint32Array.from(children),
    xRows: Uint32Array.from(xRows),
    numInputs: tokens.length,
    tokens: Uint32Array.from(tokens),
    labels: Int32Array.from(labels),
    roots: Uint32Array.from(roots),
  };
}

/** One node of {@link forestFromNodes}. */
export interface ForestNode {
  /** Indices of the node's children, in order. */
  readonly children: readonly number[];
  /** Row of the input, or `-1` for none. */
  readonly x: number;
}

/**
 * A forest from a node list (the fixtures' form). Only the encoding is checked here (integers
 * in range of a `Uint32Array`); the structure is checked by the core when the forest is used.
 */
export function forestFromNodes(nodes: readonly ForestNode[], numInputs: number, op = 'forestFromNodes'): Forest {
  if (!Array.isArray(nodes)) throw new InvalidArgumentError(`${op}: argument \`nodes\` expected an array, got ${String(nodes)}`);
  const offsets = new Uint32Array(nodes.length + 1);
  const children: number[] = [];
  const xRows = new Uint32Array(nodes.length);
  nodes.forEach((n, j) => {
    if (!Array.isArray(n?.children)) throw new InvalidArgumentError(`${op}: nodes[${j}].children expected an array`);
    for (const k of n.children) {
      if (!Number.isSafeInteger(k) || k < 0 || k >= nodes.length) throw new InvalidArgumentError(`${op}: nodes[${j}].children has ${String(k)}, expected a node index in [0, ${nodes.length})`);
      children.push(k);
    }
    offsets[j + 1] = children.length;
    if (n.x !== -1 && (!Number.isSafeInteger(n.x) || n.x < 0 || n.x >= numInputs)) throw new InvalidArgumentError(`${op}: nodes[${j}].x is ${String(n.x)}, expected -1 or a row in [0, ${numInputs})`);
    xRows[j] = n.x === -1 ? NO_INPUT : n.x;
  });
  return { nodes: nodes.length, childOffsets: offsets, children: Uint32Array.from(children), xRows, numInputs };
}
