// The ParamSet ABI's frozen ranges: `param_set_create(values, grads, state0, state1, frozen)`
// takes (group, start, end) triples. Whatever the triples, the call ends in a typed error
// naming `frozen` and the rule broken, or makes a set whose steps leave exactly those ranges
// alone (parameters of the other elements and groups step as without them).
import { afterAll, beforeAll, test } from 'vitest';

import { dispose, engine, Float32Buffer, init, InvalidArgumentError } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

test('bad frozen triples are refused naming frozen; good ones freeze exactly their ranges in their group', () => {
  const a = Float32Buffer.from(new Float32Array([1, 2, 3, 4]));
  const ga = Float32Buffer.from(new Float32Array([1, 1, 1, 1]));
  const b = Float32Buffer.from(new Float32Array([5, 6, 7]));
  const gb = Float32Buffer.from(new Float32Array([1, 1, 1]));
  try {
    const values = Float64Array.from([a.liveHandle(), b.liveHandle()]);
    const grads = Float64Array.from([ga.liveHandle(), gb.liveHandle()]);
    const none = new Float64Array(0);
    const create = (frozen: unknown) => engine().call((w) => w.param_set_create(values, grads, none, none, frozen as Uint32Array));
    const bad: [unknown, RegExp][] = [
      [Uint32Array.from([0, 1]), /multiple of 3/], // not triples
      [Uint32Array.from([2, 0, 1]), /group 2/], // no group 2
      [Uint32Array.from([1, 0, 1, 0, 0, 1]), /increasing order/], // groups out of order
      [Uint32Array.from([0, 2, 2]), /non-empty/],
      [Uint32Array.from([1, 1, 4]), /within/], // group 1 has 3 elements
      [Uint32Array.from([0, 2, 4, 0, 0, 1]), /increasing order/], // ranges out of order
      [Uint32Array.from([0, 0, 2, 0, 1, 3]), /not overlapping/],
      [Float64Array.from([0, 0, 1]), /Uint32Array/],
      [undefined, /Uint32Array/],
    ];
    for (const [frozen, why] of bad) {
      assert.throws(
        () => create(frozen),
        (e: unknown) => e instanceof InvalidArgumentError && /`frozen`/.test((e as Error).message) && why.test((e as Error).message),
        String(frozen),
      );
    }
    // Group 0 without frozen ranges, group 1 with its middle element frozen.
    const set = create(Uint32Array.from([1, 1, 2]));
    try {
      assert.equal(engine().call((w) => w.optim_step_sgd(set, 1, 0.5, 0, 0, false, 0, 1)), -1);
    } finally {
      engine().call((w) => w.param_set_free(set));
    }
    assert.deepEqual(Array.from(a.read()), [0.5, 1.5, 2.5, 3.5]);
    assert.deepEqual(Array.from(b.read()), [4.5, 6, 6.5]);
  } finally {
    for (const buf of [a, ga, b, gb]) buf.dispose();
  }
});
