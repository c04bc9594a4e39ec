// Issue 14: model files in the browser, as TensorFlow.js' indexeddb:// and downloads://:
// storeModel keeps a model in IndexedDB and loadModel reads it back; where there is no
// IndexedDB or no page (Node), a typed error says so.
import { afterAll, beforeAll, test } from 'vitest';

import { dense, dispose, gru, init, InvalidArgumentError, loadModel, sequential, storeModel } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, inBrowser } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const x = Array.from({ length: 3 * 2 * 2 }, (_, i) => Math.cos(i));

test('indexeddb://: a stored model loads back with the same outputs (in a page); Node refuses with a typed error', async () => {
  const model = sequential([gru({ units: 4 }), dense({ units: 3, activation: 'tanh' })], { inputSize: 2, seed: 8 });
  try {
    if (!inBrowser) {
      await assert.rejects(storeModel(model, 'indexeddb://m'), (e: unknown) => e instanceof InvalidArgumentError && /needs IndexedDB/.test(e.message));
      await assert.rejects(loadModel('indexeddb://m'), (e: unknown) => e instanceof InvalidArgumentError && /needs IndexedDB/.test(e.message));
      await assert.rejects(storeModel(model, 'downloads://m'), /downloads:\/\/ needs a page/);
      return;
    }
    await storeModel(model, 'indexeddb://api-store-test');
    const back = await loadModel('indexeddb://api-store-test');
    assert.deepEqual(back.predict(x, { seqLen: 3, batchSize: 2 }), model.predict(x, { seqLen: 3, batchSize: 2 }));
    back.dispose();
    await assert.rejects(loadModel('indexeddb://never-stored'), /nothing stored at indexeddb:\/\/never-stored/);
    await storeModel(model, 'downloads://api-store-test');
  } finally {
    model.dispose();
  }
});

test('a store URL without a name, or of another scheme, is refused', async () => {
  const model = sequential([gru({ units: 2 })], { inputSize: 1 });
  try {
    await assert.rejects(storeModel(model, 'indexeddb://'), /expected a name after indexeddb:\/\//);
    await assert.rejects(storeModel(model, 'localstorage://m'), /expected 'indexeddb:\/\/<name>' or 'downloads:\/\/<name>'/);
  } finally {
    model.dispose();
  }
});
