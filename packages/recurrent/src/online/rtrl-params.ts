/**
 * The parameters of an `RtrlTrainer` and their accumulated gradients, float64: the
 * seeded initialisation, checked assignment, and the plain SGD update with global-norm
 * clipping, which computes the new values aside and swaps them in only when all are finite.
 */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { Random } from '../data/random.js';
import { checkVector, describe } from '../validate/index.js';
import { RTRL_PARAMETER_NAMES, type RtrlArray, type RtrlParameterName, type RtrlParameterValues } from './rtrl-options.js';
import { sensitivityColumns } from './sensitivity.js';

/** What every NonFiniteError of the trainer adds: nothing was changed. */
export const NOTHING_CHANGED = '; parameters, state, sensitivities and gradients were left as before the step (lower the learning rate, set clipNorm, or resetState())';

/** Throws {@link NonFiniteError} naming `what` and the first index of `arrays` (in order) that is not finite. */
export function notFinite(op: string, what: string, ...arrays: Float64Array[]): void {
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) throw new NonFiniteError(`${op}: ${what} would not be finite (${a[i]} at index ${offset + i})${NOTHING_CHANGED}`);
    }
    offset += a.length;
  }
}

/** Checks `value` is `length` finite numbers (a Float64Array, Float32Array or number array) and copies them into `out`. */
export function readVector(op: string, name: string, value: unknown, length: number, shape: string, out: Float64Array): void {
  // Checked whole before anything is written: a bad argument changes nothing.
  out.set(checkVector(op, name, value, length, shape, [Float64Array, Float32Array]));
}

export class RtrlParameters {
  readonly shapes: Readonly<Record<RtrlParameterName, readonly number[]>>;
  readonly values: Record<RtrlParameterName, Float64Array>;
  /** Gradient of the recurrent parameters in sensitivity-column order: W_ih | W_hh | b. */
  readonly gradRec: Float64Array;
  readonly gradWeightOut: Float64Array;
  readonly gradBiasOut: Float64Array;
  /** The accumulated gradients before the current step, to undo a step that was not finite. */
  readonly #gradSaved: Float64Array[];
  /** Where an update writes the new parameters before they are known finite (swapped in). */
  readonly #next: Record<RtrlParameterName, Float64Array>;

  /**
   * Every parameter uniform in [-1/sqrt(H), 1/sqrt(H)] from `seed` (PyTorch's default for
   * `nn.RNNCell` and `nn.Linear(H, O)`), drawn in the order of {@link RTRL_PARAMETER_NAMES},
   * then `init` (checked, as option `init`) over them.
   */
  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly outputSize: number, seed: number, init: RtrlParameterValues | undefined, op: string) {
    const [I, H, O] = [inputSize, hiddenSize, outputSize];
    this.shapes = { weight_ih: [H, I], weight_hh: [H, H], bias_ih: [H], bias_hh: [H], weight_out: [O, H], bias_out: [O] };
    const rng = new Random(seed);
    const bound = 1 / Math.sqrt(H);
    this.values = this.#each((size) => {
      const a = new Float64Array(size);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.nextFloat() - 1) * bound;
      return a;
    });
    if (init !== undefined) this.assign(`${op}: option \`init\``, init);
    const n = sensitivityColumns(I, H);
    this.gradRec = new Float64Array(n);
    this.gradWeightOut = new Float64Array(O * H);
    this.gradBiasOut = new Float64Array(O);
    this.#gradSaved = [new Float64Array(n), new Float64Array(O * H), new Float64Array(O)];
    this.#next = this.#each((size) => new Float64Array(size));
  }

  /** One array per parameter, in name order, from its size. */
  #each(make: (size: number, name: RtrlParameterName) => Float64Array): Record<RtrlParameterName, Float64Array> {
    const out = {} as Record<RtrlParameterName, Float64Array>;
    for (const name of RTRL_PARAMETER_NAMES) out[name] = make(this.size(name), name);
    return out;
  }

  size(name: RtrlParameterName): number {
    return this.shapes[name].reduce((a, b) => a * b, 1);
  }

  /** Views of the accumulated gradients (bias_ih and bias_hh view the same block). */
  gradientViews(): Record<RtrlParameterName, Float64Array> {
    const { inputSize: I, hiddenSize: H } = this;
    const g = this.gradRec;
    const bias = g.subarray(H * I + H * H);
    return {
      weight_ih: g.subarray(0, H * I),
      weight_hh: g.subarray(H * I, H * I + H * H),
      bias_ih: bias,
      bias_hh: bias,
      weight_out: this.gradWeightOut,
      bias_out: this.gradBiasOut,
    };
  }

  /** Copies of the parameters, by name. */
  copies(): Record<RtrlParameterName, Float64Array> {
    return this.#each((_, name) => this.values[name].slice());
  }

  /** Copies of the accumulated gradients, by name. */
  gradientCopies(): Record<RtrlParameterName, Float64Array> {
    const views = this.gradientViews();
    return this.#each((_, name) => views[name].slice());
  }

  saveGradients(): void {
    this.#gradSaved[0]!.set(this.gradRec);
    this.#gradSaved[1]!.set(this.gradWeightOut);
    this.#gradSaved[2]!.set(this.gradBiasOut);
  }

  restoreGradients(): void {
    this.gradRec.set(this.#gradSaved[0]!);
    this.gradWeightOut.set(this.#gradSaved[1]!);
    this.gradBiasOut.set(this.#gradSaved[2]!);
  }

  clearGradients(): void {
    this.gradRec.fill(0);
    this.gradWeightOut.fill(0);
    this.gradBiasOut.fill(0);
  }

  /**
   * The SGD update with the accumulated gradients (their global norm clipped to `clipNorm`
   * first), without clearing them: the new values are computed aside and swapped in only
   * when all are finite. Returns the gradient norm before clipping.
   */
  applySgd(op: string, learningRate: number, clipNorm: number | undefined): number {
    const grads = this.gradientViews();
    let sq = 0;
    for (const name of RTRL_PARAMETER_NAMES) for (const v of grads[name]) sq += v * v;
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) throw new NonFiniteError(`${op}: the gradient norm is not finite (${norm})${NOTHING_CHANGED}`);
    let scale = learningRate;
    if (clipNorm !== undefined && norm > clipNorm) scale *= clipNorm / norm;
    if (scale === 0) return norm;
    for (const name of RTRL_PARAMETER_NAMES) {
      const param = this.values[name];
      const grad = grads[name];
      const out = this.#next[name];
      for (let i = 0; i < param.length; i++) out[i] = param[i]! - scale * grad[i]!;
      notFinite(op, `the updated \`${name}\``, out);
    }
    for (const name of RTRL_PARAMETER_NAMES) [this.values[name], this.#next[name]] = [this.#next[name], this.values[name]];
    return norm;
  }

  /** Overwrites the given parameters (row-major, exact shapes); all are checked before any is written. */
  assign(op: string, values: RtrlParameterValues): void {
    if (typeof values !== 'object' || values === null) {
      throw new InvalidArgumentError(`${op} expected an object of parameter values by name, got ${describe(values)}`);
    }
    const checked: [RtrlParameterName, Float64Array][] = [];
    for (const [key, value] of Object.entries(values) as [string, RtrlArray | undefined][]) {
      if (!(RTRL_PARAMETER_NAMES as readonly string[]).includes(key)) {
        throw new InvalidArgumentError(`${op}: no parameter named ${JSON.stringify(key)}; the parameters are ${RTRL_PARAMETER_NAMES.join(', ')}`);
      }
      if (value === undefined) continue;
      const name = key as RtrlParameterName;
      const out = new Float64Array(this.size(name));
      readVector(op, name, value, out.length, `[${this.shapes[name].join(', ')}]`, out);
      checked.push([name, out]);
    }
    for (const [name, data] of checked) this.values[name].set(data);
  }
}
