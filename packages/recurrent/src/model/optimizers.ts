/**
 * Optimisers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW), run in wasm over
 * each parameter group. The learning rate is a number or a schedule called before each step.
 * A step that would leave a non-finite parameter or optimiser value is undone and throws.
 */
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { checkLearningRate, type OptimizerConfig, resolveOptimizerConfig, type ResolvedOptimizerConfig } from './optimizer-config.js';
import type { ParamGroup } from './param.js';

export { sgd, adam, adamw } from './optimizer-config.js';
export type { SgdOptions, AdamOptions, OptimizerConfig, LearningRateSchedule } from './optimizer-config.js';

/** The running state of an optimiser over a model's parameter groups. */
export class Optimizer {
  /** Steps taken so far. */
  step = 0;
  readonly #resolved: ResolvedOptimizerConfig;
  readonly #state: Float32Buffer[][];
  /**
   * Copies of every parameter and state buffer taken before each step (in the JS heap, so
   * they cost no wasm memory), to undo a step that left a non-finite value. Allocated at the
   * first step and reused.
   */
  #saved: Float32Array[][] | undefined;

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
   * Updates every group with its gradient times `gradScale` (the clipping factor). When the
   * update leaves a NaN or infinity in a parameter or in the optimiser's state (an overflow),
   * every parameter, the state and the step count are put back as they were and
   * {@link NonFiniteError} is thrown.
   */
  apply(gradScale: number, epoch: number): void {
    const lr = this.learningRate(epoch);
    const buffers = this.groups.map((g, i) => [g.value, ...this.#state[i]!]);
    const saved = (this.#saved ??= buffers.map((list) => list.map((b) => new Float32Array(b.length))));
    buffers.forEach((list, i) => list.forEach((b, k) => saved[i]![k]!.set(b.view())));
    this.step++;
    const r = this.#resolved;
    this.groups.forEach((g, i) => {
      const [p, gr] = [g.value.liveHandle(), g.grad.liveHandle()];
      const s = this.#state[i]!;
      this.engine.call((w) => {
        if (r.type === 'sgd') {
          if (s.length === 0) w.optim_sgd(p, gr, lr, r.weightDecay, gradScale);
          else w.optim_momentum(p, gr, s[0]!.liveHandle(), this.step, lr, r.momentum, r.dampening, r.nesterov, r.weightDecay, gradScale);
        } else {
          w.optim_adam(p, gr, s[0]!.liveHandle(), s[1]!.liveHandle(), this.step, lr, r.beta1, r.beta2, r.eps, r.weightDecay, gradScale, r.type === 'adamw');
        }
      });
    });
    const bad = buffers.findIndex((list) => list.some((b) => !this.engine.call((w) => w.all_finite(b.liveHandle()))));
    if (bad >= 0) {
      buffers.forEach((list, i) => list.forEach((b, k) => b.view().set(saved[i]![k]!)));
      this.step--;
      throw new NonFiniteError(
        `optimizer: ${r.type} step ${this.step + 1} (lr ${lr}) left a non-finite value in parameter group ${bad} (of ${buffers.length}) or its optimiser state; ` +
          'parameters and optimiser state were restored to their values before the step',
      );
    }
  }

  dispose(): void {
    for (const list of this.#state) for (const b of list) b.dispose();
    this.#saved = undefined;
  }
}
