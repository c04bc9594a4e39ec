/**
 * `TreeCell`: the TS face of one core tree layer (`crates/recurrent-core/src/tree`): its
 * parameters by the fixtures' (PyTorch-style) names, forward over a whole forest and
 * backpropagation through structure, one wasm call each (never a call per node).
 */
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import type { Forest } from './forest.js';

/** The tree cells. */
export const TREE_CELLS = ['treeRnn', 'childSumTreeLstm', 'naryTreeLstm'] as const;
export type TreeCellKind = (typeof TREE_CELLS)[number];

/** A parameter tensor of a tree cell: name, shape and place in the flat buffer. */
export interface TreeParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Whether nodes of `kind` carry a cell state. */
export function treeHasCellState(kind: TreeCellKind): boolean {
  return kind !== 'treeRnn';
}

/** Names and shapes of the parameters, in order (the fixtures' `param_names`). */
export function treeParamInfo(kind: TreeCellKind, inputSize: number, hiddenSize: number): TreeParamInfo[] {
  const [I, H] = [inputSize, hiddenSize];
  const shapes: [string, number[]][] =
    kind === 'treeRnn'
      ? [['weight', [H, 2 * H]], ['bias', [H]]]
      : [['weight_ih', [4 * H, I]], ['weight_hh', kind === 'naryTreeLstm' ? [5 * H, 2 * H] : [4 * H, H]], ['bias_ih', [4 * H]], ['bias_hh', [4 * H]]];
  let offset = 0;
  return shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const info = { name, shape, offset, size };
    offset += size;
    return info;
  });
}

/** What {@link TreeCell.forward} gives: views on the cell's output buffers (valid until the next forward). */
export interface TreeForwardResult {
  /** `[nodes, H]`, node order. */
  readonly h: Float32Buffer;
  /** `[nodes, H]` (LSTMs), node order. */
  readonly c: Float32Buffer | undefined;
}

/** A tree layer's parameters, gradients and the tape of its last forward. */
export class TreeCell extends Owned {
  readonly params: Float32Buffer;
  readonly grads: Float32Buffer;
  readonly info: readonly TreeParamInfo[];
  readonly #code: number;
  readonly #engine: Engine;
  #tape: Float32Buffer | undefined;
  #h: Float32Buffer | undefined;
  #c: Float32Buffer | undefined;
  #last: { forest: Forest; x: Float32Buffer; levelBatched: boolean } | undefined;

  constructor(
    readonly kind: TreeCellKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
  ) {
    super('TreeCell');
    const op = 'TreeCell';
    const code = TREE_CELLS.indexOf(kind);
    if (code < 0) throw new InvalidArgumentError(`${op}: argument \`kind\` expected one of ${TREE_CELLS.join(', ')}, got ${String(kind)}`);
    for (const [arg, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isSafeInteger(v) || v < 1 || v > 1 << 20) throw new InvalidArgumentError(`${op}: argument \`${arg}\` expected an integer in [1, 2^20], got ${String(v)}`);
    }
    if (kind === 'treeRnn' && inputSize !== hiddenSize) throw new InvalidArgumentError(`${op}: a treeRnn's leaves are their input: inputSize must equal hiddenSize, got ${inputSize} and ${hiddenSize}`);
    this.#code = code;
    this.#engine = currentEngine();
    this.attachEngine(this.#engine);
    this.info = treeParamInfo(kind, inputSize, hiddenSize);
    const len = this.#engine.call((w) => w.tree_param_len(code, inputSize, hiddenSize));
    this.params = new Float32Buffer(len);
    this.grads = new Float32Buffer(len);
  }

  /** Checks `forest` for this cell (structure and arity); a typed error names the node. Returns its number of levels. */
  check(forest: Forest): number {
    this.live();
    return this.#engine.call((w) => w.tree_check(this.#code, forest.childOffsets, forest.children, forest.xRows, forest.numInputs));
  }

  #grow(buf: Float32Buffer | undefined, len: number): Float32Buffer {
    if (buf && buf.length >= len) return buf;
    buf?.dispose();
    return new Float32Buffer(len);
  }

  /**
   * Runs the forest: `x` holds `forest.numInputs` rows of `inputSize`. `levelBatched: false`
   * computes one node per pass (the benchmark's baseline). The forest is checked first;
   * nothing is written when it is malformed.
   */
  forward(forest: Forest, x: Float32Buffer, levelBatched = true): TreeForwardResult {
    this.live();
    const [I, H] = [this.inputSize, this.hiddenSize];
    if (x.length < forest.numInputs * I) throw new InvalidArgumentError(`TreeCell.forward: argument \`x\` expected ${forest.numInputs} x ${I} floats, got ${x.length}`);
    const n = forest.nodes;
    this.check(forest);
    const tapeLen = this.#engine.call((w) => w.tree_tape_len(this.#code, I, H, n));
    this.#tape = this.#grow(this.#tape, tapeLen);
    this.#h = this.#grow(this.#h, n * H);
    if (treeHasCellState(this.kind)) this.#c = this.#grow(this.#c, n * H);
    const [tape, h, c] = [this.#tape, this.#h, this.#c];
    this.#engine.call((w) =>
      w.tree_forward(this.#code, I, H, levelBatched, forest.childOffsets, forest.children, forest.xRows, forest.numInputs, this.params.liveHandle(), x.liveHandle(), tape.liveHandle(), h.liveHandle(), c?.liveHandle() ?? 0),
    );
    this.#last = { forest, x, levelBatched };
    return { h, c: treeHasCellState(this.kind) ? c : undefined };
  }

  /**
   * Backpropagation through structure for the last forward: adds to {@link TreeCell.grads}
   * and to `gx` (when given, `[numInputs, inputSize]`) the gradients for `dL/dh = gh` and
   * `dL/dc = gc` (`[nodes, H]` each, node order; `gc` absent: zero).
   */
  backward(gh: Float32Buffer, gc?: Float32Buffer, gx?: Float32Buffer): void {
    this.live();
    const last = this.#last;
    if (!last || !this.#tape) throw new InvalidArgumentError('TreeCell.backward: no forward to go back through');
    const { forest, x, levelBatched } = last;
    const [I, H] = [this.inputSize, this.hiddenSize];
    const tape = this.#tape;
    this.#engine.call((w) =>
      w.tree_backward(this.#code, I, H, levelBatched, forest.childOffsets, forest.children, forest.xRows, forest.numInputs, this.params.liveHandle(), x.liveHandle(), tape.liveHandle(), gh.liveHandle(), gc?.liveHandle() ?? 0, this.grads.liveHandle(), gx?.liveHandle() ?? 0),
    );
  }

  protected free(): void {
    for (const b of [this.params, this.grads, this.#tape, this.#h, this.#c]) b?.dispose();
  }
}
