/**
 * One optimisation step, the same for every task: zero the gradients, run forward and
 * backward (the task's part), take the global gradient norm, refuse a non-finite loss or
 * norm, scale for clipping, apply the optimiser; when anything fails, put back what the step
 * changed (the carried states, the dropout seed counter; the optimiser undoes its own update)
 * and rethrow, so a failed step changes nothing. See docs/ARCHITECTURE.md, "Data flow of one training step".
 */
import type { Engine } from '../engine/engine.js';
import { NonFiniteError } from '../errors.js';
import type { Optimizer } from '../model/optimizers.js';
import type { ParamGroup } from '../model/param.js';
import type { LayerState } from '../model/recurrent-layer.js';
import type { Measured } from './heads.js';

/** What one training step measured. */
export interface StepResult extends Measured {
  /** Global L2 norm of all gradients before clipping. */
  gradNorm: number;
  /** Factor applied to the gradients (1 when not clipped). */
  clipScale: number;
}

/**
 * The dropout seeds of a model's training steps: one per step, a hash of the model's seed
 * and the step count, so a run is reproducible and a failed step can be replayed.
 */
export class SeedSequence {
  #count = 0;

  constructor(readonly base: number) {}

  /** The next step's seed. */
  next(): number {
    return (this.base * 2654435761 + this.#count++) >>> 0;
  }

  /** Takes back the last {@link SeedSequence.next} (its step failed: the next one replaces it). */
  rewind(): void {
    this.#count--;
  }
}

/** What {@link optimizationStep} needs. */
export interface StepPlan {
  /** Every parameter group the step updates (and whose gradients it zeroes and measures). */
  readonly groups: readonly ParamGroup[];
  readonly engine: Engine;
  /** Checked: an optimiser over exactly `groups`. */
  readonly optimizer: Optimizer;
  /** Checked: a threshold > 0, or undefined / Infinity for no clipping. */
  readonly clipNorm: number | undefined;
  /** For the learning-rate schedule. */
  readonly epoch: number;
  readonly seeds: SeedSequence;
  /** States the forward pass overwrites (carried between batches), restored if the step fails. */
  readonly states?: readonly LayerState[] | undefined;
  /** Forward and backward with this step's dropout seed, accumulating into the (zeroed) gradients. */
  run(seed: number): Measured;
}

/** Sets the gradients of `groups` to zero. */
export function zeroGradients(groups: readonly ParamGroup[]): void {
  for (const g of groups) g.grad.view().fill(0);
}

/**
 * One optimisation step (`op` names the caller in errors). A loss or gradient norm that is not
 * finite, or an update that would leave a non-finite parameter or optimiser value, changes
 * nothing and throws {@link NonFiniteError}.
 */
export function optimizationStep(op: string, plan: StepPlan): StepResult {
  const saved = plan.states && saveStates(plan.states);
  const seed = plan.seeds.next();
  try {
    zeroGradients(plan.groups);
    const m = plan.run(seed);
    // One wasm call over every group (the optimiser's groups are the plan's).
    const gradNorm = plan.optimizer.gradientNorm();
    if (!Number.isFinite(m.loss) || !Number.isFinite(gradNorm)) {
      throw new NonFiniteError(`${op}: the ${Number.isFinite(m.loss) ? 'gradient norm' : 'loss'} is not finite (loss ${m.loss}, gradient norm ${gradNorm}); parameters were not updated`);
    }
    const clip = plan.clipNorm;
    const clipScale = clip !== undefined && Number.isFinite(clip) && gradNorm > clip ? clip / gradNorm : 1;
    plan.optimizer.apply(clipScale, plan.epoch);
    return { loss: m.loss, count: m.count, correct: m.correct, weight: m.weight, gradNorm, clipScale };
  } catch (e) {
    // A failed step is as if it had not been taken: the next one gets this seed again.
    plan.seeds.rewind();
    saved?.();
    throw e;
  }
}

/** Copies of `states` (in the JS heap) and the function that writes them back. */
function saveStates(states: readonly LayerState[]): () => void {
  const copies = states.map((s) => ({ h: s.h.map((b) => b.read()), c: s.c.map((b) => b.read()), hist: s.hist.map((b) => b.read()) }));
  return () =>
    states.forEach((s, i) => {
      s.h.forEach((b, l) => b.write(copies[i]!.h[l]!));
      s.c.forEach((b, l) => b.write(copies[i]!.c[l]!));
      s.hist.forEach((b, l) => b.write(copies[i]!.hist[l]!));
    });
}
