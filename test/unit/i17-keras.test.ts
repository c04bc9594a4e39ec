// Keras / TensorFlow.js layers import: a Keras GRU with reset_after=True (which tfjs-layers
// refuses) runs here with Keras's outputs, from a path and from memory; bad files are
// FormatErrors naming the shard, layer or weight.
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, FormatError, init, loadKeras } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { fixturePath, readData, readDataJson, withTempFile } from '../support/files.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

const CASE = 'interop/keras/03_keras_gru_reset_after_state';

interface Expected {
  runs: { inputs: Record<string, { shape: number[]; data: number[] }>; outputs: Record<string, { shape: number[]; data: number[] }> }[];
}

function maxDiff(a: ArrayLike<number>, e: ArrayLike<number>): number {
  assert.equal(a.length, e.length);
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(a[i]! - e[i]!));
  return m;
}

test("a Keras GRU with reset_after=True gives Keras's outputs (sequence and final state)", async () => {
  const c = await readDataJson<Expected>(fixturePath(`${CASE}/expected.json`));
  const m = await loadKeras(fixturePath(`${CASE}/tfjs/model.json`));
  try {
    assert.deepEqual(m.outputNames, ['gru', 'gru_1']);
    const got = m.predict(c.runs[0]!.inputs);
    assert.ok(maxDiff(got['gru']!.data, c.runs[0]!.outputs['gru']!.data) < 1e-5);
    assert.ok(maxDiff(got['gru_1']!.data, c.runs[0]!.outputs['gru_1']!.data) < 1e-5);
    assert.deepEqual(got['gru']!.shape, c.runs[0]!.outputs['gru']!.shape);
  } finally {
    m.dispose();
  }
});

test('loadKeras reads { modelJson, weights } from memory', async () => {
  const c = await readDataJson<Expected>(fixturePath(`${CASE}/expected.json`));
  const modelJson = await readDataJson(fixturePath(`${CASE}/tfjs/model.json`));
  const weights = await readData(fixturePath(`${CASE}/tfjs/group1-shard1of1.bin`));
  const m = await loadKeras({ modelJson, weights });
  try {
    assert.ok(maxDiff(m.predict(c.runs[0]!.inputs)['gru']!.data, c.runs[0]!.outputs['gru']!.data) < 1e-5);
  } finally {
    m.dispose();
  }
});

const refuses = (p: Promise<unknown>, message: RegExp) => assert.rejects(p, (e: unknown) => e instanceof FormatError && message.test(e.message));

test('a short or missing shard is a FormatError naming the group and weight', async () => {
  const modelJson = await readDataJson(fixturePath(`${CASE}/tfjs/model.json`));
  const weights = await readData(fixturePath(`${CASE}/tfjs/group1-shard1of1.bin`));
  await refuses(loadKeras({ modelJson, weights: weights.subarray(0, weights.length - 8) }), /group 0 \(group1-shard1of1\.bin\) holds \d+ bytes; weight gru\/gru_cell\/bias needs/);
  await refuses(loadKeras({ modelJson, weights: {} }), /shard "group1-shard1of1\.bin" is missing/);
  await refuses(loadKeras({ modelJson, weights: new Uint8Array([...weights, 0, 0, 0, 0]) }), /holds \d+ bytes, the manifest lists/);
});

test('an unsupported layer or activation is a FormatError naming the layer', async () => {
  const json = await readDataJson<{ modelTopology: { model_config: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } } }>(fixturePath(`${CASE}/tfjs/model.json`));
  const weights = await readData(fixturePath(`${CASE}/tfjs/group1-shard1of1.bin`));
  const gruLayer = json.modelTopology.model_config.config.layers.find((l) => l.class_name === 'GRU')!;
  gruLayer.config['recurrent_activation'] = 'hard_sigmoid';
  await refuses(loadKeras({ modelJson: json, weights }), /layer "gru" \(GRU\): recurrent_activation "hard_sigmoid" has no equivalent/);
  gruLayer.config['recurrent_activation'] = 'sigmoid';
  gruLayer.class_name = 'ConvLSTM1D';
  await refuses(loadKeras({ modelJson: json, weights }), /unsupported layer layer "gru" \(ConvLSTM1D\)/);
  await refuses(loadKeras({ modelJson: '{"format": "layers-model"', weights }), /model\.json is not valid JSON/);
});

test('a weight of the wrong shape is a FormatError naming it', async () => {
  const json = await readDataJson<{ weightsManifest: { weights: { name: string; shape: number[] }[] }[] }>(fixturePath(`${CASE}/tfjs/model.json`));
  const weights = await readData(fixturePath(`${CASE}/tfjs/group1-shard1of1.bin`));
  const k = json.weightsManifest[0]!.weights.find((w) => w.name === 'gru/gru_cell/kernel')!;
  k.shape = [k.shape[1]!, k.shape[0]!];
  await refuses(loadKeras({ modelJson: json, weights }), /gru kernel expected shape \[\d+, 21\], got \[21, \d+\]/);
});

test('a malformed model.json (manifest entries, inbound_nodes, output_layers) is a FormatError, not a TypeError', async () => {
  const weights = await readData(fixturePath(`${CASE}/tfjs/group1-shard1of1.bin`));
  type J = { weightsManifest: { weights: { name: unknown }[] }[]; modelTopology: { model_config: { config: { layers: { inbound_nodes: unknown }[]; output_layers: unknown } } } };
  const fresh = () => readDataJson<J>(fixturePath(`${CASE}/tfjs/model.json`));
  const a = await fresh();
  a.weightsManifest[0]!.weights[0]!.name = 7;
  await refuses(loadKeras({ modelJson: a, weights }), /weightsManifest\[0\]\.weights\[0\] expected \{ name: string/);
  const b = await fresh();
  b.modelTopology.model_config.config.layers[1]!.inbound_nodes = [[null]];
  await refuses(loadKeras({ modelJson: b, weights }), /inbound_nodes expected/);
  const c = await fresh();
  c.modelTopology.model_config.config.output_layers = null;
  await refuses(loadKeras({ modelJson: c, weights }), /output_layers expected/);
  const d = await fresh();
  d.modelTopology.model_config.config.output_layers = [['gru', 0, 5]];
  await refuses(loadKeras({ modelJson: d, weights }), /output "gru" tensor 5 is not read/);
});

test('a Keras HDF5 file (model.h5) loads with the same outputs; a truncated one is a FormatError', async () => {
  const c = await readDataJson<Expected>(fixturePath(`${CASE}/expected.json`));
  const m = await loadKeras(fixturePath(`${CASE}/model.h5`));
  try {
    assert.ok(maxDiff(m.predict(c.runs[0]!.inputs)['gru_1']!.data, c.runs[0]!.outputs['gru_1']!.data) < 1e-5);
  } finally {
    m.dispose();
  }
  const bytes = await readData(fixturePath(`${CASE}/model.h5`));
  await refuses(loadKeras({ modelJson: '{}', weights: bytes }), /model\.json: expected a Sequential or Functional model/);
  await withTempFile('cut.h5', bytes.slice(0, 3000), (location) => refuses(loadKeras(location), /model\.h5: /));
});
