// Issue 18: the kernels with fused multiply-add (the relaxed builds, `f32x4.relaxed_madd`)
// against the float64 reference, with stated bounds, beside the baseline builds: GEMM over odd
// sizes (1, 3, 17, 33, 127 in every dimension, both paths, every transpose), the activations'
// error in ulp (measured again for the relaxed build), training steps that differ from the
// baseline build by rounding only, and bit-identical results for 1 and 2 threads within the
// relaxed-threads build.
import { afterAll, describe, test as anywhere } from 'vitest';

import { dense, dispose, Float32Buffer, gemm, hasRelaxedSimd, init, lstm, gru, oneHot, Optimizer, sequential, sgd, type Engine } from 'recurrent';

import assert from '../support/assert.js';
import { onlyIf, threadsOnly } from '../support/env.js';
import { type GemmCase, gemmReference, storage } from '../support/gemm-reference.js';
import { randomF32, rng } from '../support/random.js';

afterAll(() => dispose());

type Level = 'baseline' | 'relaxed';
const LEVELS: Level[] = hasRelaxedSimd() ? ['baseline', 'relaxed'] : ['baseline'];
const SIZES = [1, 3, 17, 33, 127];
/** float32's unit roundoff. */
const U = 2 ** -24;

async function engineAt(level: Level, threads = 1): Promise<Engine> {
  await dispose();
  return init({ threads, simd: level });
}

/**
 * C = alpha op(A) op(B) + beta C on `e`; returns C and the bound of each element against the
 * exact result: with s = |alpha| sum_p |a_ip b_pj| + |beta c_ij|, any order of the k products'
 * summation, fused or not, plus the write-back's roundings, stays within
 * gamma_(k+3) s = (k+3)u / (1 - (k+3)u) s (Higham, Accuracy and Stability, 3.1 and 3.5).
 */
function runGemm(c: GemmCase, seed: number): { out: Float32Array; want: Float64Array; bound: Float64Array } {
  const next = rng(seed);
  const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const a = randomF32(storage(aRows, aCols, c.lda), next);
  const b = randomF32(storage(bRows, bCols, c.ldb), next);
  const cIn = randomF32(storage(c.m, c.n, c.ldc), next);
  const [ba, bb, bc] = [Float32Buffer.from(a), Float32Buffer.from(b), Float32Buffer.from(cIn)];
  let out: Float32Array;
  try {
    gemm(c.m, c.n, c.k, ba, bb, bc, c);
    out = bc.read();
  } finally {
    for (const x of [ba, bb, bc]) x.dispose();
  }
  const want = gemmReference(c, a, b, cIn);
  const abs = (x: Float32Array) => x.map(Math.abs);
  const mag = gemmReference({ ...c, alpha: Math.abs(c.alpha), beta: Math.abs(c.beta) }, abs(a), abs(b), abs(cIn));
  const g = ((c.k + 3) * U) / (1 - (c.k + 3) * U);
  return { out, want, bound: mag.map((s) => g * s + 1e-30) };
}

const cases: GemmCase[] = [];
for (const m of SIZES) {
  for (const n of SIZES) {
    for (const k of SIZES) {
      const [transA, transB] = [(m + n + k) % 2 === 1, (m * n + k) % 3 === 0];
      cases.push({ transA, transB, m, n, k, alpha: 1.25, beta: 0.5, lda: transA ? m : k, ldb: transB ? k : n, ldc: n });
    }
  }
}
// Every transpose combination at the largest odd size (the packed path with edges everywhere).
for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  cases.push({ transA, transB, m: 127, n: 127, k: 127, alpha: -1, beta: 0, lda: transA ? 127 : 127, ldb: 127, ldc: 127 });
}

describe('GEMM against the float64 reference, within gamma_(k+3) of sum |alpha a b| + |beta c|', () => {
  for (const level of LEVELS) {
    anywhere(`${level} build: ${cases.length} shapes over sizes ${SIZES.join(', ')}, both paths, every transpose`, async ({ annotate }) => {
      await engineAt(level);
      let worst = 0;
      for (const [i, c] of cases.entries()) {
        const { out, want, bound } = runGemm(c, 9000 + i);
        for (let r = 0; r < c.m; r++) {
          for (let j = 0; j < c.n; j++) {
            const idx = r * c.ldc + j;
            const err = Math.abs(out[idx]! - want[idx]!);
            worst = Math.max(worst, err / bound[idx]!);
            if (!(err <= bound[idx]!)) assert.fail(`${level} C[${r},${j}] = ${out[idx]}, exact ${want[idx]}, |err| ${err} > bound ${bound[idx]} for ${JSON.stringify(c)}`);
          }
        }
      }
      await annotate(`${level}: the largest error is ${(worst * 100).toFixed(1)}% of its bound`);
    });
  }

  onlyIf(hasRelaxedSimd(), 'needs relaxed SIMD').test('the relaxed build differs from the baseline build by rounding only (and FMA changes some bits)', async ({ annotate }) => {
    const results: Record<Level, Float32Array[]> = { baseline: [], relaxed: [] };
    for (const level of LEVELS) {
      await engineAt(level);
      for (const [i, c] of cases.entries()) results[level].push(runGemm(c, 9000 + i).out);
    }
    let differ = 0;
    let total = 0;
    for (const [i, c] of cases.entries()) {
      const { bound } = runGemm(c, 9000 + i);
      const [b, r] = [results.baseline[i]!, results.relaxed[i]!];
      for (let idx = 0; idx < b.length; idx++) {
        if (idx % c.ldc >= c.n) continue;
        total++;
        if (!Object.is(b[idx], r[idx])) differ++;
        assert.ok(Math.abs(b[idx]! - r[idx]!) <= 2 * bound[idx]!, `case ${i} element ${idx}: ${b[idx]} vs ${r[idx]}`);
      }
    }
    // Where the engine fuses relaxed_madd (x64 with FMA3, ARM64), products are rounded once.
    await annotate(`${differ} of ${total} elements differ in their bits between the two builds`);
  });
});

/** Error of f32 `got` against the exact `want`, in ulp of f32 at `want`; NaN below the normal range. */
function ulps(got: number, want: number): number {
  const a = Math.abs(want);
  if (a < 2 ** -126) return Number.NaN;
  return Math.abs(got - want) / 2 ** (Math.floor(Math.log2(a)) - 23);
}

const ACTIVATIONS = [
  { which: 0, name: 'exp', f: Math.exp, documented: 0.98 },
  { which: 1, name: 'sigmoid', f: (x: number) => 1 / (1 + Math.exp(-x)), documented: 2.4 },
  { which: 2, name: 'tanh', f: Math.tanh, documented: 1.5 },
];
/** The bounds measured for the relaxed build (fused Horner steps and Cody-Waite reduction). */
const RELAXED_BOUND: Record<string, number> = { exp: 0.98, sigmoid: 2.4, tanh: 1.5 };

describe('activation error bounds, in ulp, on a grid of step 2^-10 over [-30, 30] and the tails', () => {
  const xs = new Float32Array([...Array.from({ length: 60 * 1024 + 1 }, (_, i) => -30 + i / 1024), ...[-88, -80, -60, -45, 40, 60, 80, 88.5]]);
  for (const level of LEVELS) {
    anywhere(`${level} build: exp, sigmoid and tanh within their bounds`, async ({ annotate }) => {
      const e = await engineAt(level);
      const found: string[] = [];
      for (const a of ACTIVATIONS) {
        const buf = Float32Buffer.from(xs);
        try {
          e.call((w) => w.activation_inplace(buf.liveHandle(), a.which));
          const got = buf.read();
          let worst = 0;
          for (let i = 0; i < xs.length; i++) {
            const u = ulps(got[i]!, a.f(xs[i]!));
            if (u > worst) worst = u;
          }
          found.push(`${a.name} ${worst.toFixed(2)} ulp`);
          const bound = level === 'relaxed' ? RELAXED_BOUND[a.name]! : a.documented;
          assert.ok(worst <= bound, `${level} ${a.name}: ${worst} ulp > ${bound}`);
        } finally {
          buf.dispose();
        }
      }
      await annotate(`${level}: ${found.join(', ')}`);
    });
  }
});

/** Three SGD steps of a small char LM; returns the losses and the trained parameters. */
function train(cell: 'lstm' | 'gru', e: Engine): { losses: number[]; params: Float32Array } {
  const [T, B, V] = [13, 7, 11];
  const next = rng(77);
  const x = Uint32Array.from({ length: T * B }, () => Math.floor(next() * V));
  const y = Uint32Array.from({ length: T * B }, () => Math.floor(next() * V));
  const layer = cell === 'lstm' ? lstm({ units: 33 }) : gru({ units: 33 });
  const model = sequential([oneHot({ vocabSize: V }), layer, dense({ units: V })], { seed: 5 });
  const optimizer = new Optimizer(sgd({ lr: 0.5 }), model.groups(), e);
  const losses: number[] = [];
  for (let s = 0; s < 3; s++) losses.push(model.trainStep({ x, y, seqLen: T, batchSize: B }, { loss: 'crossEntropy', optimizer, clipNorm: 1 }).loss);
  const params = Float32Array.from(model.groups().flatMap((g) => [...g.value.read()]));
  model.dispose();
  return { losses, params };
}

onlyIf(hasRelaxedSimd(), 'needs relaxed SIMD').test('training steps (LSTM, GRU: GEMMs, cell passes, BPTT) on the relaxed build differ from the baseline build by rounding only', async ({ annotate }) => {
  for (const cell of ['lstm', 'gru'] as const) {
    const b = train(cell, await engineAt('baseline'));
    const r = train(cell, await engineAt('relaxed'));
    for (let s = 0; s < 3; s++) assert.ok(Math.abs(b.losses[s]! - r.losses[s]!) <= 1e-5 * Math.abs(b.losses[s]!), `${cell} step ${s}: loss ${b.losses[s]} vs ${r.losses[s]}`);
    let worst = 0;
    for (let i = 0; i < b.params.length; i++) worst = Math.max(worst, Math.abs(b.params[i]! - r.params[i]!));
    assert.ok(worst <= 1e-5, `${cell}: parameters after 3 steps differ by up to ${worst}`);
    await annotate(`${cell}: losses ${b.losses.map((l) => l.toFixed(6)).join(', ')}; largest parameter difference ${worst.toExponential(2)}`);
  }
});

threadsOnly.test('relaxed-threads: 1 and 2 threads give identical bits (GEMMs over odd and large shapes, training steps)', async () => {
  if (!hasRelaxedSimd()) return;
  const e = await engineAt('relaxed', 2);
  assert.equal(e.buildName, 'relaxed-threads');
  const shapes: GemmCase[] = [
    ...cases.filter((_, i) => i % 9 === 0),
    { transA: false, transB: false, m: 257, n: 1031, k: 300, alpha: 1, beta: 0.5, lda: 300, ldb: 1031, ldc: 1031 },
    { transA: true, transB: false, m: 1024, n: 256, k: 127, alpha: 1, beta: 1, lda: 1024, ldb: 256, ldc: 256 },
    { transA: false, transB: true, m: 1, n: 1024, k: 256, alpha: 1, beta: 0, lda: 256, ldb: 256, ldc: 1024 },
  ];
  const bits = (t: number) => {
    e.setThreads(t);
    return shapes.map((c, i) => new Uint32Array(runGemm(c, 500 + i).out.buffer));
  };
  const one = bits(1);
  const two = bits(2);
  for (let i = 0; i < shapes.length; i++) assert.deepEqual(two[i], one[i], JSON.stringify(shapes[i]));
  for (const cell of ['lstm', 'gru'] as const) {
    e.setThreads(1);
    const a = train(cell, e);
    e.setThreads(2);
    const b = train(cell, e);
    assert.deepEqual(b.losses, a.losses, cell);
    assert.deepEqual(new Uint32Array(b.params.buffer), new Uint32Array(a.params.buffer), cell);
  }
});
