// GEMM in both wasm builds against a float64 JS reference: exhaustive small cubes, odd sizes,
// every transpose combination, alpha/beta (beta = 0 over NaN), padded leading dimensions,
// and bit-identical results for 1 and 2 threads and across builds.
import { afterAll, describe, test as anywhere } from 'vitest';

import { dispose, Float32Buffer, gemm, init, InvalidArgumentError, type Engine } from 'recurrent';

import assert from '../support/assert.js';
import { threadsOnly } from '../support/env.js';
import { type GemmCase, gemmReference, storage } from '../support/gemm-reference.js';
import { randomF32, rng } from '../support/random.js';

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Runs one case through the engine's kernel; returns C, and A/B/C inputs for the reference. */
function run(c: GemmCase, seed: number, fillC: number | 'random') {
  const next = rng(seed);
  const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const a = randomF32(storage(aRows, aCols, c.lda), next);
  const b = randomF32(storage(bRows, bCols, c.ldb), next);
  const cIn = fillC === 'random' ? randomF32(storage(c.m, c.n, c.ldc), next) : new Float32Array(storage(c.m, c.n, c.ldc)).fill(fillC);
  const [ba, bb, bc] = [Float32Buffer.from(a), Float32Buffer.from(b), Float32Buffer.from(cIn)];
  try {
    gemm(c.m, c.n, c.k, ba, bb, bc, c);
    return { out: bc.read(), a, b, cIn };
  } finally {
    ba.dispose();
    bb.dispose();
    bc.dispose();
  }
}

function check(c: GemmCase, seed: number, fillC: number | 'random' = 'random'): Float32Array {
  const { out, a, b, cIn } = run(c, seed, fillC);
  const want = gemmReference(c, a, b, fillC === 'random' || c.beta !== 0 ? cIn : new Float32Array(cIn.length));
  // Each product term carries ~1 ulp; sums of k terms of magnitude <= 1 drift by ~k ulp.
  const tol = 4e-7 * (c.k + 2) * Math.max(1, Math.abs(c.alpha)) + 1e-6;
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.ldc; j++) {
      const idx = i * c.ldc + j;
      if (idx >= out.length) break;
      if (j >= c.n) {
        // Padding between rows of C must be untouched.
        assert.ok(Object.is(out[idx], cIn[idx]), `padding C[${i},${j}] changed for ${JSON.stringify(c)}`);
        continue;
      }
      const got = out[idx]!;
      const diff = Math.abs(got - want[idx]!);
      if (!(diff <= tol)) assert.fail(`C[${i},${j}] = ${got}, want ${want[idx]} (|diff| ${diff} > ${tol}) for ${JSON.stringify(c)}`);
    }
  }
  return out;
}

function plain(m: number, n: number, k: number, transA: boolean, transB: boolean, extra: Partial<GemmCase> = {}): GemmCase {
  return { transA, transB, m, n, k, alpha: 1, beta: 0, lda: transA ? m : k, ldb: transB ? k : n, ldc: n, ...extra };
}

for (const threads of [1, 2] as const) {
  describe(`gemm, ${threads === 1 ? 'simd build' : 'threads build, 2 threads'}`, () => {
    const test = threads === 1 ? anywhere : threadsOnly.test;
    let engine: Engine;
    test('loads the requested build', async () => {
      await dispose();
      engine = await init({ threads });
      assert.equal(engine.build, threads === 1 ? 'simd' : 'threads');
      assert.equal(engine.threads, threads);
      assert.equal(engine.simd, true);
    });

    test('every size 0..20 in small cubes, all transposes', () => {
      let seed = 1;
      for (let m = 0; m <= 20; m++)
        for (let n = 0; n <= 20; n++)
          for (let k = 0; k <= 20; k += m + n < 20 ? 1 : 3)
            for (const [ta, tb] of TRANSPOSES) check(plain(m, n, k, ta, tb), seed++);
    });

    test('odd sizes 1, 3, 17, 33, 127, 255 mixed', () => {
      const sizes = [1, 3, 17, 33, 127, 255];
      let seed = 100;
      for (const m of sizes)
        for (const n of sizes)
          for (const k of [1, 17, 255])
            if (m * n * k <= 2_100_000) for (const [ta, tb] of TRANSPOSES) check(plain(m, n, k, ta, tb), seed++);
    });

    test('alpha and beta, beta = 0 over NaN, padded leading dimensions', () => {
      let seed = 1000;
      for (const [ta, tb] of TRANSPOSES) {
        for (const [alpha, beta] of [[1, 1], [-0.5, 2], [2.5, -1], [0, 1], [1.5, 0]] as const) {
          check(plain(19, 23, 29, ta, tb, { alpha, beta }), seed++);
        }
        // beta = 0 must overwrite NaN, never read it.
        check(plain(17, 33, 9, ta, tb, { beta: 0 }), seed++, Number.NaN);
        const base = plain(13, 21, 37, ta, tb);
        check({ ...base, lda: base.lda + 5, ldb: base.ldb + 3, ldc: base.ldc + 7, beta: 0.5 }, seed++);
      }
    });

    test('matches the scalar reference kernel of the same build', () => {
      const c = plain(67, 45, 131, true, false, { beta: 0.25 });
      const fast = run(c, 7, 'random').out;
      const next = rng(7);
      const a = Float32Buffer.from(randomF32(storage(c.k, c.m, c.lda), next));
      const b = Float32Buffer.from(randomF32(storage(c.k, c.n, c.ldb), next));
      const cc = Float32Buffer.from(randomF32(storage(c.m, c.n, c.ldc), next));
      gemm(c.m, c.n, c.k, a, b, cc, { ...c, reference: true });
      const ref = cc.read();
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - fast[i]!));
      assert.ok(worst < 1e-4, `fast kernel differs from the reference kernel by ${worst}`);
      [a, b, cc].forEach((x) => x.dispose());
    });

    test('bad arguments throw InvalidArgumentError and leave C unchanged', () => {
      const a = Float32Buffer.from(new Float32Array(12).fill(1));
      const c = Float32Buffer.from(new Float32Array(9).fill(7));
      assert.throws(() => gemm(3, 3, 5, a, a, c), InvalidArgumentError);
      assert.throws(() => gemm(3, 3, 4, a, a, c, { lda: 2 }), /lda/);
      assert.throws(() => gemm(3, 3, 4, a, a, a), /different buffer/);
      assert.throws(() => gemm(-1, 3, 4, a, a, c), /`m`/);
      assert.throws(() => gemm(3, 3, 4, a, a, c, { cOffset: 10 }), InvalidArgumentError);
      assert.deepEqual([...c.read()], new Array(9).fill(7));
      a.dispose();
      c.dispose();
    });
  });
}

describe('threads give identical bits', () => {
  const shapes: [number, number, number, boolean, boolean][] = [
    [32, 1024, 256, false, true],
    [1, 1024, 256, false, true],
    [1120, 1024, 28, false, true],
    [1024, 256, 1120, true, false],
    [127, 255, 33, true, true],
    [3, 17, 1, false, false],
    [255, 127, 64, false, false],
  ];

  function compute(engineThreads: number, shape: (typeof shapes)[number], seed: number, e: Engine): Float32Array {
    e.setThreads(engineThreads);
    const [m, n, k, transA, transB] = shape;
    return run(plain(m, n, k, transA, transB, { beta: 0.5 }), seed, 'random').out;
  }

  threadsOnly.test('1 and 2 threads, and the simd build, agree bit for bit; 1000 alternating calls', async () => {
    await dispose();
    const single = await init({ threads: 1 });
    const expected = shapes.map((s, i) => compute(1, s, i, single));
    await dispose();
    const e = await init({ threads: 2 });
    assert.equal(e.build, 'threads');
    for (let call = 0; call < 1000; call++) {
      const i = call % shapes.length;
      const shape = shapes[i]!;
      // Large shapes only every few calls: the point is alternation, not volume.
      if (shape[0] * shape[1] * shape[2] > 2e6 && call % 50 >= shapes.length) continue;
      const got = compute(1 + (call % 2), shape, i, e);
      assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(expected[i]!.buffer), `call ${call}, shape ${shape.join('x')}`);
    }
  });
});

afterAll(() => dispose());
