// Issue 17: Keras 3 `.keras` archives (a zip of config.json, metadata.json and model.weights.h5,
// the weights by object path) through loadKeras, from bytes: every case of test/fixtures/keras3
// (written by real Keras 3 with scripts/fixtures/keras3_fixtures.py) gives Keras's outputs, and
// bad archives are FormatErrors naming what is wrong.
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, FormatError, init, loadKeras } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { readData, readDataJson, repoPath } from '../support/files.js';
import { compare, FORWARD } from '../parity/tolerance.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const CASES = [
  '01_k3_embed_lstm_timedistributed',
  '02_k3_simplernn_relu_dense',
  '03_k3_gru_reset_after',
  '04_k3_gru_reset_before_dense',
  '05_k3_bilstm_concat_dropout',
  '06_k3_bigru_sum_last',
  '07_k3_masking_stacked_lstm',
  '08_k3_functional_maskzero_bilstm_ave',
  '09_k3_functional_lstm_initial_return_state',
];
const folder = (name: string) => repoPath(`test/fixtures/keras3/keras/${name}`);

interface Tensor {
  shape: number[];
  data: number[];
}

test('every Keras 3 .keras case gives the outputs Keras computed (bytes in)', async () => {
  for (const name of CASES) {
    const expected = await readDataJson<{ runs: { inputs: Record<string, Tensor>; outputs: Record<string, Tensor> }[] }>(`${folder(name)}/expected.json`);
    const model = await loadKeras(await readData(`${folder(name)}/model.keras`));
    try {
      for (const run of expected.runs) {
        const got = model.predict(run.inputs);
        for (const [out, want] of Object.entries(run.outputs)) {
          assert.deepEqual(got[out]?.shape, want.shape, `${name} ${out}`);
          const c = compare(`${name} ${out}`, got[out]!.data, want.data, FORWARD);
          assert.equal(c.problem, undefined, `${name} ${out}: ${c.problem}`);
        }
      }
    } finally {
      model.dispose();
    }
  }
});

/** The entries of a real archive, to build bad ones from. */
async function entries(name = '03_k3_gru_reset_after'): Promise<Record<string, Uint8Array>> {
  return unzipSync(await readData(`${folder(name)}/model.keras`));
}

async function refused(bytes: Uint8Array, message: RegExp): Promise<void> {
  await assert.rejects(loadKeras(bytes), (e: unknown) => e instanceof FormatError && message.test(e.message), String(message));
}

test('bad .keras archives are FormatErrors naming what is wrong', async () => {
  const good = await entries();
  await refused(strToU8('{"not": "a zip"}'), /neither a \.keras archive \(zip\) nor a Keras HDF5 file/);
  const real = await readData(`${folder('03_k3_gru_reset_after')}/model.keras`);
  await refused(real.slice(0, 200), /\.keras archive: cannot be unzipped/);
  const { 'config.json': _c, ...noConfig } = good;
  await refused(zipSync(noConfig), /no config\.json in the archive/);
  const { 'model.weights.h5': _w, ...noWeights } = good;
  await refused(zipSync(noWeights), /no model\.weights\.h5 in the archive/);
  await refused(zipSync({ ...good, 'config.json': strToU8('{ not json') }), /config\.json is not valid JSON/);
  await refused(zipSync({ ...good, 'model.weights.h5': strToU8('not hdf5') }), /model\.weights\.h5: not an HDF5 file/);
  // The config says 9 units, the weights hold 7: the shapes are named.
  const config = strFromU8(good['config.json']!).replace('"units": 7', '"units": 9');
  await refused(zipSync({ ...good, 'config.json': strToU8(config) }), /weights: gru kernel expected shape \[4, 27\], got \[4, 21\]/);
  // Weights of another model: the GRU's variables are not there.
  const other = await entries('02_k3_simplernn_relu_dense');
  await refused(zipSync({ ...good, 'model.weights.h5': other['model.weights.h5']! }), /weights: no kernel for layer "gru"/);
});
