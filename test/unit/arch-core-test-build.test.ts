// Issue 13, item 3: the exports only tests call are behind the cargo feature `test-exports`.
// The release builds (what the package ships) do not have them; the test builds
// (wasm/*-test, built beside them by scripts/build-wasm.sh) do, and the tests load those (a
// checkout in Node: found by the loader; a page: test/support/test-build.ts says so). Both
// compute the same bits, threads or not.
import * as childProcess from 'node:child_process';
import { afterAll, test } from 'vitest';

import { dispose, engine, init } from 'recurrent';

import { TEST_EXPORTS, type TestExports } from '../../packages/recurrent/dist/engine/bindings.js';
import type * as ReleaseGlue from '../../packages/recurrent/wasm/simd/recurrent_wasm.js';
import type * as TestGlue from '../../packages/recurrent/wasm/simd-test/recurrent_wasm.js';
import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { asUrl, repoPath } from '../support/files.js';

// The hand-written declarations of the test-only exports are the test build's own: this only
// compiles (`tsc -p test`) while each has the glue's signature.
const declared: { [K in keyof TestExports]: (typeof TestGlue)[K] } = {} as TestExports;
void declared;

const node = nodeOnly('runs child processes with other builds, and npm to list the package');

afterAll(() => dispose());

/** One training step of a small 2-layer LSTM with dropout and checkpointing, as bits. */
const SCRIPT = `
import { init, dispose, engine, sequential, embedding, lstm, dense, Optimizer, adam } from 'recurrent';
const e = await init({ threads: Number(process.argv[1]) });
const m = sequential([embedding({ vocabSize: 9, dim: 4 }), lstm({ units: 6, layers: 2, dropout: 0.3 }), dense({ units: 9 })], { seed: 2 });
const opt = new Optimizer(adam({ lr: 0.01 }), m.groups(), m.engine);
const x = Array.from({ length: 24 }, (_, i) => (i * 5) % 9);
const r = m.trainStep({ x, y: x.map((v) => (v + 1) % 9), seqLen: 12, batchSize: 2 }, { loss: 'crossEntropy', optimizer: opt, clipNorm: 1, checkpointEvery: 5 });
const bits = [...m.stateDict().values()].map((v) => Array.from(new Uint32Array(v.slice().buffer)).join(',')).join(';');
let testOnly;
try { engine().wasm.buffer_live_count(); testOnly = 'callable'; } catch (err) { testOnly = err.name + ': ' + err.message; }
console.log(JSON.stringify({ variant: e.variant, build: e.build, loss: r.loss, gradNorm: r.gradNorm, bits, testOnly }));
await dispose();
`;

function run(variant: string | undefined, threads: number): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['RECURRENT_WASM_VARIANT'];
    if (variant) env['RECURRENT_WASM_VARIANT'] = variant;
    const cwd = repoPath('test/unit');
    childProcess.execFile(process.execPath, ['--input-type=module', '-e', SCRIPT, String(threads)], { cwd, timeout: 60_000, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string | number>);
    });
  });
}

for (const threads of [1, 2]) {
  node.test(`${threads === 1 ? 'simd' : 'threads'} build: the release build has no test-only exports and computes the test build's bits`, async () => {
    const release = await run(undefined, threads);
    const checkout = await run('test', threads);
    assert.equal(release['variant'], 'release', 'without RECURRENT_WASM_VARIANT, init() loads the release build, even in a checkout');
    assert.equal(checkout['variant'], 'test', 'RECURRENT_WASM_VARIANT=test loads the test build');
    assert.match(String(release['testOnly']), /^RecurrentError: buffer_live_count is an export of the test builds only/);
    assert.equal(checkout['testOnly'], 'callable');
    assert.equal(release['bits'], checkout['bits'], 'the same parameters after the step');
    assert.equal(release['loss'], checkout['loss']);
    assert.equal(release['gradNorm'], checkout['gradNorm']);
  });
}

test('the test-only exports are exactly those the test build has beyond the release build', async () => {
  const glue = (folder: string) => asUrl(repoPath(`packages/recurrent/wasm/${folder}/recurrent_wasm.js`)).href;
  for (const build of ['simd', 'threads']) {
    const release = (await import(/* @vite-ignore */ glue(build))) as typeof ReleaseGlue;
    const withTests = (await import(/* @vite-ignore */ glue(`${build}-test`))) as typeof TestGlue;
    const extra = Object.keys(withTests).filter((k) => !(k in release)).sort();
    assert.deepEqual(extra, [...TEST_EXPORTS].sort(), `${build}: exports only the test build has`);
  }
});

node.test('the package ships the release builds only', async () => {
  // `npm pack --dry-run --ignore-scripts` lists the tarball's files without writing anything
  // (no prepack copies), so it can run beside other tests.
  const listed = await new Promise<string[]>((resolve, reject) =>
    childProcess.execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoPath('packages/recurrent'), timeout: 120_000 }, (e, stdout) =>
      e ? reject(e) : resolve((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path)),
    ),
  );
  const wasm = listed.filter((f) => f.startsWith('wasm/')).sort();
  for (const build of ['simd', 'threads']) {
    for (const file of ['recurrent_wasm.js', 'recurrent_wasm_bg.wasm', 'recurrent_wasm.d.ts']) {
      assert.ok(wasm.includes(`wasm/${build}/${file}`), `${build}/${file} is shipped`);
    }
  }
  assert.deepEqual(wasm.filter((f) => f.includes('-test/')), [], 'no test build is shipped');
});

test('the tests run on the test build', async () => {
  const e = await init(engineOptions);
  assert.equal(e.variant, 'test');
  assert.equal(typeof engine().wasm.buffer_live_count(), 'number');
});
