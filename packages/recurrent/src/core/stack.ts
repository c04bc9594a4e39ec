/**
 * `RecurrentStack`: the thin TS face of the core's recurrent layers. One stack is `layers`
 * layers of one cell kind, one or two directions, with its parameters in PyTorch's names,
 * shapes and order. `forward` runs the whole stack over a whole sequence in one wasm call;
 * `backward` runs BPTT over the last training forward in one call; `step` advances a
 * unidirectional stack by one time step with carried state.
 *
 * Gate orders and equations are PyTorch's (see the fixture README); every fact of a cell
 * kind (gates and their order, cell state, extra per-unit vectors) is its row of the core's
 * table (`cell-kinds.ts`). Sigmoids are logistic, never hard.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import { CELL_KINDS, type CellKind, hasCellState } from './cell-kinds.js';
import type {
  ParameterInfo,
  RecurrentStackOptions,
  StackBackwardOptions,
  StackBackwardResult,
  StackForwardOptions,
  StackForwardResult,
  StepNormsShape,
} from './stack-types.js';
import { checkProjSize } from './proj-size.js';
import { checkFloats, checkInt, checkOneOf, checkSkip, describe } from './validate.js';

export { CELL_KINDS, gateCount, hasCellState, type CellKind } from './cell-kinds.js';

export type {
  RecurrentStackOptions,
  ParameterInfo,
  SequenceLayout,
  StackForwardOptions,
  StackForwardResult,
  StackBackwardOptions,
  StepNormsShape,
  StackBackwardResult,
} from './stack-types.js';

const OP = 'RecurrentStack';

export class RecurrentStack extends Owned {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly bidirectional: boolean;
  /** Whether the layers have `bias_ih` and `bias_hh` (PyTorch `bias`). */
  readonly bias: boolean;
  /** PyTorch `proj_size`: the width of `h` and of each direction's output; 0 for none. */
  readonly projSize: number;
  /** Delay of the skip connection through time, or 0 for none. */
  readonly skip: number;
  /** @internal */ readonly handle: number;
  /** @internal */ readonly engine: Engine;
  readonly #params: readonly ParameterInfo[];
  readonly #byName: ReadonlyMap<string, ParameterInfo>;
  /** Number of floats in all parameters together. */
  readonly parameterCount: number;
  /** @internal All parameters, flat in PyTorch order (owned by the stack). */
  readonly paramsBuffer: Float32Buffer;
  /** @internal Their gradients, same layout (owned by the stack). */
  readonly gradsBuffer: Float32Buffer;
  #last: { seqLen: number; batch: number } | undefined;

  constructor(options: RecurrentStackOptions) {
    super('RecurrentStack');
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${OP}: argument \`options\` expected an options object`);
    }
    this.kind = checkOneOf(OP, 'kind', options.kind, CELL_KINDS);
    this.inputSize = checkInt(OP, 'inputSize', options.inputSize, 1, 1 << 20);
    this.hiddenSize = checkInt(OP, 'hiddenSize', options.hiddenSize, 1, 1 << 16);
    this.layers = checkInt(OP, 'layers', options.layers ?? 1, 1, 64);
    const bidirectional = options.bidirectional ?? false;
    if (typeof bidirectional !== 'boolean') {
      throw new InvalidArgumentError(`${OP}: argument \`bidirectional\` expected a boolean, got ${String(bidirectional)}`);
    }
    this.bidirectional = bidirectional;
    const bias = options.bias ?? true;
    if (typeof bias !== 'boolean') {
      throw new InvalidArgumentError(`${OP}: argument \`bias\` expected a boolean, got ${String(bias)}`);
    }
    this.bias = bias;
    this.projSize = options.projSize === undefined ? 0 : checkProjSize(OP, 'projSize', options.projSize, this.kind, this.hiddenSize);
    this.skip = options.skip === undefined ? 0 : checkSkip(OP, options.skip);
    const engine = currentEngine();
    this.engine = engine;
    this.attachEngine(engine);
    const handle = engine.call((w) =>
      w.rnn_create(this.kind, this.inputSize, this.hiddenSize, this.layers, bidirectional, bias, this.skip, this.projSize),
    );
    this.handle = handle;
    try {
      const table = JSON.parse(engine.call((w) => w.rnn_param_table(handle))) as { name: string; offset: number; shape: number[] }[];
      this.#params = table.map((t) => Object.freeze({ ...t, size: t.shape.reduce((a, b) => a * b, 1) }));
      this.#byName = new Map(this.#params.map((p) => [p.name, p]));
      this.parameterCount = engine.call((w) => w.rnn_param_len(handle));
      this.paramsBuffer = Float32Buffer.borrowed(engine, engine.call((w) => w.rnn_params_buffer(handle)), this.parameterCount);
      this.gradsBuffer = Float32Buffer.borrowed(engine, engine.call((w) => w.rnn_grads_buffer(handle)), this.parameterCount);
    } catch (e) {
      // Out of memory half-way (the parameter table is allocated in wasm): free what was made.
      engine.free((w) => w.rnn_free(handle));
      throw e;
    }
    this.track(stackFreer(engine, handle));
  }

  /** Directions: 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Features of `h` per direction: `projSize`, or `hiddenSize` without a projection. */
  get stateWidth(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** Features per step of the output: `directions * stateWidth`. */
  get outputSize(): number {
    return this.directions * this.stateWidth;
  }

  /** The parameter tensors in PyTorch's order. */
  parameters(): readonly ParameterInfo[] {
    return this.#params;
  }

  /** A copy of the parameter `name` (e.g. `weight_hh_l0_reverse`). */
  getParameter(name: string): Float32Array {
    const p = this.#info(name);
    return this.paramView().slice(p.offset, p.offset + p.size);
  }

  /** Overwrites the parameter `name` with `data` (row-major, its exact shape). */
  setParameter(name: string, data: ArrayLike<number>): void {
    const p = this.#info(name);
    const values = checkFloats(`${OP}.setParameter`, name, data, p.size, `[${p.shape.join(', ')}]`);
    this.paramView().set(values, p.offset);
  }

  /** A copy of the accumulated gradient of parameter `name`. */
  getGradient(name: string): Float32Array {
    const p = this.#info(name);
    return this.gradView().slice(p.offset, p.offset + p.size);
  }

  /** Sets every parameter gradient to zero. */
  zeroGradients(): void {
    this.gradView().fill(0);
  }

  /** @internal View of all parameters in wasm memory (valid until memory grows). */
  paramView(): Float32Array {
    this.live();
    return this.paramsBuffer.view();
  }

  /** @internal View of all gradients in wasm memory (valid until memory grows). */
  gradView(): Float32Array {
    this.live();
    return this.gradsBuffer.view();
  }

  #info(name: string): ParameterInfo {
    this.live();
    const p = this.#byName.get(name);
    if (!p) {
      throw new InvalidArgumentError(`${OP}: no parameter named ${JSON.stringify(name)}; this stack has ${this.#params.map((q) => q.name).join(', ')}`);
    }
    return p;
  }

  /** Shape `[L*D, B, P]` of `h` states (`cell`: `[L*D, B, H]` of `c`), as text, and its size. */
  #stateShape(batch: number, cell = false): [string, number] {
    const n = this.layers * this.directions;
    const w = cell ? this.hiddenSize : this.stateWidth;
    return [`[${n}, ${batch}, ${w}]`, n * batch * w];
  }

  /** Runs the stack over a sequence `x` (`[T, B, I]`, or `[B, T, I]` when batch-major). */
  forward(x: Float32Array, options: StackForwardOptions): StackForwardResult {
    this.live();
    const op = `${OP}.forward`;
    checkOptions(op, options);
    const seqLen = checkInt(op, 'seqLen', options.seqLen, 1);
    const batch = checkInt(op, 'batch', options.batch, 1);
    const layout = checkOneOf(op, 'layout', options.layout ?? 'time-major', ['time-major', 'batch-major'] as const);
    const xShape = layout === 'time-major' ? `[${seqLen}, ${batch}, ${this.inputSize}]` : `[${batch}, ${seqLen}, ${this.inputSize}]`;
    checkFloats(op, 'x', x, seqLen * batch * this.inputSize, xShape);
    const lengths = checkLengths(op, options.lengths, batch, seqLen);
    const [stateShape, stateSize] = this.#stateShape(batch);
    const [cShape, cSize] = this.#stateShape(batch, true);
    const hasC = hasCellState(this.kind);
    if (options.c0 !== undefined && !hasC) {
      throw new InvalidArgumentError(`${op}: argument \`c0\` is only for the LSTM family, not ${this.kind}`);
    }
    return withTemps((buf) => {
      const xb = buf(x);
      const h0 = options.h0 === undefined ? 0 : buf(checkFloats(op, 'h0', options.h0, stateSize, stateShape)).handle;
      const c0 = options.c0 === undefined ? 0 : buf(checkFloats(op, 'c0', options.c0, cSize, cShape)).handle;
      const y = buf(seqLen * batch * this.outputSize);
      const hN = buf(stateSize);
      const cN = hasC ? buf(cSize) : undefined;
      const training = options.training ?? false;
      if (typeof training !== 'boolean') throw new InvalidArgumentError(`${op}: argument \`training\` expected a boolean, got ${describe(training)}`);
      this.#forward(training, layout === 'batch-major', seqLen, batch, xb.handle, lengths, h0, c0, y.handle, hN.handle, cN?.handle ?? 0);
      const result: StackForwardResult = { y: y.read(), hN: hN.read() };
      if (cN) result.cN = cN.read();
      return result;
    });
  }

  /**
   * BPTT over the last `forward` made with `training: true`. Parameter gradients are
   * accumulated into the stack (read them with {@link RecurrentStack.getGradient}).
   */
  backward(options: StackBackwardOptions): StackBackwardResult {
    this.live();
    const op = `${OP}.backward`;
    checkOptions(op, options);
    const last = this.#last;
    if (!last) throw new InvalidArgumentError(`${op}: no training forward to go back through; call forward(x, { training: true }) first`);
    const { seqLen, batch } = last;
    const ySize = seqLen * batch * this.outputSize;
    const [stateShape, stateSize] = this.#stateShape(batch);
    const [cShape, cSize] = this.#stateShape(batch, true);
    const hasC = hasCellState(this.kind);
    const gy = checkFloats(op, 'gy', options.gy, ySize, `[${seqLen}, ${batch}, ${this.outputSize}] (as y)`);
    return withTemps((buf) => {
      const gyb = buf(gy);
      const ghn = options.ghn === undefined ? 0 : buf(checkFloats(op, 'ghn', options.ghn, stateSize, stateShape)).handle;
      if (options.gcn !== undefined && !hasC) throw new InvalidArgumentError(`${op}: argument \`gcn\` is only for the LSTM family`);
      const gcn = options.gcn === undefined ? 0 : buf(checkFloats(op, 'gcn', options.gcn, cSize, cShape)).handle;
      const gx = (options.inputGradient ?? true) ? buf(seqLen * batch * this.inputSize) : undefined;
      const wantState = options.stateGradient ?? false;
      const gh0 = wantState ? buf(stateSize) : undefined;
      const gc0 = wantState && hasC ? buf(cSize) : undefined;
      const wantNorms = options.stepNorms ?? false;
      if (typeof wantNorms !== 'boolean') {
        throw new InvalidArgumentError(`${op}: argument \`stepNorms\` expected a boolean, got ${String(wantNorms)}`);
      }
      const normsShape: StepNormsShape = [this.layers, this.directions, seqLen];
      const norms = wantNorms ? buf(this.layers * this.directions * seqLen) : undefined;
      this.#backward(gyb.handle, ghn, gcn, gx?.handle ?? 0, gh0?.handle ?? 0, gc0?.handle ?? 0, norms?.handle ?? 0);
      const result: StackBackwardResult = {};
      if (gx) result.gx = gx.read();
      if (gh0) result.gh0 = gh0.read();
      if (gc0) result.gc0 = gc0.read();
      if (norms) {
        result.stepNorms = norms.read();
        result.stepNormsShape = normsShape;
      }
      return result;
    });
  }

  #forward(
    training: boolean, batchMajor: boolean, seqLen: number, batch: number, x: number, lengths: Uint32Array,
    h0: number, c0: number, y: number, hN: number, cN: number,
  ): void {
    this.engine.call((w) => w.rnn_forward(this.handle, training, batchMajor, seqLen, batch, x, lengths, h0, c0, y, hN, cN));
    this.#last = training ? { seqLen, batch } : undefined;
  }

  #backward(gy: number, ghn: number, gcn: number, gx: number, gh0: number, gc0: number, norms: number): void {
    this.engine.call((w) => w.rnn_backward(this.handle, gy, ghn, gcn, gx, gh0, gc0, norms));
    this.#last = undefined;
  }

  /**
   * @internal Forward on wasm buffers (time-major); each buffer holds at least what its
   * shape needs. Used by the model API, which keeps its activations in wasm. Training
   * forwards may drop out each layer's output but the last with probability `dropout`, each
   * layer's input with `inputDropout` and `h_{t-1}` in the recurrent matmul with
   * `recurrentDropout` (variational: one mask per sequence, the same at every step; masks
   * from `seed`), and with `checkpointEvery = k` (unidirectional stacks) keep only the states
   * every k steps, recomputing the rest in {@link backwardInto}, which then needs `x` again.
   */
  forwardInto(o: {
    training: boolean; seqLen: number; batch: number; x: Float32Buffer; lengths: Uint32Array;
    h0?: Float32Buffer | undefined; c0?: Float32Buffer | undefined; y: Float32Buffer; hN: Float32Buffer; cN?: Float32Buffer | undefined;
    dropout?: number; seed?: number; checkpointEvery?: number; inputDropout?: number; recurrentDropout?: number;
  }): void {
    this.live();
    const h = (b: Float32Buffer | undefined) => b?.liveHandle() ?? 0;
    const dropout = o.dropout ?? 0;
    const input = o.inputDropout ?? 0;
    const recurrent = o.recurrentDropout ?? 0;
    const k = o.checkpointEvery ?? 0;
    if (o.training && (dropout > 0 || input > 0 || recurrent > 0 || k > 0)) {
      this.engine.call((w) =>
        w.rnn_train_forward(this.handle, o.seqLen, o.batch, h(o.x), o.lengths, h(o.h0), h(o.c0), h(o.y), h(o.hN), h(o.cN), dropout, input, recurrent, (o.seed ?? 0) >>> 0, k),
      );
      this.#last = { seqLen: o.seqLen, batch: o.batch };
      return;
    }
    this.#forward(o.training, false, o.seqLen, o.batch, h(o.x), o.lengths, h(o.h0), h(o.c0), h(o.y), h(o.hN), h(o.cN));
  }

  /**
   * @internal BPTT on wasm buffers over the last training {@link forwardInto}; `x` is that
   * forward's input (needed when it checkpointed).
   */
  backwardInto(o: {
    gy: Float32Buffer; ghn?: Float32Buffer | undefined; gcn?: Float32Buffer | undefined; gx?: Float32Buffer | undefined;
    gh0?: Float32Buffer | undefined; gc0?: Float32Buffer | undefined; stepNorms?: Float32Buffer | undefined; x?: Float32Buffer | undefined;
  }): void {
    this.live();
    if (!this.#last) throw new InvalidArgumentError(`${OP}.backward: no training forward to go back through`);
    const h = (b: Float32Buffer | undefined) => b?.liveHandle() ?? 0;
    if (o.x === undefined) {
      this.#backward(h(o.gy), h(o.ghn), h(o.gcn), h(o.gx), h(o.gh0), h(o.gc0), h(o.stepNorms));
      return;
    }
    this.engine.call((w) => w.rnn_train_backward(this.handle, h(o.x), h(o.gy), h(o.ghn), h(o.gcn), h(o.gx), h(o.gh0), h(o.gc0), h(o.stepNorms)));
    this.#last = undefined;
  }

  /**
   * @internal Floats held by the training tapes now, their per-step records and scratch (sized
   * for the longest sequence seen; a checkpointed one for its segment length).
   */
  get tapeFloats(): number {
    this.live();
    return this.engine.call((w) => w.rnn_tape_floats(this.handle));
  }

  /** @internal Floats of the states a checkpointed tape keeps at every segment's start. */
  get checkpointFloats(): number {
    this.live();
    return this.engine.call((w) => w.rnn_checkpoint_floats(this.handle));
  }

  /**
   * @internal One streaming step on wasm buffers: `x [B, I]`, state `h [L, B, P]`, `c [L, B, H]`
   * updated in place, `y [B, P]` (P = H without a projection); with a skip connection `hist [L, skip-1, B, H]` (each layer's earlier states,
   * oldest first) moves on by the step.
   */
  stepInto(batch: number, x: Float32Buffer, h: Float32Buffer, c: Float32Buffer | undefined, y: Float32Buffer, hist?: Float32Buffer): void {
    this.live();
    this.engine.call((w) =>
      w.rnn_step(this.handle, batch, x.liveHandle(), h.liveHandle(), c?.liveHandle() ?? 0, y.liveHandle(), hist?.liveHandle() ?? 0),
    );
  }

  protected free(): void {
    // The views of the stack's parameters and gradients end with it: an optimiser still
    // holding them gets a DisposedError, not a write into freed (or reused) memory.
    this.paramsBuffer.dispose();
    this.gradsBuffer.dispose();
    this.engine.free((w) => w.rnn_free(this.handle));
  }
}

/** Runs `f` with an allocator of temporary wasm buffers, all freed when it returns or throws. */
function withTemps<T>(f: (buf: (data: Float32Array | number) => Float32Buffer) => T): T {
  const temps: Float32Buffer[] = [];
  try {
    return f((data) => {
      const b = typeof data === 'number' ? new Float32Buffer(data) : Float32Buffer.from(data);
      temps.push(b);
      return b;
    });
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

/**
 * The finalizer's way to free a stack. Made outside the constructor on purpose: a closure made
 * inside it would share the constructor's context, which holds `this` (other closures there use
 * it), and a held value that reaches its target keeps the target alive forever.
 */
function stackFreer(engine: Engine, handle: number): () => void {
  return () => engine.free((w) => w.rnn_free(handle));
}

function checkOptions(op: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${op}: argument \`options\` expected an options object, got ${describe(options)}`);
  }
}

function checkLengths(op: string, lengths: ArrayLike<number> | undefined, batch: number, seqLen: number): Uint32Array {
  if (lengths === undefined) return new Uint32Array(0);
  if (typeof lengths !== 'object' || lengths === null || lengths.length !== batch) {
    throw new InvalidArgumentError(`${op}: argument \`lengths\` expected ${batch} values (one per sequence), got ${typeof lengths === 'object' && lengths !== null ? lengths.length : describe(lengths)}`);
  }
  const out = new Uint32Array(batch);
  for (let b = 0; b < batch; b++) out[b] = checkInt(op, `lengths[${b}]`, lengths[b], 1, seqLen);
  return out;
}
