// The loader: build selection, SIMD really compiled in, the threaded build really running,
// the state machine (shared promises, option conflicts, clean errors), and dispose.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, test } from 'node:test';

import binaryen from 'binaryen';
import { dispose, engine, init, InitError } from 'recurrent';

const require = createRequire(import.meta.url);
const wasmDir = new URL('../../packages/recurrent/wasm/', `file://${require.resolve('recurrent/package.json')}`);

async function simdInstructionCount(build: 'simd' | 'threads'): Promise<number> {
  const bytes = await readFile(new URL(`${build}/recurrent_wasm_bg.wasm`, wasmDir));
  const module = binaryen.readBinary(bytes);
  module.setFeatures(binaryen.Features.All);
  const text = module.emitText();
  module.dispose();
  return (text.match(/\b(f32x4|v128|i32x4)\.[a-z_]+/g) ?? []).length;
}

test('both builds contain SIMD128 instructions (the SIMD path was compiled in)', async () => {
  for (const build of ['simd', 'threads'] as const) {
    const n = await simdInstructionCount(build);
    assert.ok(n > 100, `${build} build has only ${n} SIMD instructions`);
  }
});

test('threads: 1 loads the single-threaded build on plain memory', async () => {
  await dispose();
  const e = await init({ threads: 1 });
  assert.equal(e.build, 'simd');
  assert.equal(e.wasm.build_threads(), false);
  assert.ok(!(e.memory.buffer instanceof SharedArrayBuffer));
  assert.equal(e.threads, 1);
});

test('threads: 2 runs the threaded build with one parked worker on shared memory', async () => {
  await dispose();
  const e = await init({ threads: 2 });
  assert.equal(e.build, 'threads');
  assert.equal(e.wasm.build_threads(), true);
  assert.ok(e.memory.buffer instanceof SharedArrayBuffer);
  assert.equal(e.wasm.pool_workers(), 1);
  assert.equal(e.threads, 2);
  e.setThreads(1);
  assert.equal(e.threads, 1);
  e.setThreads(99);
  assert.equal(e.threads, 2);
});

test('concurrent inits share one promise; conflicting options are refused', async () => {
  await dispose();
  const [a, b] = await Promise.all([init({ threads: 1 }), init({ threads: 1 })]);
  assert.equal(a, b);
  assert.equal(engine(), a);
  await assert.rejects(init({ threads: 2 }), (e: unknown) => e instanceof InitError && /dispose\(\) first/.test(e.message));
});

test('bad options and use before init give InitError that says what to do', async () => {
  await dispose();
  await assert.rejects(init({ threads: 0 }), /threads/);
  await assert.rejects(init({ threads: 1.5 }), InitError);
  assert.throws(() => engine(), /await init\(\)/);
  await assert.rejects(init({ threads: 1, wasmBaseUrl: 'file:///nonexistent/' }), /could not load the simd wasm build/);
  // A failed init leaves the loader idle: the next one works.
  const e = await init({ threads: 1 });
  assert.equal(e.build, 'simd');
});

after(() => dispose());
