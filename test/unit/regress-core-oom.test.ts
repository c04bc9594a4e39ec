// Issue 11, items 1 and 20: running out of wasm memory is an OutOfMemoryError, and the engine
// is usable afterwards. Memory is filled for real, at the real ceiling: the test grows the
// instance's memory from JS to a few pages below 4 GiB (pages nobody touches cost no RAM),
// then allocates buffers until not even one float fits. Every call made then must end in a
// typed error or succeed (before the fix the first small allocation trapped, `unreachable`,
// and every later call trapped too, dispose() included). Then the memory is given back and
// everything computes exactly what it computed before.
import { afterAll, test as anywhere } from 'vitest';

import {
  dispose,
  type Engine,
  Float32Buffer,
  gemm,
  gru,
  init,
  OutOfMemoryError,
  RecurrentError,
  RecurrentStack,
  rnn,
  sequential,
} from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';

afterAll(() => dispose());

/** 4 GiB: the most wasm32 memory can hold, in both builds. */
const MAX_MEMORY = 2 ** 32;

/**
 * Grows memory to 4 GiB minus 1 MiB, then fills what is left with buffers: of 2^16 floats
 * (256 KiB) while they fit, then ever smaller ones down to one float.
 */
function exhaust(e: Engine): Float32Buffer[] {
  const page = 65536;
  const left = MAX_MEMORY / page - e.memory.buffer.byteLength / page;
  if (left > 16) e.memory.grow(left - 16);
  const fill: Float32Buffer[] = [];
  for (let n = 1 << 16; n >= 1; ) {
    try {
      fill.push(new Float32Buffer(n));
    } catch (err) {
      assert.ok(err instanceof OutOfMemoryError, `filling: ${(err as Error).name}: ${(err as Error).message}`);
      n >>= 1;
    }
  }
  return fill;
}

/** Runs `f`: success, or an OutOfMemoryError; anything else (a trap above all) fails the test. */
function oomOrOk(what: string, f: () => unknown): 'ok' | 'oom' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof OutOfMemoryError) return 'oom';
    throw new Error(`${what}: expected success or OutOfMemoryError, got ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
  }
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** A GRU and an LSTM model with fixed weights; returns what they compute, as bits. */
function probe(): { run(): number[][]; dispose(): void } {
  const stack = new RecurrentStack({ kind: 'gru', inputSize: 3, hiddenSize: 8 });
  stack.parameters().forEach((p, i) => stack.setParameter(p.name, Float32Array.from({ length: p.size }, (_, k) => Math.sin(k * 0.3 + i))));
  const model = sequential([rnn({ units: 6 })], { inputSize: 2, seed: 4 });
  const x = Float32Array.from({ length: 5 * 6 * 3 }, (_, k) => Math.cos(k * 0.17));
  return {
    run() {
      const f = stack.forward(x, { seqLen: 5, batch: 6, training: true });
      stack.zeroGradients();
      const g = stack.backward({ gy: f.y });
      const p = model.predict(Float32Array.from({ length: 8 }, (_, k) => k / 8), { seqLen: 2, batchSize: 2 });
      return [bits(f.y), bits(g.gx!), bits(stack.gradView()), bits(p)];
    },
    dispose() {
      stack.dispose();
      model.dispose();
    },
  };
}

// First: the other tests leave memory grown to 4 GiB, and this model takes 134 MB.
anywhere('item 20: zeroState(2^20) of 4,096 units is an OutOfMemoryError with the bytes asked for and the limit', async () => {
  await dispose();
  await init({ threads: 1 });
  const model = sequential([rnn({ units: 4096 })], { inputSize: 1 });
  assert.throws(
    () => model.zeroState(2 ** 20),
    (err: unknown) =>
      err instanceof OutOfMemoryError && /4294967296 floats \(17179869184 bytes\)/.test(err.message) && /at most 4294967296 bytes/.test(err.message),
  );
  assert.throws(() => new Float32Buffer(2 ** 32), OutOfMemoryError);
  // Over what one wasm allocation can hold but under 2^32 floats: the same kind, from the engine.
  assert.throws(
    () => new Float32Buffer(2 ** 30),
    (err: unknown) => err instanceof OutOfMemoryError && /4294967296 bytes/.test(err.message),
  );
  assert.throws(() => new Float32Buffer(-1), (err: unknown) => err instanceof RecurrentError && err.name === 'InvalidArgumentError');
  model.dispose();
});

for (const threads of [1, 2] as const) {
  const build = threads === 1 ? 'simd' : 'threads';
  // Pages grow memory to 4 GiB too (Chromium's wasm32 limit); only the threaded build needs isolation.
  const test = threads === 1 ? anywhere : threadsOnly.test;

  test(`${build} build: with memory full, small calls give OutOfMemoryError (never a trap), and the engine works afterwards`, async () => {
    await dispose();
    const e = await init({ threads });
    const p = probe();
    const before = p.run();
    const live = e.wasm.buffer_live_count();

    // Everything the calls under test need, made while there is memory.
    const stack = new RecurrentStack({ kind: 'lstm', inputSize: 4, hiddenSize: 16 });
    const T = 3;
    const B = 5;
    const x = new Float32Buffer(T * B * 4);
    const y = new Float32Buffer(T * B * 16);
    const hN = new Float32Buffer(B * 16);
    const cN = new Float32Buffer(B * 16);
    const values = (n: number) => Float32Buffer.from(Array.from({ length: n }, (_, k) => (k % 7) / 7));
    const ex = values(6 * 8);
    const ew = values(5 * 8);
    const eb = values(5);
    const scratch = values(6 * 5);
    const table = new Float32Buffer(10 * 8);
    const embedded = new Float32Buffer(4 * 8);
    const drop = Float32Buffer.from(Array.from({ length: 4096 }, (_, k) => k));
    const ga = Float32Buffer.from(Array.from({ length: 300 * 300 }, (_, k) => (k % 13) / 13));
    const gb = Float32Buffer.from(Array.from({ length: 300 * 300 }, (_, k) => (k % 11) / 11));
    const gc = new Float32Buffer(300 * 300);
    // A GRU that never ran: its first training forward must pack W_hh (768 x 256 floats).
    const big = new RecurrentStack({ kind: 'gru', inputSize: 2, hiddenSize: 256 });
    const bx = new Float32Buffer(8 * 2);
    const by = new Float32Buffer(8 * 256);
    const bh = new Float32Buffer(8 * 256);

    const fill = exhaust(e);
    assert.ok(e.memoryBytes > MAX_MEMORY - (1 << 20), `memory at ${e.memoryBytes} bytes`);
    const calls: [string, () => unknown][] = [
      ['new Float32Buffer(1)', () => new Float32Buffer(1).dispose()],
      ['new Float32Buffer(0)', () => new Float32Buffer(0).dispose()],
      ['Float32Buffer.from', () => Float32Buffer.from([1, 2, 3]).dispose()],
      ['new RecurrentStack (kind, parameter table)', () => new RecurrentStack({ kind: 'gru_reset_before', inputSize: 2, hiddenSize: 3 }).dispose()],
      ['a model', () => sequential([gru({ units: 3 })], { inputSize: 2 }).dispose()],
      ['rnn_param_table (a string out)', () => e.call((q) => q.rnn_param_table(stack.handle))],
      ['rnn_forward with lengths (an array in) and a new tape', () =>
        stack.forwardInto({ training: true, seqLen: T, batch: B, x, lengths: new Uint32Array([3, 1, 2, 3, 3]), y, hN, cN })],
      ['rnn_step (new step scratch)', () => stack.stepInto(B, x, hN, cN, y)],
      ['dense_xent (an array in, an array out)', () =>
        e.call((q) => q.dense_xent(6, 8, 5, ex.handle, ew.handle, eb.handle, new Uint32Array([0, 1, 2, 3, 4, 0]), 0, -1, false, scratch.handle, 0, 0, 0, 0, false))],
      ['embedding_forward (ids in)', () => e.call((q) => q.embedding_forward(10, 8, new Uint32Array([1, 2, 3, 9]), table.handle, embedded.handle))],
      ['dropout in place (a copy and a mask)', () => e.call((q) => q.dropout(4096, drop.handle, drop.handle, 0.5, 0, 7))],
      ['gemm 300x300x300 (tile scratch)', () => gemm(300, 300, 300, ga, gb, gc)],
    ];
    const outcome: Record<string, string> = {};
    for (const [name, f] of calls) outcome[name] = oomOrOk(name, f);
    // With not one float free, these cannot succeed: they must allocate.
    for (const name of ['new Float32Buffer(1)', 'Float32Buffer.from', 'new RecurrentStack (kind, parameter table)', 'rnn_param_table (a string out)', 'dense_xent (an array in, an array out)']) {
      assert.equal(outcome[name], 'oom', name);
    }
    // The message says how much was asked and what the memory holds at most.
    assert.throws(
      () => new Float32Buffer(1000),
      (err: unknown) => err instanceof OutOfMemoryError && /4000 bytes/.test(err.message) && /at most 4294967296/.test(err.message),
    );
    console.log(`[oom, ${build}] memory ${e.memoryBytes} bytes, ${fill.length} filler buffers; ${JSON.stringify(outcome)}`);

    // Freeing works with memory full, and what was freed can be used again at once.
    fill.pop()!.dispose();
    new Float32Buffer(1).dispose();

    // Packing W_hh: room for a small tape but not for the packed recurrent weights.
    const quarterMiB = fill.findIndex((b) => b.length === 1 << 16);
    assert.ok(quarterMiB >= 0, 'a 256 KiB filler to free');
    fill.splice(quarterMiB, 1)[0]!.dispose();
    assert.throws(
      () => big.forwardInto({ training: true, seqLen: 1, batch: 8, x: bx, lengths: new Uint32Array(0), y: by, hN: bh }),
      (err: unknown) => err instanceof OutOfMemoryError && /packed weights/.test(err.message),
    );

    for (const b of fill) b.dispose();
    // Everything works again, with the same results as before memory ran out.
    big.forwardInto({ training: true, seqLen: 1, batch: 8, x: bx, lengths: new Uint32Array(0), y: by, hN: bh });
    stack.forwardInto({ training: true, seqLen: T, batch: B, x, lengths: new Uint32Array([3, 1, 2, 3, 3]), y, hN, cN });
    stack.backwardInto({ gy: y });
    assert.deepEqual(p.run(), before, 'the engine computes exactly what it computed before');
    for (const b of [stack, x, y, hN, cN, ex, ew, eb, scratch, table, embedded, drop, ga, gb, gc, big, bx, by, bh]) b.dispose();
    assert.equal(e.wasm.buffer_live_count(), live, 'every buffer was freed');
    p.dispose();
    await dispose();
    await init({ threads });
    const q = probe();
    assert.deepEqual(q.run(), before);
    q.dispose();
  });
}
