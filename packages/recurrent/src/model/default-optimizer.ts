/**
 * The one default optimiser of every trainer: `fit` (and a worker's `fit`), `Seq2Seq.fit`, a
 * tree classifier's training (`TreeClassifier.optimizer()`, a worker's `train`) and the CLI's
 * `recurrent train`. Each of them imports it from here, so they cannot drift apart again.
 *
 * Adam at lr 0.003, the rate the CLI has always used: Keras's and PyTorch's own Adam default is
 * 0.001 (which `adam()` without `lr` keeps, as they do), but recurrent networks on the sizes
 * this package trains learn clearly faster at 0.003 and stay stable with clipping.
 */
import type { OptimizerConfig } from './optimizer-config.js';

/** The default learning rate of the default optimiser (Adam). */
export const DEFAULT_ADAM_LR = 0.003;

/** The optimiser every trainer uses when given none: `adam({ lr: 0.003 })`. Frozen. */
export const DEFAULT_OPTIMIZER: OptimizerConfig = Object.freeze({ type: 'adam', lr: DEFAULT_ADAM_LR } as const);
