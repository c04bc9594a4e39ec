/**
 * A {@link TreeClassifier} in the worker: its methods as promises (trees are plain objects and
 * cross as they are), training through `train` with the optimiser kept in the worker.
 */
import type { Tree } from '../trees/tree.js';
import { type RemoteKind, RemoteHandle } from './remote-handle.js';
import type { Caller } from './remote-model.js';
import type { TreeMethod, TreeTrainOptions } from './tree-service.js';

const KIND: RemoteKind<TreeMethod> = {
  name: 'TreeClassifier',
  call: (api, id, method, values) => api.callTree(id, method, ...values),
  dispose: (api, id) => api.disposeTree(id),
};

export class RemoteTreeClassifier extends RemoteHandle<TreeMethod> {
  /** @internal Made by `RecurrentWorker.treeClassifier` and `loadTreeClassifier`. */
  constructor(caller: Caller, id: number) {
    super(caller, id, KIND);
  }

  /** The most likely class at each root. */
  predict(trees: readonly Tree[]): Promise<number[]> {
    return this.call('predict', { trees });
  }

  /** The most likely class of every node of each tree, post-order. */
  predictNodes(trees: readonly Tree[]): Promise<number[][]> {
    return this.call('predictNodes', { trees });
  }

  /** The root state of each tree, `[trees, H]`. */
  encode(trees: readonly Tree[]): Promise<Float32Array> {
    return this.call('encode', { trees });
  }

  /** Accuracy at the roots. */
  accuracy(trees: readonly Tree[]): Promise<number> {
    return this.call('accuracy', { trees });
  }

  stateDict(): Promise<Record<string, Float32Array>> {
    return this.call('stateDict', {});
  }

  loadStateDict(dict: Readonly<Record<string, ArrayLike<number>>>): Promise<void> {
    return this.call('loadStateDict', { dict });
  }

  /** The classifier's file (`saveTreeClassifier`). */
  save(): Promise<Uint8Array> {
    return this.call('save', {});
  }

  /** Trains on `trees` in batches for some epochs; the mean loss of each epoch. Default optimiser: `adam({ lr: 0.003 })`. */
  train(trees: readonly Tree[], options: TreeTrainOptions = {}): Promise<{ losses: number[] }> {
    return this.call('train', { trees, options });
  }
}
