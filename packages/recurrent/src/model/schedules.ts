/**
 * Built-in learning-rate schedules, as `lr` of `sgd`, `adam` and `adamw`: step decay and
 * exponential decay per epoch (PyTorch's `StepLR`, `ExponentialLR`), cosine decay with linear
 * warm-up per step (the transformers schedule), and reduce-on-plateau (PyTorch's
 * `ReduceLROnPlateau`, mode 'min', relative threshold), which `fit` feeds the monitored loss
 * after each epoch. Epochs are counted from 1, as everywhere (the first runs at the base rate).
 */
import { checkInt, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkPositive } from '../validate/index.js';
import type { LearningRateSchedule } from './optimizer-config.js';

/**
 * `f`, serialised as its name and options: `fit` keeps a model's optimiser (and its state)
 * between calls only when its config serialises the same, and the source text of these
 * closures is the same whatever their options.
 */
function named<F extends LearningRateSchedule>(name: string, options: object, f: F): F {
  return Object.assign(f, { toJSON: () => ({ schedule: { name, ...options } }) });
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** The rate of the first `stepSize` epochs. */
  lr: number;
  /** Epochs between decays. */
  stepSize: number;
  /** Factor per decay. Default `0.1`. */
  gamma?: number;
}

/** `lr * gamma^floor((epoch - 1) / stepSize)`. */
export function stepDecay(o: StepDecayOptions): LearningRateSchedule {
  const op = 'stepDecay';
  checkObject(op, 'options', o, 'an options object { lr, stepSize, gamma }');
  checkKnownKeys(op, o, ['lr', 'stepSize', 'gamma'], { step_size: '`stepSize`' });
  const [lr, size, gamma] = [checkPositive(op, 'lr', o.lr), checkInt(op, 'stepSize', o.stepSize, 1), checkNumber(op, 'gamma', o.gamma ?? 0.1, 0, 1e6)];
  return named(op, o, ({ epoch }) => lr * gamma ** Math.floor((epoch - 1) / size));
}

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  lr: number;
  /** Factor per epoch. */
  gamma: number;
}

/** `lr * gamma^(epoch - 1)`. */
export function exponentialDecay(o: ExponentialDecayOptions): LearningRateSchedule {
  const op = 'exponentialDecay';
  checkObject(op, 'options', o, 'an options object { lr, gamma }');
  checkKnownKeys(op, o, ['lr', 'gamma']);
  const [lr, gamma] = [checkPositive(op, 'lr', o.lr), checkNumber(op, 'gamma', o.gamma, 0, 1e6)];
  return named(op, o, ({ epoch }) => lr * gamma ** (epoch - 1));
}

/** Options of {@link cosineWithWarmup}. */
export interface CosineWarmupOptions {
  /** The peak rate, reached after the warm-up. */
  lr: number;
  /** Optimiser steps of linear warm-up from 0. Default `0`. */
  warmupSteps?: number;
  /** Steps from the start to the end of the decay; later steps stay at `minLr`. */
  totalSteps: number;
  /** The rate at the end. Default `0`. */
  minLr?: number;
}

/** Linear warm-up over `warmupSteps` steps, then half a cosine from `lr` down to `minLr` at `totalSteps`. */
export function cosineWithWarmup(o: CosineWarmupOptions): LearningRateSchedule {
  const op = 'cosineWithWarmup';
  checkObject(op, 'options', o, 'an options object { lr, warmupSteps, totalSteps, minLr }');
  checkKnownKeys(op, o, ['lr', 'warmupSteps', 'totalSteps', 'minLr'], { num_warmup_steps: '`warmupSteps`', num_training_steps: '`totalSteps`' });
  const lr = checkPositive(op, 'lr', o.lr);
  const warm = checkInt(op, 'warmupSteps', o.warmupSteps ?? 0, 0);
  const total = checkInt(op, 'totalSteps', o.totalSteps, warm + 1);
  const min = checkNumber(op, 'minLr', o.minLr ?? 0, 0, lr);
  // `step` counts from 1: step s runs at the rate for s - 1 steps done (as PyTorch's LambdaLR).
  return named(op, o, ({ step }) => {
    const done = step - 1;
    if (done < warm) return (lr * done) / warm;
    const progress = Math.min(1, (done - warm) / (total - warm));
    return min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  });
}

/** Options of {@link reduceOnPlateau}. */
export interface PlateauOptions {
  lr: number;
  /** Factor of each reduction. Default `0.1`. */
  factor?: number;
  /** Epochs without improvement before reducing. Default `10`. */
  patience?: number;
  /** Relative improvement that counts (loss < best * (1 - threshold)). Default `1e-4`. */
  threshold?: number;
  /** Epochs to wait after a reduction before counting again. Default `0`. */
  cooldown?: number;
  /** Lowest rate. Default `0`. */
  minLr?: number;
}

/** A schedule that `fit` tells the monitored loss after each epoch. */
export interface PlateauSchedule extends LearningRateSchedule {
  /** Records an epoch's monitored loss (called by `fit`); returns the rate from now on. */
  epochEnd(loss: number): number;
}

/** Multiplies the rate by `factor` when the monitored loss has not improved for `patience` epochs. */
export function reduceOnPlateau(o: PlateauOptions): PlateauSchedule {
  const op = 'reduceOnPlateau';
  checkObject(op, 'options', o, 'an options object { lr, factor, patience, threshold, cooldown, minLr }');
  checkKnownKeys(op, o, ['lr', 'factor', 'patience', 'threshold', 'cooldown', 'minLr'], { min_lr: '`minLr`' });
  let lr = checkPositive(op, 'lr', o.lr);
  const factor = checkNumber(op, 'factor', o.factor ?? 0.1, 0, 0.999999);
  const patience = checkInt(op, 'patience', o.patience ?? 10, 0);
  const threshold = checkNumber(op, 'threshold', o.threshold ?? 1e-4, 0, 1);
  const cooldown = checkInt(op, 'cooldown', o.cooldown ?? 0, 0);
  const minLr = checkNumber(op, 'minLr', o.minLr ?? 0, 0, lr);
  let best = Number.POSITIVE_INFINITY;
  let bad = 0;
  let cooling = 0;
  const schedule = named(op, o, (() => lr) as unknown as PlateauSchedule);
  schedule.epochEnd = (loss: number) => {
    if (loss < best * (1 - threshold)) {
      best = loss;
      bad = 0;
    } else bad++;
    if (cooling > 0) {
      cooling--;
      bad = 0;
    }
    if (bad > patience) {
      lr = Math.max(lr * factor, minLr);
      cooling = cooldown;
      bad = 0;
    }
    return lr;
  };
  return schedule;
}

/** Whether `lr` is a {@link reduceOnPlateau} schedule. */
export function isPlateauSchedule(lr: unknown): lr is PlateauSchedule {
  return typeof lr === 'function' && typeof (lr as Partial<PlateauSchedule>).epochEnd === 'function';
}

/**
 * A built-in schedule by name, as plain data (it can cross to a worker, where a function
 * cannot): `{ name: 'cosineWithWarmup', lr, warmupSteps, totalSteps }`, ...
 */
export type NamedSchedule =
  | ({ name: 'stepDecay' } & StepDecayOptions)
  | ({ name: 'exponentialDecay' } & ExponentialDecayOptions)
  | ({ name: 'cosineWithWarmup' } & CosineWarmupOptions)
  | ({ name: 'reduceOnPlateau' } & PlateauOptions);

const BY_NAME = { stepDecay, exponentialDecay, cosineWithWarmup, reduceOnPlateau } as const;

/** The schedule `spec` names, with its options checked. */
export function scheduleFromName(op: string, spec: unknown): LearningRateSchedule {
  checkObject(op, 'schedule', spec, "a schedule { name: 'stepDecay' | 'exponentialDecay' | 'cosineWithWarmup' | 'reduceOnPlateau', ...options }");
  const { name, ...options } = spec as { name?: unknown };
  const make = BY_NAME[checkOneOf(op, 'schedule.name', name, Object.keys(BY_NAME) as (keyof typeof BY_NAME)[])];
  return make(options as never);
}
