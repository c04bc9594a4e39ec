/** Saved models read back. */
import { loadModel, type Model } from 'recurrent';

import assert from './assert.js';

/** The bits of a float32 array, for exact comparisons. */
export const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** `bytes` (the file of `model`) loads back with every parameter bit for bit and layer 1's config. */
export async function assertLoadsBack(bytes: Uint8Array, model: Model): Promise<void> {
  const back = await loadModel(bytes);
  try {
    assert.deepEqual([...back.stateDict()].map(([k, v]) => [k, bits(v)]), [...model.stateDict()].map(([k, v]) => [k, bits(v)]));
    assert.deepEqual(back.configs[1], model.configs[1]);
  } finally {
    back.dispose();
  }
}
