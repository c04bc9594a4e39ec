// Issue 11, item 11: ModelState.set wrote `h` before validating `c`, and accepted NaN and
// Infinity. Now every given array is checked (shape and finiteness) before any is written, and a
// non-finite value is an InvalidArgumentError naming the tensor and the index.
import { afterAll, beforeAll, test } from 'vitest';

import { dense, dispose, init, InvalidArgumentError, lstm, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

// 2 stacked layers, 1 direction, batch 3, 4 units: each array is [1, 3, 4] = 12 floats.
const model = () => sequential([lstm({ units: 4, layers: 2 }), dense({ units: 2 })], { inputSize: 2, seed: 1 });
const filled = (v: number) => [new Float32Array(12).fill(v), new Float32Array(12).fill(v)];

test('a bad `c` after a good `h` changes nothing (h is not written first)', () => {
  const m = model();
  const state = m.zeroState(3);
  try {
    state.set(0, { h: filled(0.25), c: filled(0.5) });
    const before = state.get(0);
    assert.throws(() => state.set(0, { h: filled(0.75), c: [new Float32Array(12)] }), (e: unknown) => e instanceof InvalidArgumentError && /`c` expected 2 arrays/.test(e.message));
    assert.throws(() => state.set(0, { h: filled(0.75), c: [new Float32Array(12), new Float32Array(5)] }), (e: unknown) => e instanceof InvalidArgumentError && /`c\[1\]`/.test(e.message));
    assert.deepEqual(state.get(0), before);
  } finally {
    state.dispose();
    m.dispose();
  }
});

test('NaN and Infinity are refused, naming the tensor and the index, and change nothing', () => {
  const m = model();
  const state = m.zeroState(3);
  try {
    state.set(0, { h: filled(0.25), c: filled(0.5) });
    const before = state.get(0);
    const h = filled(0.75);
    h[1]![5] = Number.NaN;
    assert.throws(() => state.set(0, { h }), (e: unknown) => e instanceof InvalidArgumentError && /`h\[1\]` expected finite values, got NaN at index 5/.test(e.message));
    const c = filled(0.75);
    c[0]![11] = -Infinity;
    assert.throws(() => state.set(0, { h: filled(0.75), c }), (e: unknown) => e instanceof InvalidArgumentError && /`c\[0\]` expected finite values, got -Infinity at index 11/.test(e.message));
    assert.deepEqual(state.get(0), before);
    // And the state still works: a step from it gives finite outputs.
    const out = m.step(new Float32Array(6).fill(0.1), state);
    assert.ok(out.every(Number.isFinite));
  } finally {
    state.dispose();
    m.dispose();
  }
});
