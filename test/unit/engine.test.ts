// The loader: build selection, SIMD really compiled in, the threaded build really running,
// the state machine (shared promises, option conflicts, clean errors), and dispose.
import { afterAll, test } from 'vitest';

import { dispose, engine, hasThreads, init, InitError } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly, onlyIf, threadsOnly } from '../support/env.js';
import { readData, repoPath } from '../support/files.js';

async function simdInstructionCount(build: 'simd' | 'threads'): Promise<number> {
  // binaryen (a large wasm-in-JS module) is loaded only where this test runs.
  const { default: binaryen } = await import('binaryen');
  const bytes = await readData(repoPath(`packages/recurrent/wasm/${build}/recurrent_wasm_bg.wasm`));
  const module = binaryen.readBinary(bytes);
  module.setFeatures(binaryen.Features.All);
  const text = module.emitText();
  module.dispose();
  return (text.match(/\b(f32x4|v128|i32x4)\.[a-z_]+/g) ?? []).length;
}

nodeOnly('disassembles both builds with binaryen, a large wasm-in-JS package kept out of pages').test('both builds contain SIMD128 instructions (the SIMD path was compiled in)', async () => {
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
  // Plain memory (a SharedArrayBuffer is not an ArrayBuffer; pages without isolation have no SharedArrayBuffer at all).
  assert.ok(e.memory.buffer instanceof ArrayBuffer);
  assert.equal(e.threads, 1);
});

threadsOnly.test('threads: 2 runs the threaded build with one parked worker on shared memory', async () => {
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

onlyIf(!hasThreads(), 'checks the fallback where threads are unavailable, and threads are available here').test(
  'without SharedArrayBuffer (a page that is not cross-origin isolated), threads: 2 is an InitError saying why; noThreads: warn falls back once',
  async () => {
    await dispose();
    await assert.rejects(init({ threads: 2 }), (e: unknown) => e instanceof InitError && /cross-origin isolated/.test(e.message));
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const e = await init({ threads: 2, noThreads: 'warn' });
      assert.equal(e.build, 'simd');
      assert.equal(e.threads, 1);
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(String(warnings[0]), /single-threaded build because the page is not cross-origin isolated/);
  },
);

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
  await assert.rejects(init({ threads: 1, wasmBaseUrl: 'file:///nonexistent/' }), /could not load the (simd|relaxed) wasm build/);
  // A failed init leaves the loader idle: the next one works.
  const e = await init({ threads: 1 });
  assert.equal(e.build, 'simd');
});

afterAll(() => dispose());
