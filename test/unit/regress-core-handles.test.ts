// Issue 11, item 2: a stale handle never comes back to life. Handles used to carry a 12-bit
// generation, so 4,095 alloc/free cycles of a slot made an old handle valid again, naming
// whatever object then lived in that slot: an Optimizer built over a disposed model's groups
// wrote into another, live model. Now no instance gives out a handle value twice.
import { afterAll, test as anywhere } from 'vitest';

import { dispose, DisposedError, engine, init, lstm, Optimizer, type RecurrentError, sequential, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

afterAll(() => dispose());

/** Runs a raw export through the engine's error mapping; returns the typed error, or undefined. */
function attempt(f: () => unknown): RecurrentError | undefined {
  try {
    engine().call(() => f());
    return undefined;
  } catch (e) {
    return e as RecurrentError;
  }
}

for (const threads of [1, 2] as const) {
  const test = threads === 1 ? anywhere : threadsOnly.test;
  test(`${threads === 1 ? 'simd' : 'threads'} build: a freed handle stays stale over 10,000 reuses of its slot`, async () => {
    await dispose();
    await init({ threads });
    const w = engine().wasm;
    const stale = engine().call((x) => x.buffer_alloc(4));
    engine().call((x) => x.buffer_free(stale));
    const seen = new Set<number>([stale]);
    let live = 0;
    for (let i = 0; i < 10_000; i++) {
      const h = engine().call((x) => x.buffer_alloc(4));
      assert.ok(!seen.has(h), `cycle ${i}: handle ${h} was given out before`);
      seen.add(h);
      if (i === 9_999) {
        live = h;
        break;
      }
      engine().call((x) => x.buffer_free(h));
    }
    // The slot now holds a live buffer: the stale handle must not reach it.
    engine().call((x) => x.scale_buffer(live, 0));
    const ptr = engine().call((x) => x.buffer_ptr(live));
    engine().f32View(ptr, 4).set([1, 2, 3, 4]);
    for (const f of [() => w.scale_buffer(stale, 5), () => w.buffer_ptr(stale), () => w.buffer_free(stale), () => w.sum_squares(stale)]) {
      assert.ok(attempt(f) instanceof DisposedError);
    }
    assert.deepEqual(Array.from(engine().f32View(ptr, 4)), [1, 2, 3, 4], 'the live buffer is unchanged');
    engine().call((x) => x.buffer_free(live));
  });
}

anywhere('an Optimizer over a disposed model gives DisposedError and never writes into a newer model, over 4,500 models (past the 4,095 reuses that brought handles back)', async () => {
  await dispose();
  await init({ threads: 1 });
  const make = () => sequential([lstm({ units: 3 })], { inputSize: 2, seed: 5 });
  const old = make();
  const oldHandles = new Set(old.groups().flatMap((g) => [g.value.handle, g.grad.handle]));
  const optimizer = new Optimizer(sgd({ lr: 1 }), old.groups(), old.engine);
  old.dispose();
  for (let i = 0; i < 4_500; i++) {
    const m = make();
    // Gradients of 1 everywhere: a step over them with lr 1 would change every weight.
    for (const g of m.groups()) g.grad.view().fill(1);
    const weights = m.groups().map((g) => g.value.read());
    const collided = m.groups().some((g) => oldHandles.has(g.value.handle) || oldHandles.has(g.grad.handle));
    if (collided || i === 4_499) {
      assert.throws(() => optimizer.apply(1, 0), DisposedError);
      assert.deepEqual(
        m.groups().map((g) => g.value.read()),
        weights,
        `model ${i} was changed through the stale handles of a disposed one`,
      );
    }
    assert.ok(!collided, `model ${i} got a handle of the disposed model`);
    m.dispose();
  }
});
