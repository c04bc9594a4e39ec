/**
 * Optimisers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW), run in wasm over
 * each parameter group. The learning rate is a number or a schedule called before each step.
 */
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError } from '../errors.js';
import { checkNumber, describe } from '../core/validate.js';
import { Float32Buffer } from '../tensor/buffer.js';
import type { ParamGroup } from './param.js';

/** Learning rate as a function of the optimiser step (from 1) and the epoch (from 0). */
export type LearningRateSchedule = (info: { step: number; epoch: number }) => number;

export interface SgdOptions {
  /** Learning rate. Default `0.1`. */
  lr?: number | LearningRateSchedule;
  /** Momentum factor (PyTorch semantics: the first step's buffer is the gradient). Default `0`. */
  momentum?: number;
  /** Dampening of the momentum. Default `0`. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default `false`. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient. Default `0`. */
  weightDecay?: number;
}

export interface AdamOptions {
  /** Learning rate. Default `0.001`. */
  lr?: number | LearningRateSchedule;
  /** Decay of the first moment. Default `0.9`. */
  beta1?: number;
  /** Decay of the second moment. Default `0.999`. */
  beta2?: number;
  /** Added to the denominator. Default `1e-8`. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay. Default `0` (Adam), `0.01` (AdamW). */
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

/** The running state of an optimiser over a model's parameter groups. */
export class Optimizer {
  /** Steps taken so far. */
  step = 0;
  readonly #state: Float32Buffer[][];

  constructor(
    readonly config: OptimizerConfig,
    private readonly groups: readonly ParamGroup[],
    private readonly engine: Engine,
  ) {
    const op = 'optimizer';
    if (!Array.isArray(groups)) throw new InvalidArgumentError(`${op}: argument \`groups\` expected model.groups(), got ${String(groups)}`);
    if (!config || !['sgd', 'adam', 'adamw'].includes(config.type)) {
      const type = typeof config === 'object' && config !== null ? `type ${describe((config as { type?: unknown }).type)}` : describe(config);
      throw new InvalidArgumentError(`${op}: expected sgd(), adam() or adamw(), got ${type}`);
    }
    if (config.type === 'sgd') {
      checkNumber(op, 'momentum', config.momentum ?? 0, 0, 1e6);
      checkNumber(op, 'dampening', config.dampening ?? 0, -1e6, 1e6);
      if (config.nesterov && ((config.momentum ?? 0) <= 0 || (config.dampening ?? 0) !== 0)) {
        throw new InvalidArgumentError(`${op}: Nesterov momentum needs momentum > 0 and dampening 0`);
      }
    } else {
      checkNumber(op, 'beta1', config.beta1 ?? 0.9, 0, 0.999999);
      checkNumber(op, 'beta2', config.beta2 ?? 0.999, 0, 0.999999);
      checkNumber(op, 'eps', config.eps ?? 1e-8, 0, 1);
    }
    checkNumber(op, 'weightDecay', config.weightDecay ?? 0, 0, 1e6);
    if (typeof config.lr === 'number') checkNumber(op, 'lr', config.lr, 0, 1e6);
    else if (config.lr !== undefined && typeof config.lr !== 'function') {
      throw new InvalidArgumentError(`${op}: argument \`lr\` expected a number or a schedule function, got ${typeof config.lr}`);
    }
    const slots = config.type === 'sgd' ? ((config.momentum ?? 0) > 0 ? 1 : 0) : 2;
    this.#state = groups.map((g) => Array.from({ length: slots }, () => new Float32Buffer(g.value.length)));
  }

  /** @internal Whether this optimiser updates exactly `groups` (a model's parameter groups). */
  covers(groups: readonly ParamGroup[]): boolean {
    return groups.length === this.groups.length && groups.every((g, i) => g.value === this.groups[i]!.value);
  }

  /** The learning rate the next step will use. */
  learningRate(epoch: number): number {
    const fallback = this.config.type === 'sgd' ? 0.1 : 0.001;
    const lr = this.config.lr ?? fallback;
    const value = typeof lr === 'function' ? lr({ step: this.step + 1, epoch }) : lr;
    return checkNumber('optimizer', 'lr (from the schedule)', value, 0, 1e6);
  }

  /** Updates every group with its gradient times `gradScale` (the clipping factor). */
  apply(gradScale: number, epoch: number): void {
    const lr = this.learningRate(epoch);
    this.step++;
    const c = this.config;
    this.groups.forEach((g, i) => {
      const [p, gr] = [g.value.liveHandle(), g.grad.liveHandle()];
      const s = this.#state[i]!;
      this.engine.call((w) => {
        if (c.type === 'sgd') {
          if (s.length === 0) w.optim_sgd(p, gr, lr, c.weightDecay ?? 0, gradScale);
          else w.optim_momentum(p, gr, s[0]!.liveHandle(), this.step, lr, c.momentum ?? 0, c.dampening ?? 0, c.nesterov ?? false, c.weightDecay ?? 0, gradScale);
        } else {
          const wd = c.weightDecay ?? (c.type === 'adamw' ? 0.01 : 0);
          w.optim_adam(p, gr, s[0]!.liveHandle(), s[1]!.liveHandle(), this.step, lr, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8, wd, gradScale, c.type === 'adamw');
        }
      });
    });
  }

  dispose(): void {
    for (const list of this.#state) for (const b of list) b.dispose();
  }
}
