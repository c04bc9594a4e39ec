/**
 * Writes the ONNX models the bench builds in memory to `bench/onnx/models/` (for a look with
 * Netron or `onnx.checker`): `node --import tsx onnx/generate.ts [dir]`. The bench itself
 * never reads these files; the 1024^2 MatMul and the W3 encoder are several MB each, so they
 * are not committed (see README).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { uniform } from '../lib/data.js';
import { lstmModel, matmulModel } from './models.js';
import { W2_CASES, W3_SHAPE, W2_SEED, W3_SEED } from '../workloads/shapes.js';

const dir = process.argv[2] ?? fileURLToPath(new URL('./models/', import.meta.url));
await mkdir(dir, { recursive: true });
const models: [string, Uint8Array][] = [
  ...W2_CASES.map((c): [string, Uint8Array] => [`w2-lstm-h${c.hidden}-step.onnx`, lstmModel({ inputSize: c.input, hiddenSize: c.hidden, layers: 1, bidirectional: false, seed: W2_SEED, batch: 1, stateful: true })]),
  ['w3-bilstm2.onnx', lstmModel({ ...W3_SHAPE, seed: W3_SEED })],
  ['matmul-1024.onnx', matmulModel(1024, 1024, 1024, uniform(1024 * 1024, 2003))],
];
for (const [name, bytes] of models) {
  await writeFile(join(dir, name), bytes);
  console.log(`${join(dir, name)}: ${(bytes.length / 1e6).toFixed(2)} MB`);
}
