// Issue 11, item 16: in the single-threaded build, growing wasm memory detaches every view of
// it. `Float32Buffer.from(buf.view())` allocated first and read its source afterwards, so the
// source was gone and a raw TypeError escaped. Now the source is copied out first, and a view
// that is already gone is refused with a typed error.
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, engine, Float32Buffer, init, InvalidArgumentError } from 'recurrent';

import assert from '../support/assert.js';

beforeAll(async () => {
  await dispose();
  await init({ threads: 1 });
});
afterAll(() => dispose());

test('Float32Buffer.from(buf.view()) copies the floats although the allocation grows (and detaches) memory', () => {
  const e = engine();
  assert.equal(e.build, 'simd');
  // As many floats as memory has bytes / 4: a second such buffer cannot fit without growing.
  const n = e.memoryBytes / 4;
  const source = Float32Buffer.from(Float32Array.from({ length: n }, (_, i) => i % 1000));
  const grownFrom = e.memoryBytes;
  const copy = Float32Buffer.from(source.view());
  assert.ok(e.memoryBytes > grownFrom, 'memory grew while copying');
  assert.equal(copy.length, n);
  assert.deepEqual(copy.read().subarray(0, 2000), source.read().subarray(0, 2000));
  assert.equal(copy.read()[n - 1], (n - 1) % 1000);
  copy.dispose();
  source.dispose();
});

test('a view that memory growth already detached is an InvalidArgumentError, in from() and write()', () => {
  const e = engine();
  const small = Float32Buffer.from([1, 2, 3]);
  const old = small.view();
  const big = new Float32Buffer(e.memoryBytes / 4);
  assert.equal(old.length, 0, 'the old view was detached by the growth');
  assert.throws(() => Float32Buffer.from(old), (err: unknown) => err instanceof InvalidArgumentError && /view/.test(err.message));
  assert.throws(() => small.write(old), InvalidArgumentError);
  assert.deepEqual(Array.from(small.read()), [1, 2, 3]);
  big.dispose();
  small.dispose();
});
