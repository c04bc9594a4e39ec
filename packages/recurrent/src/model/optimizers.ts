/**
 * Optimisers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW), run in wasm over
 * every parameter group in one call (a {@link ParamSet}). The learning rate is a number or a
 * schedule called before each step. A step that would leave a non-finite parameter or
 * optimiser value writes nothing (the core checks the new values before writing) and throws.
 */
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { checkLearningRate, type OptimizerConfig, resolveOptimizerConfig, type ResolvedOptimizerConfig } from './optimizer-config.js';
import { type ParamGroup, ParamSet } from './param.js';

export { sgd, adam, adamw } from './optimizer-config.js';
export type { SgdOptions, AdamOptions, OptimizerConfig, LearningRateSchedule } from './optimizer-config.js';

/** The running state of an optimiser over a model's parameter groups. */
export class Optimizer {
  /** Steps taken so far. */
  step = 0;
  readonly #resolved: ResolvedOptimizerConfig;
  readonly #state: Float32Buffer[][];
  /** The groups and this optimiser's state behind one handle: one wasm call per step. */
  readonly #set: ParamSet;

  constructor(
    readonly config: OptimizerConfig,
    private readonly groups: readonly ParamGroup[],
    private readonly engine: Engine,
  ) {
    const op = 'optimizer';
    if (!Array.isArray(groups)) throw new InvalidArgumentError(`${op}: argument \`groups\` expected model.groups(), got ${String(groups)}`);
    this.#resolved = resolveOptimizerConfig(op, config);
    const r = this.#resolved;
    const slots = r.type === 'sgd' ? (r.momentum > 0 ? 1 : 0) : 2;
    this.#state = groups.map((g) => Array.from({ length: slots }, () => new Float32Buffer(g.value.length)));
    try {
      const bySlot = Array.from({ length: slots }, (_, k) => this.#state.map((list) => list[k]!));
      this.#set = new ParamSet(groups, engine, bySlot);
    } catch (e) {
      for (const list of this.#state) for (const b of list) b.dispose();
      throw e;
    }
  }

  /** @internal Whether this optimiser updates exactly `groups` (a model's parameter groups). */
  covers(groups: readonly ParamGroup[]): boolean {
    return groups.length === this.groups.length && groups.every((g, i) => g.value === this.groups[i]!.value);
  }

  /** The learning rate the next step will use. */
  learningRate(epoch: number): number {
    const lr = this.#resolved.lr;
    return typeof lr === 'function' ? checkLearningRate('optimizer', 'lr (from the schedule)', lr({ step: this.step + 1, epoch })) : lr;
  }

  /**
   * The global L2 norm of the gradients of every group this optimiser updates (what
   * global-norm clipping compares with its threshold): one wasm call, whatever the number of
   * groups.
   */
  gradientNorm(): number {
    return Math.sqrt(this.#set.gradSumOfSquares());
  }

  /**
   * Updates every group with its gradient times `gradScale` (the clipping factor), in one wasm
   * call. When the update would leave a NaN or infinity in a parameter or in the optimiser's
   * state (an overflow), the core writes nothing, the step count stays, and
   * {@link NonFiniteError} is thrown.
   */
  apply(gradScale: number, epoch: number): void {
    const lr = this.learningRate(epoch);
    const r = this.#resolved;
    const step = this.step + 1;
    const set = this.#set.handle;
    const bad = this.engine.call((w) =>
      r.type === 'sgd'
        ? w.optim_step_sgd(set, step, lr, r.momentum, r.dampening, r.nesterov, r.weightDecay, gradScale)
        : w.optim_step_adam(set, step, lr, r.beta1, r.beta2, r.eps, r.weightDecay, gradScale, r.type === 'adamw'),
    );
    if (bad >= 0) {
      throw new NonFiniteError(
        `optimizer: ${r.type} step ${step} (lr ${lr}) would leave a non-finite value in parameter group ${bad} (of ${this.groups.length}) or its optimiser state; ` +
          'the step was not applied: parameters and optimiser state are as they were before it (nothing had to be restored: nothing was written)',
      );
    }
    this.step = step;
  }

  dispose(): void {
    this.#set.dispose();
    for (const list of this.#state) for (const b of list) b.dispose();
  }
}
