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
import { checkInt, checkNumber, describe } from '../validate/index.js';
import { crossEntropyLoss, mseLoss, type RtrlLoss } from './loss.js';
import {
  resolveRtrlOptions, type RtrlArray, type RtrlParameterName, type RtrlParameterValues, type RtrlStepResult,
  type RtrlTarget, type RtrlTrainerOptions,
} from './rtrl-options.js';
import { NOTHING_CHANGED, notFinite, readVector, RtrlParameters } from './rtrl-params.js';
import { accumulateSensitivityGradient, cellStep, propagateSensitivity, sensitivityColumns, type Nonlinearity } from './sensitivity.js';

export {
  RTRL_MAX_HIDDEN_SIZE, RTRL_MAX_SENSITIVITY, RTRL_PARAMETER_NAMES, RTRL_NONLINEARITIES, rtrlCost,
  type RtrlParameterName, type RtrlArray, type RtrlParameterValues, type RtrlTrainerOptions, type RtrlTarget, type RtrlStepResult, type RtrlCost,
} from './rtrl-options.js';

const OP = 'RtrlTrainer';

export class RtrlTrainer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly nonlinearity: Nonlinearity;
  readonly loss: RtrlLoss;
  readonly updateEvery: number;
  readonly clipNorm: number | undefined;
  #learningRate: number;

  readonly #params: RtrlParameters;
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
    const o = resolveRtrlOptions(OP, options);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.outputSize = o.outputSize;
    this.nonlinearity = o.nonlinearity;
    this.loss = o.loss;
    this.#learningRate = o.learningRate;
    this.updateEvery = o.updateEvery;
    this.clipNorm = o.clipNorm;
    const { inputSize: I, hiddenSize: H, outputSize: O } = this;
    this.#params = new RtrlParameters(I, H, O, o.seed, o.init, OP);
    const n = sensitivityColumns(I, H);
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
    const params = this.#params;
    const p = params.values;
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
    if (supervised || due) params.saveGradients();
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
          params.gradBiasOut[o] = params.gradBiasOut[o]! + go;
          const row = o * H;
          for (let k = 0; k < H; k++) {
            params.gradWeightOut[row + k] = params.gradWeightOut[row + k]! + go * h[k]!;
            gh[k] = gh[k]! + go * p.weight_out[row + k]!;
          }
        }
        accumulateSensitivityGradient(this.#sensNext, gh, params.gradRec);
        notFinite(op, 'the accumulated gradients', params.gradRec, params.gradWeightOut, params.gradBiasOut);
      }
      if (due) params.applySgd(op, this.#learningRate, this.clipNorm);
    } catch (e) {
      params.restoreGradients();
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
    const norm = this.#params.applySgd(`${OP}.update`, this.#learningRate, this.clipNorm);
    this.resetGradients();
    return norm;
  }

  /**
   * Copies of the accumulated gradients of the summed loss, by parameter name (bias_ih and
   * bias_hh are always equal: they enter the cell the same way).
   */
  gradients(): Record<RtrlParameterName, Float64Array> {
    return this.#params.gradientCopies();
  }

  /** Copies of the parameters, by name, row-major. */
  parameters(): Record<RtrlParameterName, Float64Array> {
    return this.#params.copies();
  }

  /** The shape of each parameter. */
  parameterShapes(): Record<RtrlParameterName, readonly number[]> {
    return { ...this.#params.shapes };
  }

  /**
   * Overwrites the given parameters (row-major, exact shapes; all are checked before any is
   * written). State, sensitivities and accumulated gradients are kept; call
   * {@link RtrlTrainer.resetState} / {@link RtrlTrainer.resetGradients} for a fresh start.
   */
  setParameters(values: RtrlParameterValues): void {
    this.#params.assign(`${OP}.setParameters`, values);
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
    this.#params.clearGradients();
    this.#accumulated = 0;
    this.#sinceUpdate = 0;
  }
}
