// Interop: every case of a fixtures folder laid out like ../shared/fixtures/interop (default, or
// $INTEROP_FIXTURES): its onnx/*.onnx cases and keras/*/ cases through the public API at the
// README's default tier; one test per case. The interop reporter prints one line per case and
// last `interop: N passed, N failed`. A case that cannot run fails.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, inject, test } from 'vitest';

import { dispose, init } from 'recurrent';

import { runKerasCase } from './keras-case.js';
import { runOnnxCase } from './onnx-case.js';
import type { InteropOutcome } from './outcome.js';

const dir = resolve(process.env['INTEROP_FIXTURES'] ?? join(inject('paths').fixtures, 'interop'));

async function list(sub: string, keep: (name: string) => boolean): Promise<string[]> {
  try {
    return (await readdir(join(dir, sub))).filter(keep).sort();
  } catch {
    return [];
  }
}

const onnx = (await list('onnx', (f) => f.endsWith('.onnx'))).map((f) => f.replace(/\.onnx$/, ''));
const keras = await list('keras', (f) => /^\d+_/.test(f));

beforeAll(() => init({ threads: 1 }));
afterAll(() => dispose());

if (onnx.length + keras.length === 0) {
  test(`the fixtures folder ${dir}`, ({ task }) => {
    const line = `no interop case (onnx/*.onnx or keras/NN_*/) in ${dir}`;
    task.meta.interop = { ok: false, line };
    throw new Error(line);
  });
}

async function record(task: { meta: { interop?: InteropOutcome } }, f: () => Promise<InteropOutcome>): Promise<void> {
  let outcome: InteropOutcome;
  try {
    outcome = await f();
  } catch (e) {
    outcome = { ok: false, line: `could not run: ${(e as Error).name}: ${(e as Error).message}` };
  }
  task.meta.interop = outcome;
  if (!outcome.ok) throw new Error(outcome.line);
}

for (const name of onnx) {
  test(`onnx/${name}`, ({ task }) =>
    record(task, async () => runOnnxCase(join(dir, 'onnx', `${name}.onnx`), JSON.parse(await readFile(join(dir, 'onnx', `${name}.expected.json`), 'utf8')))));
}

for (const name of keras) {
  test(`keras/${name}`, ({ task }) => record(task, async () => runKerasCase(join(dir, 'keras', name))));
}
