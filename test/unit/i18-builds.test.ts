// Issue 18: the relaxed-SIMD builds (`relaxed`, `relaxed-threads`). The loader probes relaxed
// SIMD with WebAssembly.validate and takes those builds where it validates; `init({ simd })`
// and RECURRENT_SIMD override; the engine says which build runs; the package ships them; their
// test builds have exactly the test-only exports; they really contain relaxed_madd and the
// baseline builds do not.
import * as childProcess from 'node:child_process';
import { afterAll, test } from 'vitest';

import { dispose, engine, hasRelaxedSimd, init, InitError, InvalidArgumentError, type InitOptions } from 'recurrent';

import assert from '../support/assert.js';
import { environment, nodeOnly, onlyIf, threadsOnly } from '../support/env.js';
import { asUrl, readData, repoPath } from '../support/files.js';

afterAll(() => dispose());

const relaxed = onlyIf(hasRelaxedSimd(), 'needs relaxed SIMD (Node >= 22, Chrome >= 114); this runtime lacks it');

nodeOnly('checks the Node version against what it supports').test('relaxed SIMD is detected from Node 22 on, and not in Node 20 without its flag', () => {
  const major = Number(process.versions.node.split('.')[0]);
  const flagged = process.execArgv.some((a) => /relaxed-simd/.test(a));
  assert.equal(hasRelaxedSimd(), major >= 22 || flagged, `Node ${process.versions.node}`);
});

onlyIf(environment === 'chromium' || environment === 'chromium-isolated', 'checks the browser').test('Chromium has relaxed SIMD', () => {
  assert.equal(hasRelaxedSimd(), true);
});

relaxed.test("simd: 'relaxed' loads the relaxed build, simd: 'baseline' the SIMD128 one; the engine says which", async () => {
  await dispose();
  const r = await init({ threads: 1, simd: 'relaxed' });
  assert.equal(r.build, 'simd');
  assert.equal(r.simdLevel, 'relaxed');
  assert.equal(r.buildName, 'relaxed');
  assert.equal(r.wasm.build_relaxed(), true);
  // The register tiles chosen by measurement (crates/recurrent-core/src/gemm/kernel.rs): 3 x 12
  // with fused multiply-add, 4 x 8 without (3 x 12 spills there).
  assert.deepEqual([...r.wasm.build_kernel_shape()], [1, 3, 12]);
  assert.match(String(r), /^Engine #\d+ \(relaxed build, 1 thread, /);
  await dispose();
  const b = await init({ threads: 1, simd: 'baseline' });
  assert.equal(b.simdLevel, 'baseline');
  assert.equal(b.buildName, 'simd');
  assert.equal(b.wasm.build_relaxed(), false);
  assert.deepEqual([...b.wasm.build_kernel_shape()], [0, 4, 8]);
});

relaxed.test('without the option, the loader takes the relaxed build where it validates (unless RECURRENT_SIMD says otherwise)', async () => {
  await dispose();
  const e = await init({ threads: 1 });
  // The plain Chromium project pins the baseline builds (RECURRENT_SIMD=baseline, vitest.config.ts).
  assert.equal(e.simdLevel, environment === 'chromium' ? 'baseline' : 'relaxed');
});

threadsOnly.test("threads: 2 with simd: 'relaxed' runs relaxed-threads with its pool", async () => {
  if (!hasRelaxedSimd()) return;
  await dispose();
  const e = await init({ threads: 2, simd: 'relaxed' });
  assert.equal(e.buildName, 'relaxed-threads');
  assert.equal(e.wasm.build_threads(), true);
  assert.equal(e.wasm.build_relaxed(), true);
  assert.equal(e.wasm.pool_workers(), 1);
  assert.ok(e.memory.buffer instanceof SharedArrayBuffer);
});

onlyIf(!hasRelaxedSimd(), 'checks a runtime without relaxed SIMD; this one has it').test(
  "simd: 'relaxed' where relaxed SIMD is missing is an InitError saying so, and the baseline build loads by default",
  async () => {
    await dispose();
    await assert.rejects(init({ threads: 1, simd: 'relaxed' }), (e: unknown) => e instanceof InitError && /does not support WebAssembly relaxed SIMD/.test(e.message) && /simd: 'baseline'/.test(e.message));
    const e = await init({ threads: 1 });
    assert.equal(e.simdLevel, 'baseline');
    assert.equal(e.buildName, 'simd');
  },
);

test('an unknown simd value is an InvalidArgumentError naming the option and the choices; nothing is loaded', async () => {
  await dispose();
  for (const bad of ['fast', 'SIMD', '', 1, null] as unknown[]) {
    await assert.rejects(init({ threads: 1, simd: bad } as unknown as InitOptions), (e: unknown) => e instanceof InvalidArgumentError && /option `simd` expected 'relaxed' or 'baseline'/.test(e.message));
  }
  assert.throws(() => engine(), InitError);
});

test('a different simd level while loaded is refused until dispose()', async () => {
  await dispose();
  await init({ threads: 1, simd: 'baseline' });
  await assert.rejects(init({ threads: 1, simd: hasRelaxedSimd() ? 'relaxed' : 'baseline', noThreads: 'warn' }), (e: unknown) => e instanceof InitError && /dispose\(\) first/.test(e.message));
  if (hasRelaxedSimd()) await assert.rejects(init({ threads: 1, simd: 'relaxed' }), (e: unknown) => e instanceof InitError && /dispose\(\) first/.test(e.message));
});

const node = nodeOnly('starts child processes and reads the package folder');

/** Runs a small script in a child Node with `env`, returns its last stdout line as JSON. */
function child(script: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    childProcess.execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: repoPath('.'), timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

const SCRIPT = `
import { init, dispose } from 'recurrent';
let out;
try { const e = await init({ threads: 1 }); out = { level: e.simdLevel, build: e.buildName }; }
catch (e) { out = { error: e.name, message: e.message }; }
await dispose();
console.log(JSON.stringify(out));`;

node.test('RECURRENT_SIMD picks the level when the option is left out; a bad value is an InitError naming the variable', async () => {
  const base = await child(SCRIPT, { RECURRENT_SIMD: 'baseline' });
  assert.deepEqual(base, { level: 'baseline', build: 'simd' });
  const bad = await child(SCRIPT, { RECURRENT_SIMD: 'turbo' });
  assert.equal(bad['error'], 'InitError');
  assert.match(String(bad['message']), /RECURRENT_SIMD expected 'relaxed' or 'baseline', got 'turbo'/);
  if (hasRelaxedSimd()) assert.deepEqual(await child(SCRIPT, { RECURRENT_SIMD: 'relaxed' }), { level: 'relaxed', build: 'relaxed' });
});

/** Instructions of a build whose names match `re` (binaryen's text). */
async function count(build: string, re: RegExp): Promise<number> {
  const { default: binaryen } = await import('binaryen');
  const module = binaryen.readBinary(await readData(repoPath(`packages/recurrent/wasm/${build}/recurrent_wasm_bg.wasm`)));
  module.setFeatures(binaryen.Features.All);
  const text = module.emitText();
  module.dispose();
  return (text.match(re) ?? []).length;
}

node.test('the relaxed builds use f32x4.relaxed_madd in their kernels; the baseline builds use no relaxed instruction', async () => {
  for (const build of ['relaxed', 'relaxed-threads', 'relaxed-test', 'relaxed-threads-test']) {
    const n = await count(build, /\bf32x4\.relaxed_madd\b/g);
    assert.ok(n > 20, `${build}: ${n} relaxed_madd`);
  }
  for (const build of ['simd', 'threads', 'simd-test', 'threads-test']) {
    assert.equal(await count(build, /\brelaxed_/g), 0, `${build} has relaxed instructions`);
  }
});

node.test('the relaxed test builds have exactly the test-only exports beyond their release builds', async () => {
  const { TEST_EXPORTS } = (await import(/* @vite-ignore */ asUrl(repoPath('packages/recurrent/dist/engine/bindings.js')).href)) as { TEST_EXPORTS: string[] };
  const glue = (folder: string) => asUrl(repoPath(`packages/recurrent/wasm/${folder}/recurrent_wasm.js`)).href;
  for (const build of ['relaxed', 'relaxed-threads']) {
    const release = (await import(/* @vite-ignore */ glue(build))) as Record<string, unknown>;
    const withTests = (await import(/* @vite-ignore */ glue(`${build}-test`))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(withTests).filter((k) => !(k in release)).sort(), [...TEST_EXPORTS].sort(), build);
    assert.equal(typeof release['build_relaxed'], 'function');
  }
});

node.test('the package ships the four release builds (relaxed ones included) and no test build', async () => {
  const listed = await new Promise<string[]>((resolve, reject) =>
    childProcess.execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoPath('packages/recurrent'), timeout: 120_000 }, (e, stdout) =>
      e ? reject(e) : resolve((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path)),
    ),
  );
  for (const build of ['simd', 'threads', 'relaxed', 'relaxed-threads']) {
    for (const file of ['recurrent_wasm.js', 'recurrent_wasm_bg.wasm', 'recurrent_wasm.d.ts']) {
      assert.ok(listed.includes(`wasm/${build}/${file}`), `${build}/${file} is shipped`);
    }
  }
  assert.deepEqual(listed.filter((f) => f.includes('-test/')), []);
});

node.test('spawnWorker({ simd }) picks the build inside the worker; its engine info says which; a bad value is an InvalidArgumentError', async () => {
  const { spawnWorker } = await import('recurrent/worker');
  await assert.rejects(spawnWorker({ threads: 1, simd: 'fast' as never }), (e: unknown) => e instanceof InvalidArgumentError && /option `simd` expected 'relaxed' or 'baseline'/.test(e.message));
  const levels = hasRelaxedSimd() ? (['baseline', 'relaxed'] as const) : (['baseline'] as const);
  for (const simd of levels) {
    const remote = await spawnWorker({ threads: 1, simd });
    try {
      assert.equal(remote.engine.simdLevel, simd);
      assert.equal(remote.engine.buildName, simd === 'relaxed' ? 'relaxed' : 'simd');
    } finally {
      await remote.dispose();
    }
  }
});

relaxed.test('RECURRENT_SIMD of the spawning page or process reaches the engine of a recurrent/worker worker', async () => {
  const { spawnWorker } = await import('recurrent/worker');
  // A page's global (a browser worker does not see the page's globals), or Node's environment.
  const g = globalThis as { RECURRENT_SIMD?: string; process?: { env: Record<string, string | undefined> } };
  const env = g.process?.env;
  const before = env ? env['RECURRENT_SIMD'] : g.RECURRENT_SIMD;
  if (env) env['RECURRENT_SIMD'] = 'baseline';
  else g.RECURRENT_SIMD = 'baseline';
  try {
    const remote = await spawnWorker({ threads: 1 });
    try {
      assert.equal(remote.engine.simdLevel, 'baseline');
      assert.equal(remote.engine.buildName, 'simd');
    } finally {
      await remote.dispose();
    }
  } finally {
    if (env) {
      if (before === undefined) delete env['RECURRENT_SIMD'];
      else env['RECURRENT_SIMD'] = before;
    } else if (before === undefined) delete g.RECURRENT_SIMD;
    else g.RECURRENT_SIMD = before;
  }
});
