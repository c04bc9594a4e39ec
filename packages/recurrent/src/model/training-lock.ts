/**
 * One `fit` per model at a time, in-thread and through a worker alike. Two loops over one
 * model would interleave their batches (each awaits its callbacks and yields between
 * batches), share one optimiser state and one carried recurrent state, and neither would
 * train what it was asked to; a queue would silently double the training instead. So a
 * second `fit` is refused, and the caller decides: await the first, or abort it.
 *
 * This module has no dependency on the engine, so the worker client (which runs where no
 * engine is loaded) applies the same rule to its remote models.
 */
import { InvalidArgumentError } from '../errors.js';

const training = new WeakSet<object>();

/**
 * Marks `model` as training and returns the function that ends it; throws
 * {@link InvalidArgumentError} if a `fit` started earlier on it has not finished.
 */
export function startTraining(model: object): () => void {
  if (training.has(model)) {
    throw new InvalidArgumentError(
      'fit: this model is already training (a fit started earlier has not finished); await it, or stop it with its signal, before starting another',
    );
  }
  training.add(model);
  return () => void training.delete(model);
}

/** Runs `train` as `model`'s one `fit` (see {@link startTraining}), however it ends. */
export async function withTraining<T>(model: object, train: () => Promise<T>): Promise<T> {
  const done = startTraining(model);
  try {
    return await train();
  } finally {
    done();
  }
}
