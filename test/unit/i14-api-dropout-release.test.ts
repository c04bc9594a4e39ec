// Issue 14: the `dropout` layer trains on the release build, the one the package ships. Its
// kernel was an export of the test builds only, so every training step of a model with a
// dropout layer threw "dropout is an export of the test builds only" for a user (the test
// suite runs the test builds and never saw it). Runs in a child process that loads the
// release build, as a user's program does.
import * as childProcess from 'node:child_process';
import { pathToFileURL } from 'node:url';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test } = nodeOnly('loads the release build in a child process');

const SCRIPT = `
const { init, sequential, gru, dense, dropout, fit, adam, engine } = await import(process.argv[1]);
await init({ threads: 1 });
const model = sequential([gru({ units: 4, output: 'last' }), dense({ units: 6, activation: 'relu' }), dropout({ rate: 0.5 }), dense({ units: 2 })], { inputSize: 1, seed: 1 });
const x = Array.from({ length: 8 }, (_, n) => [[n % 2], [1 - (n % 2)]]);
const h = await fit(model, { x, y: x.map((_, n) => n % 2) }, { epochs: 2, batchSize: 4, optimizer: adam({ lr: 0.01 }) });
console.log(JSON.stringify({ variant: engine().variant, losses: h.epochs.map((e) => e.loss) }));
`;

test('a model with a dropout layer trains on the release build', { timeout: 60_000 }, async () => {
  const env = { ...process.env };
  delete env['RECURRENT_WASM_VARIANT'];
  const out = await new Promise<string>((resolve, reject) => {
    childProcess.execFile(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT, pathToFileURL(repoPath('packages/recurrent/dist/index.js')).href],
      { env, timeout: 50_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  const r = JSON.parse(out) as { variant: string; losses: number[] };
  assert.equal(r.variant, 'release');
  assert.equal(r.losses.length, 2);
  assert.ok(r.losses.every((l) => Number.isFinite(l) && l > 0), `losses ${r.losses}`);
});
