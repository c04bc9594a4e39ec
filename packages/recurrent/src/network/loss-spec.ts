/**
 * A loss as the API takes it: a name (`'crossEntropy'`, `'mse'`, ...) or an object with the
 * options of that loss (`{ kind: 'crossEntropy', classWeights, labelSmoothing }`,
 * `{ kind: 'huber', delta }`), checked once into a {@link LossSpec}.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkArrayLike, checkKnownKeys, checkNumber, checkOneOf, checkPositive, describe } from '../validate/index.js';

/**
 * The loss a model trains on: `'crossEntropy'` (softmax over classes, class-id targets),
 * `'mse'`, `'mae'`, `'huber'` (float targets shaped like the output) and
 * `'binaryCrossEntropy'` (independent sigmoid per output on its logit, 0/1 targets: multi-label).
 */
export type LossKind = 'crossEntropy' | 'mse' | 'binaryCrossEntropy' | 'mae' | 'huber';

/** Every {@link LossKind}. */
export const LOSS_KINDS: readonly LossKind[] = ['crossEntropy', 'mse', 'binaryCrossEntropy', 'mae', 'huber'];

/** A loss with options. */
export type LossConfig =
  | {
      kind: 'crossEntropy';
      /** Per class, its weight (PyTorch `weight=`): the loss is Σ w_t l / Σ w_t over the counted positions. Default: all 1. */
      classWeights?: ArrayLike<number>;
      /** Mix the one-hot target with the uniform distribution by this much (PyTorch `label_smoothing`), in [0, 1). Default `0`. */
      labelSmoothing?: number;
    }
  | {
      kind: 'huber';
      /** Where the loss turns from quadratic to linear. Default `1`. */
      delta?: number;
    }
  | { kind: Exclude<LossKind, 'crossEntropy' | 'huber'> };

/** A loss name or a loss with options. */
export type Loss = LossKind | LossConfig;

/** A checked loss. */
export interface LossSpec {
  readonly kind: LossKind;
  /** Identifies the loss with its options (one head per key). */
  readonly key: string;
  readonly classWeights: Float64Array | undefined;
  readonly labelSmoothing: number;
  readonly delta: number;
}

/** Checks `loss` (a name or an options object) for `op`. */
export function checkLoss(op: string, loss: unknown): LossSpec {
  if (typeof loss === 'string') return { kind: checkOneOf(op, 'loss', loss, LOSS_KINDS), key: loss, classWeights: undefined, labelSmoothing: 0, delta: 1 };
  if (typeof loss !== 'object' || loss === null) {
    throw new InvalidArgumentError(`${op}: argument \`loss\` expected one of ${LOSS_KINDS.map((k) => `'${k}'`).join(', ')} or { kind, ...options }, got ${describe(loss)}`);
  }
  const o = loss as { kind?: unknown; classWeights?: unknown; labelSmoothing?: unknown; delta?: unknown };
  const kind = checkOneOf(op, 'loss.kind', o.kind, LOSS_KINDS);
  const known = kind === 'crossEntropy' ? ['kind', 'classWeights', 'labelSmoothing'] : kind === 'huber' ? ['kind', 'delta'] : ['kind'];
  checkKnownKeys(`${op}: loss`, loss, known, { weight: '`classWeights`', label_smoothing: '`labelSmoothing`' });
  let classWeights: Float64Array | undefined;
  if (o.classWeights !== undefined) {
    checkArrayLike(op, 'loss.classWeights', o.classWeights, 'one weight per class');
    classWeights = Float64Array.from(o.classWeights as ArrayLike<number>, (w, k) => checkNumber(op, `loss.classWeights[${k}]`, w, 0, 1e30));
  }
  const labelSmoothing = o.labelSmoothing === undefined ? 0 : checkNumber(op, 'loss.labelSmoothing', o.labelSmoothing, 0, 0.999999);
  const delta = o.delta === undefined ? 1 : checkPositive(op, 'loss.delta', o.delta);
  const key = JSON.stringify([kind, classWeights && Array.from(classWeights), labelSmoothing, delta]);
  return { kind, key, classWeights, labelSmoothing, delta };
}
