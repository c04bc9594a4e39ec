/**
 * `storeModel(model, 'indexeddb://name' | 'downloads://name')`: a model file kept in the
 * browser's IndexedDB (read back with `loadModel('indexeddb://name')`) or offered as a
 * download, as TensorFlow.js' `model.save(url)`.
 */
import { writeStore } from '../io/browser-store.js';
import { InvalidArgumentError } from '../errors.js';
import { Model } from './model.js';
import { saveModel } from './serialize.js';

export async function storeModel(model: Model, url: string): Promise<void> {
  if (!(model instanceof Model)) throw new InvalidArgumentError('storeModel: argument `model` expected a Model (from sequential or loadModel)');
  await writeStore('storeModel', url, saveModel(model));
}
