// Issue 17: `recurrent info` and `recurrent convert` read Keras 3 `.keras` archives, and
// loadKeras reads one by path: a Keras GRU with reset_after=True (Keras's default) becomes a
// checkpoint that computes Keras's outputs.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { dispose, init, loadKeras, loadModel } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { readDataJson, repoPath } from '../support/files.js';
import { runCli } from '../support/cli.js';
import { compare, FORWARD } from '../parity/tolerance.js';

const { test, beforeAll, afterAll } = nodeOnly('runs the CLI as child processes on temporary files');

const CASE = repoPath('test/fixtures/keras3/keras/03_k3_gru_reset_after');
let dir = '';

beforeAll(async () => {
  await init(engineOptions);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'i16-17-keras3-'));
});
afterAll(async () => {
  dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

test('info and convert read a .keras archive; the checkpoint computes what Keras did', async () => {
  const info = await runCli(['info', path.join(CASE, 'model.keras')]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /Keras \/ TensorFlow\.js layers model/);
  assert.match(info.stdout, /gru\(7\)/);
  const out = path.join(dir, 'gru.rnn');
  const convert = await runCli(['convert', path.join(CASE, 'model.keras'), out]);
  assert.equal(convert.code, 0, convert.stderr);
  const expected = await readDataJson<{ runs: { inputs: Record<string, { shape: number[]; data: number[] }>; outputs: Record<string, { data: number[] }> }[] }>(path.join(CASE, 'expected.json'));
  const x = expected.runs[0]!.inputs['input_layer_2']!;
  const [B, T, F] = x.shape as [number, number, number];
  // The checkpoint takes [T, B, F] (time-major) and gives [T, B, 7]; Keras's are batch-major.
  const timeMajor = new Float32Array(T * B * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) timeMajor[(t * B + b) * F + f] = x.data[(b * T + t) * F + f]!;
  const model = await loadModel(out);
  const keras = await loadKeras(path.join(CASE, 'model.keras'));
  try {
    const y = model.predict(timeMajor, { seqLen: T, batchSize: B });
    const want = expected.runs[0]!.outputs['gru']!.data;
    const got = new Float32Array(want.length);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let u = 0; u < 7; u++) got[(b * T + t) * 7 + u] = y[(t * B + b) * 7 + u]!;
    assert.equal(compare('checkpoint', got, want, FORWARD).problem, undefined);
    assert.equal(compare('loadKeras(path)', keras.predict(expected.runs[0]!.inputs)['gru']!.data, want, FORWARD).problem, undefined);
  } finally {
    model.dispose();
    keras.dispose();
  }
  const bad = path.join(dir, 'bad.keras');
  await fs.writeFile(bad, 'PK\x03\x04 truncated');
  const refused = await runCli(['info', bad]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /\.keras archive: cannot be unzipped/);
});
