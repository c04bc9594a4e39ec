// A model with a `dropout` layer trains on the release build (what the package ships, what the
// examples and the README run): the layer's kernel was a test-only export, so `fit` with
// `dropout({ rate })` threw "dropout is an export of the test builds only" for users while the
// tests, which load the test build, passed. Run in a child process without
// RECURRENT_WASM_VARIANT, on the release build, and compared with the test build's bits.
import * as childProcess from 'node:child_process';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const node = nodeOnly('runs child processes with the release build');

/** Two training steps of gru -> dense -> dropout -> dense (plus variational dropout), as bits. */
const SCRIPT = `
import { init, dispose, sequential, gru, dense, dropout, sgd } from 'recurrent';
const e = await init({ threads: Number(process.argv[1]) });
const m = sequential([gru({ units: 5, output: 'last', recurrentDropout: 0.2 }), dense({ units: 6, activation: 'relu' }), dropout({ rate: 0.3 }), dense({ units: 2 })], { seed: 4, inputSize: 2 });
const opt = { loss: 'crossEntropy', optimizer: m.optimizerFor(sgd({ lr: 0.1 })) };
const x = Array.from({ length: 4 * 3 * 2 }, (_, i) => Math.sin(i));
const batch = { x, y: [0, 1, 1], seqLen: 4, batchSize: 3 };
const losses = [m.trainStep(batch, opt).loss, m.trainStep(batch, opt).loss];
const bits = [...m.stateDict().values()].map((v) => Array.from(new Uint32Array(v.slice().buffer)).join(',')).join(';');
console.log(JSON.stringify({ variant: e.variant, losses, bits }));
await dispose();
`;

function run(variant: string | undefined, threads: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['RECURRENT_WASM_VARIANT'];
    if (variant) env['RECURRENT_WASM_VARIANT'] = variant;
    childProcess.execFile(process.execPath, ['--input-type=module', '-e', SCRIPT, String(threads)], { cwd: repoPath('test/unit'), timeout: 60_000, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

for (const threads of [1, 2]) {
  node.test(`${threads === 1 ? 'simd' : 'threads'} release build: a model with a dropout layer trains, with the test build's bits`, async () => {
    const release = await run(undefined, threads);
    const checkout = await run('test', threads);
    assert.equal(release['variant'], 'release');
    assert.equal(checkout['variant'], 'test');
    assert.deepEqual(release['losses'], checkout['losses']);
    assert.equal(release['bits'], checkout['bits']);
  });
}
