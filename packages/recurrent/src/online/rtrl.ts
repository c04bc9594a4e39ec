/**
 * `RtrlTrainer`: online training of a small vanilla RNN with a linear readout by real-time
 * recurrent learning (Williams & Zipser, 1989). The sensitivities dh_t/dθ are carried forward
 * in time with the state (see `sensitivity.ts`), so after every `step` the gradient of the
 * loss accumulated so far is known exactly, without storing the past and without a backward
 * pass: the model can learn from an endless stream, updating as it goes.
 *
 * Model, in PyTorch's names and shapes (`nn.RNNCell` then `nn.Linear`):
 *
 *     h_t = f(weight_ih x_t + bias_ih + weight_hh h_{t-1} + bias_hh)   f = tanh or relu
 *     o_t = weight_out h_t + bias_out
 *
 * with weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H], weight_out [O, H],
 * bias_out [O], and a per-step loss on o_t (`'mse'` or softmax `'cross-entropy'`, see
 * `loss.ts`). Everything is float64 and plain TypeScript: no engine, no `init()` needed.
 *
 * Cost: each step costs about H^3 (H + I + 1) multiply-adds and the trainer holds two
 * H x (H*I + H*H + H) float64 matrices. That is O(H^4) time and O(H^3) memory, against
 * BPTT's O(H^2) per step, so RTRL is for small models: `hiddenSize` is limited to
 * {@link RTRL_MAX_HIDDEN_SIZE} (at H = 64: some 18M multiply-adds per step, about 25 ms in
 * V8; H = 32: about 2 ms; H = 8: tens of microseconds) and the sensitivity matrix to
 * {@link RTRL_MAX_SENSITIVITY} values. Larger models train with BPTT (`RecurrentStack`);
 * {@link rtrlCost} gives the numbers for a shape.
 *
 * Online updates: with `updateEvery: k` the accumulated gradient is applied (plain SGD,
 * optional global-norm clipping) every k steps and then cleared. The sensitivities are kept
 * across updates, as in Williams & Zipser: they were computed under the previous parameters,
 * which is the usual RTRL approximation and is harmless for small learning rates. With
 * `updateEvery: 0` nothing is applied until {@link RtrlTrainer.update} is called, and the
 * accumulated gradient is exactly the gradient of the total loss of the steps since the last
 * {@link RtrlTrainer.resetGradients} (the same numbers BPTT would give).
 */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { checkInt, checkNumber, checkOneOf, describe } from '../core/validate.js';
import { Random } from '../data/random.js';
import { crossEntropyLoss, mseLoss, RTRL_LOSSES, type RtrlLoss } from './loss.js';
import { accumulateSensitivityGradient, cellStep, propagateSensitivity, sensitivityColumns, type Nonlinearity } from './sensitivity.js';

/** The largest `hiddenSize` an {@link RtrlTrainer} accepts (RTRL costs O(H^4) per step). */
export const RTRL_MAX_HIDDEN_SIZE = 64;

/**
 * The largest sensitivity matrix, in float64 values (H * (H*I + H*H + H); 2^22 values is
 * 32 MiB, and the trainer holds two). Bounds `inputSize` for a given `hiddenSize`.
 */
export const RTRL_MAX_SENSITIVITY = 1 << 22;

/** The parameter tensors, in PyTorch's names (`nn.RNNCell`, then the readout's `_out`). */
export type RtrlParameterName = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_out' | 'bias_out';

export const RTRL_PARAMETER_NAMES: readonly RtrlParameterName[] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_out', 'bias_out'];

export const RTRL_NONLINEARITIES: readonly Nonlinearity[] = ['tanh', 'relu'];

/** A vector of numbers as the trainer takes them (copied to float64). */
export type RtrlArray = Float64Array | Float32Array | readonly number[];

/** Values for some or all parameters, each row-major in its exact shape. */
export type RtrlParameterValues = Partial<Record<RtrlParameterName, RtrlArray>>;

/** Options of {@link RtrlTrainer}. */
export interface RtrlTrainerOptions {
  /** Features per step of the input, I. */
  inputSize: number;
  /** Hidden units H, in [1, {@link RTRL_MAX_HIDDEN_SIZE}]. */
  hiddenSize: number;
  /** Readout size O (classes, for cross-entropy). */
  outputSize: number;
  /** f. Default `'tanh'`. */
  nonlinearity?: Nonlinearity;
  /** Per-step loss. Default `'mse'`. */
  loss?: RtrlLoss;
  /** SGD step size, >= 0. Default `0.01`. Can be changed later through `learningRate`. */
  learningRate?: number;
  /**
   * Apply the accumulated gradient every this many steps (`1`: fully online); `0` never
   * applies it by itself (call {@link RtrlTrainer.update}). Default `1`.
   */
  updateEvery?: number;
  /** Clip the global gradient norm to this before each update. Default: no clipping. */
  clipNorm?: number;
  /**
   * Seed of the initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)]
   * (PyTorch's default for `nn.RNNCell` and for `nn.Linear(H, O)`), drawn in the order of
   * {@link RTRL_PARAMETER_NAMES}. Default `0`.
   */
  seed?: number;
  /** Initial values overriding the seeded ones, for some or all parameters. */
  init?: RtrlParameterValues;
}

/**
 * A step's target: O values for `'mse'` (or one number when O = 1); a class index in
 * [0, O) for `'cross-entropy'`.
 */
export type RtrlTarget = number | RtrlArray;

/** What {@link RtrlTrainer.step} returns. */
export interface RtrlStepResult {
  /** This step's loss L_t (`0` when the step had no target). */
  loss: number;
  /** The readout o_t (logits for cross-entropy), a fresh array. */
  output: Float64Array;
  /** Whether this step applied an update. */
  updated: boolean;
}

/** Size and cost of RTRL for a model shape. */
export interface RtrlCost {
  /** Values in the sensitivity matrix dh/dθ: H * (H*I + H*H + H). */
  sensitivityValues: number;
  /** Approximate multiply-adds per step: H^2 (H*I + H*H + H) plus lower-order terms. */
  multiplyAddsPerStep: number;
}

/** The cost of one RTRL step for this shape (what the limits of {@link RtrlTrainer} bound). */
export function rtrlCost(shape: { inputSize: number; hiddenSize: number; outputSize?: number }): RtrlCost {
  const { inputSize: i, hiddenSize: h } = shape;
  const o = shape.outputSize ?? 1;
  const n = sensitivityColumns(i, h);
  return { sensitivityValues: h * n, multiplyAddsPerStep: h * h * n + 2 * h * n + h * (i + h) + 2 * o * h };
}

const OP = 'RtrlTrainer';
const OPTION_KEYS: readonly string[] = [
  'inputSize', 'hiddenSize', 'outputSize', 'nonlinearity', 'loss', 'learningRate', 'updateEvery', 'clipNorm', 'seed', 'init',
];

export class RtrlTrainer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly nonlinearity: Nonlinearity;
  readonly loss: RtrlLoss;
  readonly updateEvery: number;
  readonly clipNorm: number | undefined;
  #learningRate: number;

  readonly #shapes: Readonly<Record<RtrlParameterName, readonly number[]>>;
  readonly #params: Record<RtrlParameterName, Float64Array>;
  /** Gradient of the recurrent parameters in sensitivity-column order: W_ih | W_hh | b. */
  readonly #gradRec: Float64Array;
  readonly #gradWeightOut: Float64Array;
  readonly #gradBiasOut: Float64Array;
  /** The accumulated gradients before the current step, to undo a step that was not finite. */
  readonly #gradSaved: Float64Array[];
  /** Where an update writes the new parameters before they are known finite (swapped in). */
  readonly #nextParams: Record<RtrlParameterName, Float64Array>;

  #h: Float64Array;
  #hNext: Float64Array;
  #sens: Float64Array;
  #sensNext: Float64Array;
  #sensZero = true;
  readonly #deriv: Float64Array;
  readonly #x: Float64Array;
  readonly #target: Float64Array;
  readonly #gradOut: Float64Array;
  readonly #gradH: Float64Array;
  #sinceUpdate = 0;
  #accumulated = 0;
  #steps = 0;

  constructor(options: RtrlTrainerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${OP}: argument \`options\` expected an options object, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) {
        throw new InvalidArgumentError(`${OP}: unknown option \`${key}\`; the options are ${OPTION_KEYS.join(', ')}`);
      }
    }
    this.inputSize = checkInt(OP, 'inputSize', options.inputSize, 1, 1 << 20);
    const hiddenSize = options.hiddenSize;
    if (typeof hiddenSize === 'number' && Number.isInteger(hiddenSize) && hiddenSize > RTRL_MAX_HIDDEN_SIZE) {
      throw new InvalidArgumentError(
        `${OP}: argument \`hiddenSize\` is ${hiddenSize}, above RTRL_MAX_HIDDEN_SIZE (${RTRL_MAX_HIDDEN_SIZE}): ` +
          `RTRL costs O(H^4) time and O(H^3) memory per step; train larger models with BPTT (RecurrentStack)`,
      );
    }
    this.hiddenSize = checkInt(OP, 'hiddenSize', hiddenSize, 1, RTRL_MAX_HIDDEN_SIZE);
    this.outputSize = checkInt(OP, 'outputSize', options.outputSize, 1, 1 << 20);
    const cost = rtrlCost(this);
    if (cost.sensitivityValues > RTRL_MAX_SENSITIVITY) {
      throw new InvalidArgumentError(
        `${OP}: inputSize ${this.inputSize} with hiddenSize ${this.hiddenSize} needs a sensitivity matrix of ` +
          `${cost.sensitivityValues} values, above RTRL_MAX_SENSITIVITY (${RTRL_MAX_SENSITIVITY}); reduce inputSize or hiddenSize`,
      );
    }
    this.nonlinearity = checkOneOf(OP, 'nonlinearity', options.nonlinearity ?? 'tanh', RTRL_NONLINEARITIES);
    this.loss = checkOneOf(OP, 'loss', options.loss ?? 'mse', RTRL_LOSSES);
    if (this.loss === 'cross-entropy' && this.outputSize < 2) {
      throw new InvalidArgumentError(`${OP}: loss 'cross-entropy' needs outputSize >= 2 (one logit per class), got ${this.outputSize}`);
    }
    this.#learningRate = checkNumber(OP, 'learningRate', options.learningRate ?? 0.01, 0, Number.MAX_VALUE);
    this.updateEvery = checkInt(OP, 'updateEvery', options.updateEvery ?? 1, 0);
    this.clipNorm = options.clipNorm === undefined ? undefined : checkPositive(OP, 'clipNorm', options.clipNorm);
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(`${OP}: argument \`seed\` expected a safe integer, got ${describe(seed)}`);
    }

    const { inputSize: I, hiddenSize: H, outputSize: O } = this;
    this.#shapes = { weight_ih: [H, I], weight_hh: [H, H], bias_ih: [H], bias_hh: [H], weight_out: [O, H], bias_out: [O] };
    const rng = new Random(seed);
    const bound = 1 / Math.sqrt(H);
    const draw = (name: RtrlParameterName): Float64Array => {
      const a = new Float64Array(this.#size(name));
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.nextFloat() - 1) * bound;
      return a;
    };
    this.#params = {
      weight_ih: draw('weight_ih'),
      weight_hh: draw('weight_hh'),
      bias_ih: draw('bias_ih'),
      bias_hh: draw('bias_hh'),
      weight_out: draw('weight_out'),
      bias_out: draw('bias_out'),
    };
    if (options.init !== undefined) this.#assign(`${OP}: option \`init\``, options.init);

    const n = sensitivityColumns(I, H);
    this.#gradRec = new Float64Array(n);
    this.#gradWeightOut = new Float64Array(O * H);
    this.#gradBiasOut = new Float64Array(O);
    this.#gradSaved = [new Float64Array(n), new Float64Array(O * H), new Float64Array(O)];
    const blank = (name: RtrlParameterName) => new Float64Array(this.#size(name));
    this.#nextParams = {
      weight_ih: blank('weight_ih'),
      weight_hh: blank('weight_hh'),
      bias_ih: blank('bias_ih'),
      bias_hh: blank('bias_hh'),
      weight_out: blank('weight_out'),
      bias_out: blank('bias_out'),
    };
    this.#h = new Float64Array(H);
    this.#hNext = new Float64Array(H);
    this.#sens = new Float64Array(H * n);
    this.#sensNext = new Float64Array(H * n);
    this.#deriv = new Float64Array(H);
    this.#x = new Float64Array(I);
    this.#target = new Float64Array(O);
    this.#gradOut = new Float64Array(O);
    this.#gradH = new Float64Array(H);
  }

  /** The SGD step size used by updates (>= 0); may be changed between steps. */
  get learningRate(): number {
    return this.#learningRate;
  }

  set learningRate(value: number) {
    this.#learningRate = checkNumber(`${OP}.learningRate`, 'learningRate', value, 0, Number.MAX_VALUE);
  }

  /** Steps taken since construction. */
  get steps(): number {
    return this.#steps;
  }

  /** Steps with a target whose gradients are in the accumulator (since the last update or reset). */
  get accumulatedSteps(): number {
    return this.#accumulated;
  }

  /**
   * Advances the network by one input step, carrying the sensitivities forward. With a
   * `target` (see {@link RtrlTarget}), computes L_t, adds dL_t/dθ to the accumulated
   * gradients, and, every `updateEvery` steps, applies them. Without one (`undefined` or
   * `null`), only the state and sensitivities advance (a step without supervision).
   * On a bad argument nothing changes. When the new state, sensitivities, output, loss,
   * gradients or updated parameters would hold a NaN or infinity, nothing changes either
   * (parameters, state, sensitivities, gradients, counters) and {@link NonFiniteError} is
   * thrown.
   */
  step(x: RtrlArray, target?: RtrlTarget | null): RtrlStepResult {
    const op = `${OP}.step`;
    readVector(op, 'x', x, this.inputSize, `[${this.inputSize}] (inputSize)`, this.#x);
    const supervised = target !== undefined && target !== null;
    let classIndex = 0;
    if (supervised) {
      if (this.loss === 'cross-entropy') {
        classIndex = checkInt(op, 'target', target, 0, this.outputSize - 1);
      } else if (typeof target === 'number' && this.outputSize === 1) {
        if (!Number.isFinite(target)) throw new InvalidArgumentError(`${op}: argument \`target\` expected a finite number, got ${describe(target)}`);
        this.#target[0] = target;
      } else {
        readVector(op, 'target', target, this.outputSize, `[${this.outputSize}] (outputSize)`, this.#target);
      }
    }

    // Everything is computed into scratch first (the next state and sensitivities, the
    // output, the gradients on a copy) and committed only once known finite.
    const H = this.hiddenSize;
    const p = this.#params;
    const h = this.#hNext;
    cellStep(p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, this.#x, this.#h, this.nonlinearity, h, this.#deriv);
    notFinite(op, 'the hidden state', h);
    propagateSensitivity(this.#sens, this.#sensNext, p.weight_hh, this.#x, this.#h, this.#deriv, this.#sensZero);
    notFinite(op, 'the sensitivities dh/dθ', this.#sensNext);

    const output = new Float64Array(this.outputSize);
    for (let o = 0; o < this.outputSize; o++) {
      let s = p.bias_out[o]!;
      const row = o * H;
      for (let k = 0; k < H; k++) s += p.weight_out[row + k]! * h[k]!;
      output[o] = s;
    }
    notFinite(op, 'the output', output);

    let loss = 0;
    const due = this.updateEvery > 0 && this.#sinceUpdate + 1 >= this.updateEvery;
    if (supervised || due) this.#saveGradients();
    try {
      if (supervised) {
        const g = this.#gradOut;
        loss = this.loss === 'cross-entropy' ? crossEntropyLoss(output, classIndex, g) : mseLoss(output, this.#target, g);
        if (!Number.isFinite(loss)) throw new NonFiniteError(`${op}: the loss is not finite (${loss})${NOTHING_CHANGED}`);
        // Readout: dW_out += g h^T, db_out += g; and dL_t/dh_t = W_out^T g.
        const gh = this.#gradH.fill(0);
        for (let o = 0; o < this.outputSize; o++) {
          const go = g[o]!;
          if (go === 0) continue;
          this.#gradBiasOut[o] = this.#gradBiasOut[o]! + go;
          const row = o * H;
          for (let k = 0; k < H; k++) {
            this.#gradWeightOut[row + k] = this.#gradWeightOut[row + k]! + go * h[k]!;
            gh[k] = gh[k]! + go * p.weight_out[row + k]!;
          }
        }
        accumulateSensitivityGradient(this.#sensNext, gh, this.#gradRec);
        notFinite(op, 'the accumulated gradients', this.#gradRec, this.#gradWeightOut, this.#gradBiasOut);
      }
      if (due) this.#applyUpdate(op);
    } catch (e) {
      this.#restoreGradients();
      throw e;
    }

    // Commit.
    [this.#h, this.#hNext] = [this.#hNext, this.#h];
    [this.#sens, this.#sensNext] = [this.#sensNext, this.#sens];
    this.#sensZero = false;
    this.#steps++;
    if (due) {
      this.resetGradients();
    } else {
      if (supervised) this.#accumulated++;
      if (this.updateEvery > 0) this.#sinceUpdate++;
    }
    return { loss, output, updated: due };
  }

  /**
   * Applies the accumulated gradients now (SGD with `learningRate`, after clipping their
   * global norm to `clipNorm` if set), then clears them. Returns the global norm before
   * clipping. When the norm or an updated parameter is not finite, nothing changes
   * (parameters and gradients are kept) and {@link NonFiniteError} is thrown.
   */
  update(): number {
    const norm = this.#applyUpdate(`${OP}.update`);
    this.resetGradients();
    return norm;
  }

  /**
   * The SGD update of {@link update} without clearing the gradients: the new values are
   * computed aside and written only when all are finite. Returns the gradient norm.
   */
  #applyUpdate(op: string): number {
    const grads = this.#gradientViews();
    let sq = 0;
    for (const name of RTRL_PARAMETER_NAMES) for (const v of grads[name]) sq += v * v;
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) throw new NonFiniteError(`${op}: the gradient norm is not finite (${norm})${NOTHING_CHANGED}`);
    let scale = this.#learningRate;
    if (this.clipNorm !== undefined && norm > this.clipNorm) scale *= this.clipNorm / norm;
    if (scale === 0) return norm;
    const next = this.#nextParams;
    for (const name of RTRL_PARAMETER_NAMES) {
      const param = this.#params[name];
      const grad = grads[name];
      const out = next[name];
      for (let i = 0; i < param.length; i++) out[i] = param[i]! - scale * grad[i]!;
      notFinite(op, `the updated \`${name}\``, out);
    }
    for (const name of RTRL_PARAMETER_NAMES) {
      [this.#params[name], next[name]] = [next[name], this.#params[name]];
    }
    return norm;
  }

  #saveGradients(): void {
    this.#gradSaved[0]!.set(this.#gradRec);
    this.#gradSaved[1]!.set(this.#gradWeightOut);
    this.#gradSaved[2]!.set(this.#gradBiasOut);
  }

  #restoreGradients(): void {
    this.#gradRec.set(this.#gradSaved[0]!);
    this.#gradWeightOut.set(this.#gradSaved[1]!);
    this.#gradBiasOut.set(this.#gradSaved[2]!);
  }

  /**
   * Copies of the accumulated gradients of the summed loss, by parameter name (bias_ih and
   * bias_hh are always equal: they enter the cell the same way).
   */
  gradients(): Record<RtrlParameterName, Float64Array> {
    const views = this.#gradientViews();
    return {
      weight_ih: views.weight_ih.slice(),
      weight_hh: views.weight_hh.slice(),
      bias_ih: views.bias_ih.slice(),
      bias_hh: views.bias_hh.slice(),
      weight_out: views.weight_out.slice(),
      bias_out: views.bias_out.slice(),
    };
  }

  /** Copies of the parameters, by name, row-major. */
  parameters(): Record<RtrlParameterName, Float64Array> {
    const p = this.#params;
    return {
      weight_ih: p.weight_ih.slice(),
      weight_hh: p.weight_hh.slice(),
      bias_ih: p.bias_ih.slice(),
      bias_hh: p.bias_hh.slice(),
      weight_out: p.weight_out.slice(),
      bias_out: p.bias_out.slice(),
    };
  }

  /** The shape of each parameter. */
  parameterShapes(): Record<RtrlParameterName, readonly number[]> {
    return { ...this.#shapes };
  }

  /**
   * Overwrites the given parameters (row-major, exact shapes; all are checked before any is
   * written). State, sensitivities and accumulated gradients are kept; call
   * {@link RtrlTrainer.resetState} / {@link RtrlTrainer.resetGradients} for a fresh start.
   */
  setParameters(values: RtrlParameterValues): void {
    this.#assign(`${OP}.setParameters`, values);
  }

  /** A copy of the hidden state h_t. */
  hidden(): Float64Array {
    return this.#h.slice();
  }

  /**
   * Starts a new sequence: the state becomes `h0` (H values; default zeros) and the
   * sensitivities zero (h0 is treated as a constant). Gradients are kept.
   */
  resetState(h0?: RtrlArray): void {
    if (h0 === undefined) this.#h.fill(0);
    else readVector(`${OP}.resetState`, 'h0', h0, this.hiddenSize, `[${this.hiddenSize}] (hiddenSize)`, this.#h);
    this.#sens.fill(0);
    this.#sensZero = true;
  }

  /** Clears the accumulated gradients (and restarts the `updateEvery` count). */
  resetGradients(): void {
    this.#gradRec.fill(0);
    this.#gradWeightOut.fill(0);
    this.#gradBiasOut.fill(0);
    this.#accumulated = 0;
    this.#sinceUpdate = 0;
  }

  #size(name: RtrlParameterName): number {
    return this.#shapes[name].reduce((a, b) => a * b, 1);
  }

  /** Views of the accumulated gradients (bias_ih and bias_hh view the same block). */
  #gradientViews(): Record<RtrlParameterName, Float64Array> {
    const { inputSize: I, hiddenSize: H } = this;
    const g = this.#gradRec;
    const bias = g.subarray(H * I + H * H);
    return {
      weight_ih: g.subarray(0, H * I),
      weight_hh: g.subarray(H * I, H * I + H * H),
      bias_ih: bias,
      bias_hh: bias,
      weight_out: this.#gradWeightOut,
      bias_out: this.#gradBiasOut,
    };
  }

  #assign(op: string, values: RtrlParameterValues): void {
    if (typeof values !== 'object' || values === null) {
      throw new InvalidArgumentError(`${op} expected an object of parameter values by name, got ${describe(values)}`);
    }
    const checked: [RtrlParameterName, Float64Array][] = [];
    for (const [key, value] of Object.entries(values)) {
      if (!(RTRL_PARAMETER_NAMES as readonly string[]).includes(key)) {
        throw new InvalidArgumentError(`${op}: no parameter named ${JSON.stringify(key)}; the parameters are ${RTRL_PARAMETER_NAMES.join(', ')}`);
      }
      if (value === undefined) continue;
      const name = key as RtrlParameterName;
      const shape = this.#shapes[name];
      const out = new Float64Array(this.#size(name));
      readVector(op, name, value, out.length, `[${shape.join(', ')}]`, out);
      checked.push([name, out]);
    }
    for (const [name, data] of checked) this.#params[name].set(data);
  }
}

const NOTHING_CHANGED = '; parameters, state, sensitivities and gradients were left as before the step (lower the learning rate, set clipNorm, or resetState())';

/** Throws {@link NonFiniteError} naming `what` and the first index of `arrays` (in order) that is not finite. */
function notFinite(op: string, what: string, ...arrays: Float64Array[]): void {
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) throw new NonFiniteError(`${op}: ${what} would not be finite (${a[i]} at index ${offset + i})${NOTHING_CHANGED}`);
    }
    offset += a.length;
  }
}

function checkPositive(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a finite number > 0, got ${describe(value)}`);
  }
  return value;
}

/** Checks `value` is `length` finite numbers and copies them into `out`. */
function readVector(op: string, name: string, value: unknown, length: number, shape: string, out: Float64Array): void {
  if (!(value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value))) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a Float64Array, Float32Array or number array of shape ${shape}, got ${describe(value)}`);
  }
  const v = value as ArrayLike<unknown>;
  if (v.length !== length) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected shape ${shape} (${length} values), got ${v.length} values`);
  }
  for (let i = 0; i < length; i++) {
    const e = v[i];
    if (typeof e !== 'number' || !Number.isFinite(e)) {
      throw new InvalidArgumentError(`${op}: argument \`${name}\` expected finite numbers, got ${describe(e)} at index ${i}`);
    }
  }
  // Only now write: a bad argument changes nothing.
  for (let i = 0; i < length; i++) out[i] = v[i] as number;
}
