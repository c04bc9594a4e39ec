/**
 * `RecurrentStack`: the thin TS face of the core's recurrent layers. One stack is `layers`
 * layers of one cell kind, one or two directions, with its parameters in PyTorch's names,
 * shapes and order. `forward` runs the whole stack over a whole sequence in one wasm call;
 * `backward` runs BPTT over the last training forward in one call; `step` advances a
 * unidirectional stack by one time step with carried state.
 *
 * Gate orders and equations are PyTorch's (see the fixture README): GRU r, z, n with the
 * reset after the hidden matmul (`gru`) or before it (`gru_reset_before`); LSTM i, f, g, o;
 * the coupled (`lstm_cifg`) and no-forget LSTMs i, g, o. Sigmoids are logistic, never hard.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import { checkFloats, checkInt, checkOneOf, describe } from './validate.js';

/** The equations a stack computes. */
export type CellKind =
  | 'rnn_tanh'
  | 'rnn_relu'
  | 'rnn_residual'
  | 'gru'
  | 'gru_reset_before'
  | 'lstm'
  | 'lstm_peephole'
  | 'lstm_cifg'
  | 'lstm_no_forget';

export const CELL_KINDS: readonly CellKind[] = [
  'rnn_tanh', 'rnn_relu', 'rnn_residual', 'gru', 'gru_reset_before', 'lstm', 'lstm_peephole', 'lstm_cifg', 'lstm_no_forget',
];

/** Whether the kind carries a cell state `c` beside `h` (the LSTM family). */
export function hasCellState(kind: CellKind): boolean {
  return kind.startsWith('lstm');
}

/** Gate blocks per direction: rows of `weight_ih` are `gates * hiddenSize`. */
export function gateCount(kind: CellKind): number {
  if (kind.startsWith('rnn')) return 1;
  if (kind === 'lstm' || kind === 'lstm_peephole') return 4;
  return 3;
}

/** Options of {@link RecurrentStack}. */
export interface RecurrentStackOptions {
  /** Cell kind. */
  kind: CellKind;
  /** Features per step of the input. */
  inputSize: number;
  /** Features of the state of each direction. */
  hiddenSize: number;
  /** Stacked layers; layer l+1 reads layer l's output. Default `1`. */
  layers?: number;
  /** Run a reverse direction too and concatenate both per step. Default `false`. */
  bidirectional?: boolean;
}

/** One parameter tensor: PyTorch name, shape, and where it sits in the flat buffer. */
export interface ParameterInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Memory order of sequence tensors: `[T, B, F]` (`time-major`) or `[B, T, F]`. */
export type SequenceLayout = 'time-major' | 'batch-major';

/** Options of {@link RecurrentStack.forward}. */
export interface StackForwardOptions {
  /** Steps T. */
  seqLen: number;
  /** Sequences B. */
  batch: number;
  /** Layout of `x` and `y`. Default `'time-major'`. */
  layout?: SequenceLayout;
  /** Valid length of each sequence (B integers in [1, T]); padded outputs are zero. Default: all T. */
  lengths?: ArrayLike<number>;
  /** Initial states `[L*D, B, H]`. Default zeros. */
  h0?: Float32Array;
  /** Initial cells `[L*D, B, H]` (LSTM family). Default zeros. */
  c0?: Float32Array;
  /** Record what {@link RecurrentStack.backward} needs. Default `false`. */
  training?: boolean;
}

/** What {@link RecurrentStack.forward} returns (copies). */
export interface StackForwardResult {
  /** Last layer's output `[T, B, D*H]` (or batch-major), forward direction first. */
  y: Float32Array;
  /** Final states `[L*D, B, H]`. */
  hN: Float32Array;
  /** Final cells `[L*D, B, H]` (LSTM family only). */
  cN?: Float32Array;
}

/** Options of {@link RecurrentStack.backward}. */
export interface StackBackwardOptions {
  /** dL/dy, shaped like `y`. */
  gy: Float32Array;
  /** dL/dh_n `[L*D, B, H]`. Default zeros. */
  ghn?: Float32Array;
  /** dL/dc_n `[L*D, B, H]` (LSTM family). Default zeros. */
  gcn?: Float32Array;
  /** Return dL/dx. Default `true`. */
  inputGradient?: boolean;
  /** Return dL/dh0 (and dL/dc0). Default `false`. */
  stateGradient?: boolean;
  /**
   * Return the per-step gradient norms `stepNorms` `[L, D, T]`: how strongly the loss
   * reaches each step's state, i.e. whether gradients vanish or explode through time.
   * Default `false` (then they cost nothing).
   */
  stepNorms?: boolean;
}

/**
 * Shape of {@link StackBackwardResult.stepNorms}: `[layers, directions, seqLen]`, row-major,
 * so the norm for layer `l`, direction `d` (0 forward, 1 reverse) and step `t` (natural time
 * order for both directions) is at `(l * directions + d) * seqLen + t`.
 */
export type StepNormsShape = readonly [layers: number, directions: number, seqLen: number];

/** What {@link RecurrentStack.backward} returns; parameter gradients accumulate in the stack. */
export interface StackBackwardResult {
  gx?: Float32Array;
  gh0?: Float32Array;
  gc0?: Float32Array;
  /**
   * With `stepNorms: true`: `[L, D, T]` (see {@link StepNormsShape}), the L2 norm over the
   * batch and hidden units of dL/dh_t, the total gradient reaching the state h_t of that
   * layer and direction (through the step's output, and through the next step the direction
   * processes or dL/dh_n at its last), taken just before BPTT sends it back through the cell
   * of step t. Only `h` is measured (not the LSTM cell state); padded steps of a
   * variable-length batch contribute nothing (0 where every sequence is padded). Computed in
   * f32 like the gradients, summed in f64; identical for any thread count.
   */
  stepNorms?: Float32Array;
  /** `[L, D, T]` of `stepNorms`, when returned. */
  stepNormsShape?: StepNormsShape;
}

const OP = 'RecurrentStack';

export class RecurrentStack extends Owned {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly bidirectional: boolean;
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
    const engine = currentEngine();
    this.engine = engine;
    this.attachEngine(engine);
    const handle = engine.call((w) => w.rnn_create(this.kind, this.inputSize, this.hiddenSize, this.layers, bidirectional));
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

  /** Features per step of the output: `directions * hiddenSize`. */
  get outputSize(): number {
    return this.directions * this.hiddenSize;
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

  /** Shape `[L*D, B, H]` of states, as text, and its size. */
  #stateShape(batch: number): [string, number] {
    const n = this.layers * this.directions;
    return [`[${n}, ${batch}, ${this.hiddenSize}]`, n * batch * this.hiddenSize];
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
    const hasC = hasCellState(this.kind);
    if (options.c0 !== undefined && !hasC) {
      throw new InvalidArgumentError(`${op}: argument \`c0\` is only for the LSTM family, not ${this.kind}`);
    }
    return withTemps((buf) => {
      const xb = buf(x);
      const h0 = options.h0 === undefined ? 0 : buf(checkFloats(op, 'h0', options.h0, stateSize, stateShape)).handle;
      const c0 = options.c0 === undefined ? 0 : buf(checkFloats(op, 'c0', options.c0, stateSize, stateShape)).handle;
      const y = buf(seqLen * batch * this.outputSize);
      const hN = buf(stateSize);
      const cN = hasC ? buf(stateSize) : undefined;
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
    const hasC = hasCellState(this.kind);
    const gy = checkFloats(op, 'gy', options.gy, ySize, `[${seqLen}, ${batch}, ${this.outputSize}] (as y)`);
    return withTemps((buf) => {
      const gyb = buf(gy);
      const ghn = options.ghn === undefined ? 0 : buf(checkFloats(op, 'ghn', options.ghn, stateSize, stateShape)).handle;
      if (options.gcn !== undefined && !hasC) throw new InvalidArgumentError(`${op}: argument \`gcn\` is only for the LSTM family`);
      const gcn = options.gcn === undefined ? 0 : buf(checkFloats(op, 'gcn', options.gcn, stateSize, stateShape)).handle;
      const gx = (options.inputGradient ?? true) ? buf(seqLen * batch * this.inputSize) : undefined;
      const wantState = options.stateGradient ?? false;
      const gh0 = wantState ? buf(stateSize) : undefined;
      const gc0 = wantState && hasC ? buf(stateSize) : undefined;
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
   * shape needs. Used by the model API, which keeps its activations in wasm.
   */
  forwardInto(o: {
    training: boolean; seqLen: number; batch: number; x: Float32Buffer; lengths: Uint32Array;
    h0?: Float32Buffer | undefined; c0?: Float32Buffer | undefined; y: Float32Buffer; hN: Float32Buffer; cN?: Float32Buffer | undefined;
  }): void {
    this.live();
    this.#forward(
      o.training, false, o.seqLen, o.batch, o.x.liveHandle(), o.lengths, o.h0?.liveHandle() ?? 0, o.c0?.liveHandle() ?? 0,
      o.y.liveHandle(), o.hN.liveHandle(), o.cN?.liveHandle() ?? 0,
    );
  }

  /** @internal BPTT on wasm buffers over the last training {@link forwardInto}. */
  backwardInto(o: {
    gy: Float32Buffer; ghn?: Float32Buffer | undefined; gcn?: Float32Buffer | undefined; gx?: Float32Buffer | undefined;
    gh0?: Float32Buffer | undefined; gc0?: Float32Buffer | undefined; stepNorms?: Float32Buffer | undefined;
  }): void {
    this.live();
    if (!this.#last) throw new InvalidArgumentError(`${OP}.backward: no training forward to go back through`);
    const h = (b: Float32Buffer | undefined) => b?.liveHandle() ?? 0;
    this.#backward(h(o.gy), h(o.ghn), h(o.gcn), h(o.gx), h(o.gh0), h(o.gc0), h(o.stepNorms));
  }

  /** @internal Floats held by the training tape now (it is sized for the longest sequence seen). */
  get tapeFloats(): number {
    this.live();
    return this.engine.call((w) => w.rnn_tape_floats(this.handle));
  }

  /** @internal One streaming step on wasm buffers: `x [B, I]`, state `h`, `c` updated in place, `y [B, H]`. */
  stepInto(batch: number, x: Float32Buffer, h: Float32Buffer, c: Float32Buffer | undefined, y: Float32Buffer): void {
    this.live();
    this.engine.call((w) => w.rnn_step(this.handle, batch, x.liveHandle(), h.liveHandle(), c?.liveHandle() ?? 0, y.liveHandle()));
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
