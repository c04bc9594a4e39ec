// The wasm boundary never traps. Every export is called directly (through `engine().wasm`) with
// garbage: handles that were never created, freed ones, handles of the wrong kind, sizes that
// overflow, do not match their buffers or would not fit in memory. Each call must end in a typed
// error (or succeed harmlessly on the test's own scratch buffers) — never a trap, which would
// leave the instance unusable (a RefCell borrowed forever, an output buffer taken out of the
// registry and never put back). Afterwards the instance computes exactly what it computed before.
import { afterAll, test as anywhere } from 'vitest';

import fc from 'fast-check';
import {
  dense,
  dispose,
  DisposedError,
  engine,
  Float32Buffer,
  init,
  InvalidArgumentError,
  lstm,
  type Model,
  OutOfMemoryError,
  RecurrentError,
  RecurrentStack,
  sequential,
  embedding,
} from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

afterAll(() => dispose());

const TYPED = new Set(['InvalidArgumentError', 'DisposedError', 'OutOfMemoryError']);

/** Runs `f` through the engine's error mapping; returns the typed error, or undefined on success. */
function attempt(f: () => unknown): RecurrentError | undefined {
  try {
    engine().call(() => f());
    return undefined;
  } catch (e) {
    if (!(e instanceof RecurrentError) || !TYPED.has(e.name)) {
      throw new Error(`expected a typed error, got ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
    return e;
  }
}

/** Something the instance computes with a model and a stack, as raw bits, to compare before and after. */
interface Probe {
  model: Model;
  stack: RecurrentStack;
  run(): Uint32Array[];
  dispose(): void;
}

function probe(): Probe {
  const model = sequential([embedding({ vocabSize: 7, dim: 4 }), lstm({ units: 5, layers: 2 }), dense({ units: 7 })], { seed: 3 });
  const stack = new RecurrentStack({ kind: 'gru', inputSize: 3, hiddenSize: 4, bidirectional: true });
  stack.parameters().forEach((p, i) => stack.setParameter(p.name, Float32Array.from({ length: p.size }, (_, k) => Math.sin(k * 0.37 + i))));
  const x = Float32Array.from({ length: 4 * 2 * 3 }, (_, k) => Math.cos(k * 0.21));
  const bits = (a: Float32Array) => new Uint32Array(a.slice().buffer);
  return {
    model,
    stack,
    run() {
      const f = stack.forward(x, { seqLen: 4, batch: 2, training: true });
      stack.zeroGradients();
      const g = stack.backward({ gy: f.y.map((v) => v * 0.5), stateGradient: true });
      const state = model.zeroState(2);
      const s = model.step([1, 6], state);
      state.dispose();
      const p = model.predict([0, 1, 2, 3, 4, 5], { seqLen: 3, batchSize: 2 });
      return [bits(f.y), bits(f.hN), bits(g.gx!), bits(g.gh0!), bits(stack.gradView().slice()), bits(s), bits(p)];
    },
    dispose() {
      model.dispose();
      stack.dispose();
    },
  };
}

for (const threads of [1, 2] as const) {
  const test = threads === 1 ? anywhere : threadsOnly.test;
  test(`${threads === 1 ? 'simd' : 'threads'} build: handles are generation-checked; stale, freed and foreign handles give DisposedError`, async () => {
    await dispose();
    await init({ threads });
    const w = engine().wasm;
    const start = w.buffer_live_count();
    const a = engine().call((x) => x.buffer_alloc(8));
    engine().call((x) => x.buffer_free(a));
    const b = engine().call((x) => x.buffer_alloc(8));
    // The slot is reused with a new generation: the old handle is stale, the new one works.
    assert.equal(a & 0xfffff, b & 0xfffff);
    assert.notEqual(a, b);
    for (const stale of [a, 0, 0xffffffff, 0xfffff, b + (1 << 20), 12345]) {
      assert.ok(attempt(() => w.buffer_ptr(stale)) instanceof DisposedError, `buffer_ptr(${stale})`);
      assert.ok(attempt(() => w.sum_squares(stale)) instanceof DisposedError, `sum_squares(${stale})`);
      assert.ok(attempt(() => w.buffer_free(stale)) instanceof DisposedError, `buffer_free(${stale})`);
      assert.ok(attempt(() => w.rnn_param_len(stale)) instanceof DisposedError, `rnn_param_len(${stale})`);
    }
    assert.equal(engine().call((x) => x.buffer_len(b)), 8);
    // A buffer handle is not a stack handle (separate registries), and the other way round.
    const stack = new RecurrentStack({ kind: 'rnn_tanh', inputSize: 2, hiddenSize: 2 });
    const live = stack.handle;
    if ((live & 0xfffff) !== (b & 0xfffff) || live >>> 20 !== b >>> 20) {
      assert.ok(attempt(() => w.rnn_param_len(b)) instanceof DisposedError);
    }
    stack.dispose();
    assert.ok(attempt(() => w.rnn_param_table(live)) instanceof DisposedError, 'freed stack');
    assert.ok(attempt(() => w.rnn_free(live)) instanceof DisposedError, 'double free of a stack');
    engine().call((x) => x.buffer_free(b));
    assert.equal(w.buffer_live_count(), start);

    // Objects of the TS API: DisposedError after dispose(), never a read of freed memory.
    const buf = Float32Buffer.from([1, 2, 3]);
    buf.dispose();
    assert.throws(() => buf.read(), DisposedError);
    assert.throws(() => buf.write([1]), DisposedError);
    assert.throws(() => buf.view(), DisposedError);
    assert.throws(() => stack.forward(new Float32Array(2), { seqLen: 1, batch: 1 }), DisposedError);
    assert.throws(() => stack.getParameter('weight_ih_l0'), DisposedError);
    const model = sequential([lstm({ units: 2 })], { inputSize: 2 });
    const state = model.zeroState(1);
    state.dispose();
    assert.throws(() => model.step([0, 0], state), DisposedError);
    model.dispose();
    assert.throws(() => model.predict([0, 0], { seqLen: 1, batchSize: 1 }), DisposedError);
    assert.throws(() => model.zeroState(1), DisposedError);
    assert.equal(w.buffer_live_count(), start);
  });

  test(`${threads === 1 ? 'simd' : 'threads'} build: named bad calls at the ABI give typed errors, allocate nothing, and do not trap`, async () => {
    await dispose();
    await init({ threads });
    const e = engine();
    const w = e.wasm;
    const p = probe();
    const before = p.run();
    const live = w.buffer_live_count();
    const memory = e.memoryBytes;
    const s = p.stack.handle;
    const x = e.call((q) => q.buffer_alloc(24));
    const y = e.call((q) => q.buffer_alloc(64));
    const h = e.call((q) => q.buffer_alloc(16));
    const c = e.call((q) => q.buffer_alloc(16));
    const U = 0xffffffff;
    const none = new Uint32Array(0);
    const cases: [string, () => unknown, new (...a: never[]) => RecurrentError][] = [
      ['rnn_step: batch far larger than the buffers (scratch is not sized first)', () => w.rnn_step(s, 10_000_000, x, h, c, y, 0), InvalidArgumentError],
      ['rnn_step: batch that overflows', () => w.rnn_step(s, 0x7fffffff, x, h, c, y, 0), InvalidArgumentError],
      ['dropout: len 2^32-1 (the mask is not sized first)', () => w.dropout(U, x, y, 0.5, 0, 0), InvalidArgumentError],
      ['dropout: len 2^31-1', () => w.dropout(0x7fffffff, x, y, 0.5, 0, 0), InvalidArgumentError],
      ['dropout: p = 2', () => w.dropout(4, x, y, 2, 0, 0), InvalidArgumentError],
      ['dropout: p = NaN', () => w.dropout(4, x, y, Number.NaN, 0, 0), InvalidArgumentError],
      ['rnn_forward: T x B overflows', () => w.rnn_forward(s, true, false, U, U, x, none, 0, 0, y, h, 0), InvalidArgumentError],
      ['rnn_forward: T = 0', () => w.rnn_forward(s, true, false, 0, 1, x, none, 0, 0, y, h, 0), InvalidArgumentError],
      ['rnn_forward: output aliases input', () => w.rnn_forward(s, false, false, 1, 1, x, none, 0, 0, x, h, 0), InvalidArgumentError],
      ['rnn_forward: lengths beyond T', () => w.rnn_forward(s, false, false, 1, 1, x, new Uint32Array([9]), 0, 0, y, h, 0), InvalidArgumentError],
      ['rnn_forward: a length per sequence', () => w.rnn_forward(s, false, false, 1, 2, x, new Uint32Array([1]), 0, 0, y, h, 0), InvalidArgumentError],
      ['rnn_backward: garbage buffers', () => w.rnn_backward(s, 999, 998, 997, 996, 995, 994, 993), DisposedError],
      ['rnn_create: sizes that overflow', () => w.rnn_create('lstm', U, U, U, true, true, 0, 0), InvalidArgumentError],
      ['rnn_create: more parameters than memory', () => w.rnn_create('lstm', 1 << 20, 1 << 16, 1, true, true, 0, 0), InvalidArgumentError],
      ['rnn_create: zero sizes', () => w.rnn_create('gru', 0, 0, 0, false, true, 0, 0), InvalidArgumentError],
      ['rnn_create: unknown kind', () => w.rnn_create('transformer', 1, 1, 1, false, true, 0, 0), InvalidArgumentError],
      ['buffer_alloc: 2^32-1 floats', () => w.buffer_alloc(U), OutOfMemoryError],
      ['gemm: sizes that overflow', () => w.gemm(false, false, U, U, U, 1, x, 0, U, y, 0, U, 0, h, 0, U), InvalidArgumentError],
      ['gemm: offsets past the end', () => w.gemm(false, false, 2, 2, 2, 1, x, U, 2, y, U, 2, 0, h, U, 2), InvalidArgumentError],
      ['gemm: c is a', () => w.gemm(false, false, 2, 2, 2, 1, x, 0, 2, y, 0, 2, 0, x, 0, 2), InvalidArgumentError],
      ['gemm_reference: sizes that overflow', () => w.gemm_reference(true, true, U, U, U, 1, x, U, y, U, 0, h, U), InvalidArgumentError],
      ['dense_xent: sizes that overflow', () => w.dense_xent(U, U, U, x, y, 0, new Uint32Array(3), 0, -1, false, h, 0, 0, 0, 0, false), InvalidArgumentError],
      ['dense_xent: target out of range', () => w.dense_xent(2, 2, 2, x, y, 0, new Uint32Array([5, 9]), 0, -1, false, h, 0, 0, 0, 0, false), InvalidArgumentError],
      ['dense_xent: too few targets', () => w.dense_xent(2, 2, 2, x, y, 0, new Uint32Array([1]), 0, -1, false, h, 0, 0, 0, 0, false), InvalidArgumentError],
      ['dense_logits: sizes that overflow', () => w.dense_logits(U, U, U, x, y, 0, h, true), InvalidArgumentError],
      ['dense_forward: sizes that overflow', () => w.dense_forward(U, U, U, x, y, 0, h), InvalidArgumentError],
      ['dense_backward: sizes that overflow', () => w.dense_backward(U, U, U, x, y, c, h, 0, 0, false), InvalidArgumentError],
      ['mse: len past the buffers', () => w.mse(U, x, y, h, false), InvalidArgumentError],
      ['embedding_forward: id out of the vocabulary', () => w.embedding_forward(2, 2, new Uint32Array([7]), x, y), InvalidArgumentError],
      ['embedding_forward: table that overflows', () => w.embedding_forward(U, U, new Uint32Array([7]), x, y), InvalidArgumentError],
      ['embedding_backward: id out of the vocabulary', () => w.embedding_backward(2, 2, new Uint32Array([7]), x, y), InvalidArgumentError],
      ['optim_sgd: lengths differ', () => w.optim_sgd(x, y, 0.1, 0, 1), InvalidArgumentError],
      ['optim_sgd: params is grads', () => w.optim_sgd(x, x, 0.1, 0, 1), InvalidArgumentError],
      ['optim_sgd: lr NaN', () => w.optim_sgd(h, c, Number.NaN, 0, 1), InvalidArgumentError],
      ['optim_momentum: lengths differ', () => w.optim_momentum(h, c, x, 1, 0.1, 0.9, 0, false, 0, 1), InvalidArgumentError],
      ['optim_adam: lengths differ', () => w.optim_adam(h, c, x, y, 1, 0.1, 0.9, 0.9, 1e-8, 0, 1, false), InvalidArgumentError],
      ['optim_adam: m is v', () => w.optim_adam(h, c, x, x, 1, 0.1, 0.9, 0.9, 1e-8, 0, 1, false), InvalidArgumentError],
      ['rnn_free: a buffer handle', () => w.rnn_free(12345), DisposedError],
    ];
    for (const [name, f, kind] of cases) {
      const err = attempt(f);
      assert.ok(err instanceof kind, `${name}: expected ${kind.name}, got ${err ? `${err.name}: ${err.message}` : 'success'}`);
      assert.ok(err.message.length > 20, name);
    }
    // Nothing big was allocated on the way to an error (the instance's memory did not grow by
    // the megabytes a wrongly sized scratch or mask would take), and nothing leaked.
    assert.ok(e.memoryBytes - memory < 1 << 20, `memory grew by ${e.memoryBytes - memory} bytes`);
    for (const b of [x, y, h, c]) e.call((q) => q.buffer_free(b));
    assert.equal(w.buffer_live_count(), live);
    assert.deepEqual(p.run(), before, 'the instance computes exactly what it did before');
    p.dispose();
  });

  test(`${threads === 1 ? 'simd' : 'threads'} build: thousands of random calls to every export end in a typed error or succeed, never trap`, async () => {
    await dispose();
    await init({ threads });
    const e = engine();
    const w = e.wasm;
    const p = probe();
    const before = p.run();
    const live = w.buffer_live_count();
    const memory = e.memoryBytes;
    // The test's own scratch objects: calls may succeed on them. Everything else is garbage:
    // never-created, freed, or far out of range.
    const scratch = [1, 3, 8, 24, 64, 200].map((n) => e.call((q) => q.buffer_alloc(n)));
    const stacks = [
      e.call((q) => q.rnn_create('lstm', 3, 4, 1, false, true, 0, 0)),
      e.call((q) => q.rnn_create('gru_reset_before', 2, 3, 2, true, true, 0, 0)),
      e.call((q) => q.rnn_create('rnn_relu', 1, 2, 1, false, true, 0, 0)),
    ];
    const freedBuffer = e.call((q) => q.buffer_alloc(4));
    e.call((q) => q.buffer_free(freedBuffer));
    const handle = fc.oneof(
      fc.constantFrom(...scratch, ...scratch),
      fc.constantFrom(0, 1, freedBuffer, 0xffffffff, 0xfffff, 1 << 20, (7 << 20) | 3, 987654321),
    );
    const stackHandle = fc.oneof(fc.constantFrom(...stacks, ...stacks), fc.constantFrom(0, freedBuffer, scratch[0]!, 0xffffffff, 424242));
    const size = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff, 1 << 20, 10_000_000), fc.nat());
    const float = fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1e38, -1e-40));
    const ids = fc.uint32Array({ maxLength: 8 }).chain((a) => fc.constantFrom(a, a.map((v) => v % 5)));
    const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const kind = fc.constantFrom('lstm', 'gru', 'rnn_tanh', 'nope', '', 'lstm_peephole');
    const call = fc.oneof(
      fc.tuple(fc.constant('buffer_ptr'), handle).map(([n, a]) => [n, () => w.buffer_ptr(a)] as const),
      fc.tuple(fc.constant('buffer_len'), handle).map(([n, a]) => [n, () => w.buffer_len(a)] as const),
      fc.tuple(fc.constant('buffer_free(garbage)'), fc.constantFrom(0, freedBuffer, 0xffffffff, 77)).map(([n, a]) => [n, () => w.buffer_free(a)] as const),
      fc.tuple(fc.constant('buffer_alloc(too big)'), fc.constantFrom(0xffffffff, 0xc0000000, 805306369)).map(([n, a]) => [n, () => w.buffer_alloc(a)] as const),
      fc.tuple(fc.constant('gemm'), fc.boolean(), fc.boolean(), size, size, size, float, handle, size, size, handle, size, size, float, handle, size, size)
        .map(([n, ta, tb, m, nn, k, al, a, ao, lda, b, bo, ldb, be, c, co, ldc]) => [n, () => w.gemm(ta, tb, m, nn, k, al, a, ao, lda, b, bo, ldb, be, c, co, ldc)] as const),
      fc.tuple(fc.constant('gemm_reference'), fc.boolean(), fc.boolean(), size, size, size, float, handle, size, handle, size, float, handle, size)
        .map(([n, ta, tb, m, nn, k, al, a, lda, b, ldb, be, c, ldc]) => [n, () => w.gemm_reference(ta, tb, m, nn, k, al, a, lda, b, ldb, be, c, ldc)] as const),
      fc.tuple(fc.constant('rnn_create(bad)'), kind, fc.constantFrom(0, 0xffffffff, 3), fc.constantFrom(0, 0xffffffff, 0x10000000, 2), fc.constantFrom(0, 0xffffffff, 1), fc.boolean())
        .filter(([, k, i, hh, l]) => k === 'nope' || k === '' || i !== 3 || hh !== 2 || l !== 1)
        .map(([n, k, i, hh, l, bi]) => [n, () => w.rnn_free(w.rnn_create(k, i, hh, l, bi, true, 0, 0))] as const),
      fc.tuple(fc.constant('rnn_free(garbage)'), fc.constantFrom(0, freedBuffer, 0xffffffff, 31337)).map(([n, a]) => [n, () => w.rnn_free(a)] as const),
      fc.tuple(fc.constant('rnn_param_len'), stackHandle).map(([n, a]) => [n, () => w.rnn_param_len(a)] as const),
      fc.tuple(fc.constant('rnn_param_table'), stackHandle).map(([n, a]) => [n, () => w.rnn_param_table(a)] as const),
      fc.tuple(fc.constant('rnn_tape_floats'), stackHandle).map(([n, a]) => [n, () => w.rnn_tape_floats(a)] as const),
      fc.tuple(fc.constant('rnn_forward'), stackHandle, fc.boolean(), fc.boolean(), size, size, handle, ids, handle, handle, handle, handle, handle)
        .map(([n, s, tr, bm, t, b, x, l, h0, c0, y, hn, cn]) => [n, () => w.rnn_forward(s, tr, bm, t, b, x, l, h0, c0, y, hn, cn)] as const),
      fc.tuple(fc.constant('rnn_backward'), stackHandle, handle, handle, handle, handle, handle, handle, handle)
        .map(([n, s, a, b, c, d, f, g, hh]) => [n, () => w.rnn_backward(s, a, b, c, d, f, g, hh)] as const),
      fc.tuple(fc.constant('rnn_step'), stackHandle, size, handle, handle, handle, handle)
        .map(([n, s, b, x, hh, c, y]) => [n, () => w.rnn_step(s, b, x, hh, c, y, 0)] as const),
      fc.tuple(fc.constant('dense_xent'), size, size, size, handle, handle, handle, ids, handle, i32, fc.boolean(), handle, handle, handle, handle, handle, fc.boolean())
        .map(([n, a, b, c, x, ww, bb, t, wt, ig, red, sc, lo, dw, db, dx, acc]) => [n, () => w.dense_xent(a, b, c, x, ww, bb, t, wt, ig, red, sc, lo, dw, db, dx, acc)] as const),
      fc.tuple(fc.constant('dense_logits'), size, size, size, handle, handle, handle, handle, fc.boolean())
        .map(([n, a, b, c, x, ww, bb, o, ls]) => [n, () => w.dense_logits(a, b, c, x, ww, bb, o, ls)] as const),
      fc.tuple(fc.constant('dense_forward'), size, size, size, handle, handle, handle, handle)
        .map(([n, a, b, c, x, ww, bb, y]) => [n, () => w.dense_forward(a, b, c, x, ww, bb, y)] as const),
      fc.tuple(fc.constant('dense_backward'), size, size, size, handle, handle, handle, handle, handle, handle, fc.boolean())
        .map(([n, a, b, c, x, ww, dy, dw, db, dx, acc]) => [n, () => w.dense_backward(a, b, c, x, ww, dy, dw, db, dx, acc)] as const),
      fc.tuple(fc.constant('mse'), size, handle, handle, handle, fc.boolean()).map(([n, l, a, b, c, acc]) => [n, () => w.mse(l, a, b, c, acc)] as const),
      fc.tuple(fc.constant('embedding_forward'), size, size, ids, handle, handle).map(([n, v, d, i, t, o]) => [n, () => w.embedding_forward(v, d, i, t, o)] as const),
      fc.tuple(fc.constant('embedding_backward'), size, size, ids, handle, handle).map(([n, v, d, i, t, o]) => [n, () => w.embedding_backward(v, d, i, t, o)] as const),
      fc.tuple(fc.constant('sum_squares'), handle).map(([n, a]) => [n, () => w.sum_squares(a)] as const),
      fc.tuple(fc.constant('all_finite'), handle).map(([n, a]) => [n, () => w.all_finite(a)] as const),
      fc.tuple(fc.constant('scale_buffer'), handle, float).map(([n, a, f]) => [n, () => w.scale_buffer(a, f)] as const),
      fc.tuple(fc.constant('optim_sgd'), handle, handle, float, float, float).map(([n, a, b, lr, wd, gs]) => [n, () => w.optim_sgd(a, b, lr, wd, gs)] as const),
      fc.tuple(fc.constant('optim_momentum'), handle, handle, handle, size, float, float, float, fc.boolean(), float, float)
        .map(([n, a, b, v, st, lr, mo, da, ne, wd, gs]) => [n, () => w.optim_momentum(a, b, v, st, lr, mo, da, ne, wd, gs)] as const),
      fc.tuple(fc.constant('optim_adam'), handle, handle, handle, handle, size, float, float, float, float, float, float, fc.boolean())
        .map(([n, a, b, m, v, st, lr, b1, b2, ep, wd, gs, dec]) => [n, () => w.optim_adam(a, b, m, v, st, lr, b1, b2, ep, wd, gs, dec)] as const),
      fc.tuple(fc.constant('dropout'), size, handle, handle, float, size, size).map(([n, l, x, o, pp, hi, lo]) => [n, () => w.dropout(l, x, o, pp, hi, lo)] as const),
    );
    let tried = 0;
    let failed = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(call, ([name, f]) => {
        tried++;
        seen.add(name);
        let err: RecurrentError | undefined;
        try {
          err = attempt(f);
        } catch (cause) {
          throw new Error(`${name}: ${(cause as Error).message}`, { cause });
        }
        if (err) failed++;
      }),
      { numRuns: 3000, seed: 8 + threads },
    );
    console.log(`[abi fuzz, ${threads} thread(s)] ${tried} random export calls (${failed} typed errors, ${tried - failed} harmless successes), ${seen.size} exports`);
    assert.ok(seen.size >= 25);
    assert.ok(e.memoryBytes - memory < 16 << 20, `memory grew by ${e.memoryBytes - memory} bytes`);
    for (const b of scratch) e.call((q) => q.buffer_free(b));
    for (const s of stacks) e.call((q) => q.rnn_free(s));
    assert.equal(w.buffer_live_count(), live);
    assert.deepEqual(p.run(), before, 'the instance computes exactly what it did before');
    p.dispose();
  });
}
