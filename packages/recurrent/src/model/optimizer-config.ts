/**
 * Optimiser settings: the option types, their factories, and the one place where every
 * hyperparameter is checked and given its default. A config may be written by hand, come from
 * a factory or cross a worker boundary, so {@link resolveOptimizerConfig} checks it whole
 * before any state is allocated or any step is taken.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkRange, describe, type Range } from '../validate/index.js';

/** Learning rate as a function of the optimiser step (from 1) and the epoch (from 1). */
export type LearningRateSchedule = (info: { step: number; epoch: number }) => number;

export interface SgdOptions {
  /** Learning rate, a finite number in [0, 1e6] or a schedule returning one. Default `0.1`. */
  lr?: number | LearningRateSchedule;
  /** Momentum factor in [0, 1) (PyTorch semantics: the first step's buffer is the gradient). Default `0`. */
  momentum?: number;
  /** Dampening of the momentum, in [0, 1]. Default `0`. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default `false`. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, in [0, 1e6]. Default `0`. */
  weightDecay?: number;
}

export interface AdamOptions {
  /** Learning rate, a finite number in [0, 1e6] or a schedule returning one. Default `0.001`. */
  lr?: number | LearningRateSchedule;
  /** Decay of the first moment, in [0, 1). Default `0.9`. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default `0.999`. */
  beta2?: number;
  /**
   * Added to the denominator, in (0, 1]. Must be > 0: a parameter whose gradient has always
   * been 0 (an embedding row no batch used) would otherwise get 0 / 0. Default `1e-8`.
   */
  eps?: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay. In [0, 1e6]. Default `0` (Adam), `0.01` (AdamW). */
  weightDecay?: number;
}

export type OptimizerConfig =
  | ({ readonly type: 'sgd' } & SgdOptions)
  | ({ readonly type: 'adam' } & AdamOptions)
  | ({ readonly type: 'adamw' } & AdamOptions);

/** Stochastic gradient descent, with optional (Nesterov) momentum. */
export function sgd(options: SgdOptions = {}): OptimizerConfig {
  return { type: 'sgd', ...options };
}

/** Adam (Kingma & Ba), bias-corrected as torch.optim.Adam. */
export function adam(options: AdamOptions = {}): OptimizerConfig {
  return { type: 'adam', ...options };
}

/** AdamW: Adam with decoupled weight decay (Loshchilov & Hutter). */
export function adamw(options: AdamOptions = {}): OptimizerConfig {
  return { type: 'adamw', ...options };
}

/** A checked config with every default filled in. */
export type ResolvedOptimizerConfig =
  | { type: 'sgd'; lr: number | LearningRateSchedule; momentum: number; dampening: number; nesterov: boolean; weightDecay: number }
  | { type: 'adam' | 'adamw'; lr: number | LearningRateSchedule; beta1: number; beta2: number; eps: number; weightDecay: number };

const LR: Range = { min: 0, max: 1e6 };
const RANGES = {
  momentum: { min: 0, max: 1, maxOpen: true },
  dampening: { min: 0, max: 1 },
  weightDecay: { min: 0, max: 1e6 },
  beta1: { min: 0, max: 1, maxOpen: true },
  beta2: { min: 0, max: 1, maxOpen: true },
  eps: { min: 0, max: 1, minOpen: true },
} as const satisfies Record<string, Range>;

const KEYS = {
  sgd: ['type', 'lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'],
  adam: ['type', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
  adamw: ['type', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
} as const;

/** A learning rate (a configured number, or what a schedule returned): finite, in [0, 1e6]. */
export function checkLearningRate(op: string, name: string, value: unknown): number {
  return checkRange(op, name, value, LR);
}

/**
 * Checks every hyperparameter of `config` (its type, unknown keys, each range, Nesterov's
 * needs) and returns it with the defaults filled in. Throws {@link InvalidArgumentError}
 * naming the first bad one.
 */
export function resolveOptimizerConfig(op: string, config: unknown): ResolvedOptimizerConfig {
  const type = typeof config === 'object' && config !== null ? (config as { type?: unknown }).type : undefined;
  if (type !== 'sgd' && type !== 'adam' && type !== 'adamw') {
    const got = typeof config === 'object' && config !== null ? `type ${describe(type)}` : describe(config);
    throw new InvalidArgumentError(`${op}: expected sgd(), adam() or adamw(), got ${got}`);
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(KEYS[type] as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${op}: unknown ${type} option \`${key}\`; the options are ${KEYS[type].slice(1).join(', ')}`);
    }
  }
  const get = (name: keyof typeof RANGES, fallback: number): number => (c[name] === undefined ? fallback : checkRange(op, name, c[name], RANGES[name]));
  const lr = c['lr'] === undefined ? (type === 'sgd' ? 0.1 : 0.001) : c['lr'];
  if (typeof lr !== 'number' && typeof lr !== 'function') {
    throw new InvalidArgumentError(`${op}: argument \`lr\` expected a number or a schedule function, got ${describe(lr)}`);
  }
  const rate = typeof lr === 'number' ? checkLearningRate(op, 'lr', lr) : (lr as LearningRateSchedule);
  if (type === 'sgd') {
    const momentum = get('momentum', 0);
    const dampening = get('dampening', 0);
    const nesterov = c['nesterov'] === undefined ? false : c['nesterov'];
    if (typeof nesterov !== 'boolean') throw new InvalidArgumentError(`${op}: argument \`nesterov\` expected a boolean, got ${describe(nesterov)}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new InvalidArgumentError(`${op}: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
    }
    return { type, lr: rate, momentum, dampening, nesterov, weightDecay: get('weightDecay', 0) };
  }
  return {
    type,
    lr: rate,
    beta1: get('beta1', 0.9),
    beta2: get('beta2', 0.999),
    eps: get('eps', 1e-8),
    weightDecay: get('weightDecay', type === 'adamw' ? 0.01 : 0),
  };
}
