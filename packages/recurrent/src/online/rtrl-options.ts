/**
 * The vocabulary of `RtrlTrainer`: its limits, parameter names, option and result types,
 * the cost of a shape, and the checking of its options (each with its default).
 */
import { InvalidArgumentError } from '../errors.js';
import { checkClipNorm, checkInt, checkKnownKeys, checkNumber, checkObject, checkOneOf, describe } from '../validate/index.js';
import { RTRL_LOSSES, type RtrlLoss } from './loss.js';
import { sensitivityColumns, type Nonlinearity } from './sensitivity.js';

/** The largest `hiddenSize` an `RtrlTrainer` accepts (RTRL costs O(H^4) per step). */
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

/** Options of `RtrlTrainer`. */
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
   * applies it by itself (call `RtrlTrainer.update`). Default `1`.
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

/** What `RtrlTrainer.step` returns. */
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

/** The cost of one RTRL step for this shape (what the limits of `RtrlTrainer` bound). */
export function rtrlCost(shape: { inputSize: number; hiddenSize: number; outputSize?: number }): RtrlCost {
  const { inputSize: i, hiddenSize: h } = shape;
  const o = shape.outputSize ?? 1;
  const n = sensitivityColumns(i, h);
  return { sensitivityValues: h * n, multiplyAddsPerStep: h * h * n + 2 * h * n + h * (i + h) + 2 * o * h };
}

/** Every option of `RtrlTrainer`, checked, with its default filled in. */
export interface ResolvedRtrlOptions {
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  nonlinearity: Nonlinearity;
  loss: RtrlLoss;
  learningRate: number;
  updateEvery: number;
  clipNorm: number | undefined;
  seed: number;
  init: RtrlParameterValues | undefined;
}

const OPTION_KEYS: readonly string[] = [
  'inputSize', 'hiddenSize', 'outputSize', 'nonlinearity', 'loss', 'learningRate', 'updateEvery', 'clipNorm', 'seed', 'init',
];

/** Checks the options of an `RtrlTrainer` (`op` names it) and fills in the defaults. */
export function resolveRtrlOptions(op: string, options: unknown): ResolvedRtrlOptions {
  checkObject(op, 'options', options, 'an options object');
  checkKnownKeys(op, options as object, OPTION_KEYS);
  const o = options as RtrlTrainerOptions;
  const inputSize = checkInt(op, 'inputSize', o.inputSize, 1, 1 << 20);
  const h = o.hiddenSize;
  if (typeof h === 'number' && Number.isInteger(h) && h > RTRL_MAX_HIDDEN_SIZE) {
    throw new InvalidArgumentError(
      `${op}: argument \`hiddenSize\` is ${h}, above RTRL_MAX_HIDDEN_SIZE (${RTRL_MAX_HIDDEN_SIZE}): ` +
        `RTRL costs O(H^4) time and O(H^3) memory per step; train larger models with BPTT (RecurrentStack)`,
    );
  }
  const hiddenSize = checkInt(op, 'hiddenSize', h, 1, RTRL_MAX_HIDDEN_SIZE);
  const outputSize = checkInt(op, 'outputSize', o.outputSize, 1, 1 << 20);
  const cost = rtrlCost({ inputSize, hiddenSize, outputSize });
  if (cost.sensitivityValues > RTRL_MAX_SENSITIVITY) {
    throw new InvalidArgumentError(
      `${op}: inputSize ${inputSize} with hiddenSize ${hiddenSize} needs a sensitivity matrix of ` +
        `${cost.sensitivityValues} values, above RTRL_MAX_SENSITIVITY (${RTRL_MAX_SENSITIVITY}); reduce inputSize or hiddenSize`,
    );
  }
  const nonlinearity = checkOneOf(op, 'nonlinearity', o.nonlinearity ?? 'tanh', RTRL_NONLINEARITIES);
  const loss = checkOneOf(op, 'loss', o.loss ?? 'mse', RTRL_LOSSES);
  if (loss === 'cross-entropy' && outputSize < 2) {
    throw new InvalidArgumentError(`${op}: loss 'cross-entropy' needs outputSize >= 2 (one logit per class), got ${outputSize}`);
  }
  const learningRate = checkNumber(op, 'learningRate', o.learningRate ?? 0.01, 0, Number.MAX_VALUE);
  const updateEvery = checkInt(op, 'updateEvery', o.updateEvery ?? 1, 0);
  const clipNorm = checkClipNorm(op, o.clipNorm);
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(`${op}: argument \`seed\` expected a safe integer, got ${describe(seed)}`);
  }
  return { inputSize, hiddenSize, outputSize, nonlinearity, loss, learningRate, updateEvery, clipNorm, seed, init: o.init };
}
