// `recurrent convert` and `recurrent info` on ONNX, PyTorch folders, checkpoints and the
// TensorFlow.js layers format, as child processes of the built bin: the fixtures' char LM goes
// ONNX -> PyTorch folder -> ONNX -> checkpoint and keeps its logits; a Keras GRU with
// reset_after=True becomes an ONNX file; what a written file would not compute is refused.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { dispose, init, loadModel } from 'recurrent';
import { loadOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { fixturePath, readDataJson } from '../support/files.js';
import { runCli } from '../support/cli.js';

const { test, beforeAll, afterAll } = nodeOnly('runs the CLI as child processes on temporary files');

const LM = fixturePath('interop/onnx/09_torch_char_lm_lstm2');
let dir = '';

beforeAll(async () => {
  await init(engineOptions);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'i17-cli-'));
});
afterAll(async () => {
  dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Lm {
  runs: { inputs: { tokens: { shape: number[]; data: number[] } }; outputs: { logits: { data: number[] } } }[];
}

test('convert: ONNX -> PyTorch folder -> ONNX -> checkpoint keeps the LM logits', async () => {
  for (const [from, to] of [[`${LM}.onnx`, `${dir}/lm/`], [`${dir}/lm`, `${dir}/lm.onnx`], [`${dir}/lm.onnx`, `${dir}/lm.rnn`]] as const) {
    const r = await runCli(['convert', from, to]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, / -> /);
  }
  const c = await readDataJson<Lm>(`${LM}.expected.json`);
  const run0 = c.runs[0]!;
  const [T, B] = run0.inputs.tokens.shape as [number, number];
  const model = await loadModel(`${dir}/lm.rnn`);
  try {
    const got = model.predict(run0.inputs.tokens.data, { seqLen: T, batchSize: B });
    let worst = 0;
    run0.outputs.logits.data.forEach((e, i) => (worst = Math.max(worst, Math.abs(got[i]! - e))));
    assert.ok(worst < 1e-4, `max |err| ${worst}`);
  } finally {
    model.dispose();
  }
});

test('convert: a Keras GRU with reset_after=True becomes an ONNX GRU with linear_before_reset=1', async () => {
  const r = await runCli(['convert', fixturePath('interop/keras/03_keras_gru_reset_after_state/tfjs/model.json'), `${dir}/k.onnx`]);
  assert.equal(r.code, 0, r.stderr);
  const m = await loadOnnx(`${dir}/k.onnx`);
  try {
    assert.equal(m.model.configs.find((l) => l.type === 'gru')?.type, 'gru');
    assert.equal((m.model.configs[0] as { resetAfter?: boolean }).resetAfter, true);
  } finally {
    m.dispose();
  }
});

test('convert: a Keras HDF5 file (model.h5) becomes a checkpoint with the same parameters', async () => {
  const r = await runCli(['convert', fixturePath('interop/keras/01_keras_embed_lstm_dense_seq/model.h5'), `${dir}/k7.rnn`]);
  assert.equal(r.code, 0, r.stderr);
  const info = await runCli(['info', '--json', `${dir}/k7.rnn`]);
  assert.equal((JSON.parse(info.stdout) as { layers: { type: string }[] }).layers.map((l) => l.type).join(), 'embedding,lstm,dense');
});

test('convert refuses what the written file would not compute, in one line', async () => {
  const r = await runCli(['convert', fixturePath('interop/keras/04_keras_gru_reset_before_dense/tfjs'), `${dir}/x.onnx`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recurrent: cannot convert .*its Dense layer applies softmax; .*; the ONNX model written from it would not compute that\n$/);
});

test('info reads ONNX files and TensorFlow.js layers models', async () => {
  const onnx = await runCli(['info', '--json', `${LM}.onnx`]);
  assert.equal(onnx.code, 0, onnx.stderr);
  const o = JSON.parse(onnx.stdout) as { kind: string; parameterCount: number };
  assert.equal(o.kind, 'onnx');
  assert.equal(o.parameterCount, 56540);
  const keras = await runCli(['info', fixturePath('interop/keras/05_keras_bilstm_concat_seq/tfjs-save')]);
  assert.equal(keras.code, 0, keras.stderr);
  assert.match(keras.stdout, /TensorFlow\.js layers model/);
  assert.match(keras.stdout, /lstm\(6, bidirectional\)/);
});
