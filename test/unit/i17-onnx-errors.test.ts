// loadOnnx on bad files: truncated protobuf, an unsupported op, an opset too old, weights of the
// wrong shape, a bad layout, clip: each a FormatError naming what is wrong (and its node), never
// a trap. Runs in Node, in a worker and in the pages (the fixture is read over the vitest server).
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, FormatError, init } from 'recurrent';
import { loadOnnx, readOnnx, writeOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { fixturePath, readData } from '../support/files.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

const fixture = () => readData(fixturePath('interop/onnx/12_onnx_lstm_peephole_fwd_h0c0.onnx'));
const refuses = async (bytes: Uint8Array, message: RegExp) =>
  assert.rejects(loadOnnx(bytes), (e: unknown) => e instanceof FormatError && message.test(e.message));

test('loadOnnx: a truncated file is a FormatError', async () => {
  const bytes = await fixture();
  await refuses(bytes.subarray(0, Math.floor(bytes.length * 0.6)), /truncated|not a valid ModelProto|needs \d+ values/);
  await refuses(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), /not a valid ModelProto|no graph/);
});

test('loadOnnx: an unsupported op is a FormatError naming the op and its node', async () => {
  const p = readOnnx(await fixture());
  p.graph!.node!.push({ op_type: 'Sin', name: 'my_sin', input: ['Y_h'], output: ['s'] });
  await refuses(writeOnnx(p), /unsupported op "Sin" \(Sin node "my_sin"\)/);
});

test('loadOnnx: an opset too old is a FormatError', async () => {
  const p = readOnnx(await fixture());
  p.opset_import = [{ domain: '', version: 6 }];
  await refuses(writeOnnx(p), /opset 6 is too old/);
});

test('loadOnnx: weights of the wrong shape are a FormatError naming the node and tensor', async () => {
  const p = readOnnx(await fixture());
  const w = p.graph!.initializer!.find((t) => t.dims?.length === 3 && t.dims[2] === 4)!;
  w.dims = [1, w.dims![1]! / 2, 8];
  await refuses(writeOnnx(p), /LSTM node "lstm0": W expected shape \[1, 20, 8\], got \[1, 10, 8\]/);
});

test('loadOnnx: a layout other than 0 or 1 is a FormatError naming the node', async () => {
  const p = readOnnx(await fixture());
  p.graph!.node![0]!.attribute!.push({ name: 'layout', type: 2, i: 2 });
  await refuses(writeOnnx(p), /LSTM node "lstm0": layout 2 is not 0 or 1/);
});

test('loadOnnx: custom activations and clip are FormatErrors naming the node', async () => {
  const p = readOnnx(await fixture());
  p.graph!.node![0]!.attribute!.push({ name: 'clip', type: 1, f: 3 });
  await refuses(writeOnnx(p), /LSTM node "lstm0": clip has no equivalent here/);
});
