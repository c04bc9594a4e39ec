// Property tests of the public API with fast-check: thousands of generated bad calls — wrong
// types, shapes, dtypes, integer ranges (token ids outside the vocabulary), sizes that would not
// fit in memory, options out of range — across Model (trainStep, evaluate, predict, step,
// generate, loadStateDict, gradientFlow, findNonFinite, zeroState, fit), ModelState,
// RecurrentStack, Float32Buffer, gemm, the layer factories, sequential and the optimisers.
// Every one must throw a typed error whose message names the argument, and afterwards every
// model gives bit-identical outputs on a fixed input, its parameters and streaming state are
// unchanged, and no wasm buffer was leaked.
import { afterAll, beforeAll, test } from 'vitest';

import fc from 'fast-check';
import {
  adam,
  dense,
  dispose,
  embedding,
  engine,
  fit,
  Float32Buffer,
  gemm,
  gru,
  init,
  lstm,
  type Model,
  type ModelState,
  oneHot,
  Optimizer,
  RecurrentError,
  RecurrentStack,
  rnn,
  sequential,
  sgd,
  type SequenceBatch,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, testEnv } from '../support/env.js';

const NAMES = new Set(['InvalidArgumentError', 'DisposedError', 'OutOfMemoryError']);

/** One generated bad call: what it mutates, what its error message must mention, and the call. */
interface BadCall {
  readonly label: string;
  readonly mentions: RegExp;
  readonly run: () => unknown;
}

// ---------------------------------------------------------------------------------------------
// Fixtures: three small models, a stack, buffers; and a snapshot of everything observable.

let A: Model; // embedding -> 2-layer LSTM with dropout -> dense: a token language model
let B: Model; // features -> relu RNN, no dense: MSE on the recurrent output
let C: Model; // one-hot -> bidirectional GRU pooled at the last step -> dense: a classifier
let S: RecurrentStack;
let stateA: ModelState;
let stateB: ModelState;
let optA: Optimizer;
let optB: Optimizer;
let optC: Optimizer;
let buf: Float32Buffer;
let ga: Float32Buffer;
let gb: Float32Buffer;
let gc: Float32Buffer;
const V = 6;
const T = 3;
const N = 2;
let batchA: SequenceBatch;
let batchB: SequenceBatch;
let batchC: SequenceBatch;
const sx = Float32Array.from({ length: T * N * 2 }, (_, i) => Math.sin(i));

beforeAll(async () => {
  await init(engineOptions);
  A = sequential([embedding({ vocabSize: V, dim: 4 }), lstm({ units: 5, layers: 2, dropout: 0.2 }), dense({ units: V })], { seed: 1 });
  B = sequential([rnn({ units: 3, nonlinearity: 'relu' })], { inputSize: 2, seed: 2 });
  C = sequential([oneHot({ vocabSize: 5 }), gru({ units: 3, bidirectional: true, output: 'last' }), dense({ units: 2 })], { seed: 3 });
  S = new RecurrentStack({ kind: 'lstm', inputSize: 2, hiddenSize: 3 });
  S.parameters().forEach((p, i) => S.setParameter(p.name, Float32Array.from({ length: p.size }, (_, k) => Math.cos(k + i) * 0.5)));
  stateA = A.zeroState(N);
  stateB = B.zeroState(N);
  A.step([1, 2], stateA);
  B.step([0.5, -0.5, 1, 0.25], stateB);
  optA = new Optimizer(adam({ lr: 0.01 }), A.groups(), A.engine);
  optB = new Optimizer(sgd({ lr: 0.1, momentum: 0.9 }), B.groups(), B.engine);
  optC = new Optimizer(sgd({ lr: 0.1 }), C.groups(), C.engine);
  buf = Float32Buffer.from([1, 2, 3, 4]);
  ga = Float32Buffer.from([1, 2, 3, 4]);
  gb = Float32Buffer.from([5, 6, 7, 8]);
  gc = Float32Buffer.from([9, 9, 9, 9]);
  batchA = { x: [0, 1, 2, 3, 4, 5], y: [1, 2, 3, 4, 5, 0], seqLen: T, batchSize: N };
  batchB = { x: Array.from({ length: T * N * 2 }, (_, i) => i / 10), y: Array.from({ length: T * N * 3 }, (_, i) => i / 20), seqLen: T, batchSize: N };
  batchC = { x: [0, 1, 2, 3, 4, 0], y: [1, 0], seqLen: T, batchSize: N };
  // A valid step of each first, so scratch and tapes exist and their (re)allocation is not
  // mistaken for a leak.
  A.trainStep(batchA, { loss: 'crossEntropy', optimizer: optA });
  B.trainStep(batchB, { loss: 'mse', optimizer: optB });
  C.trainStep(batchC, { loss: 'crossEntropy', optimizer: optC });
});

afterAll(async () => {
  for (const o of [optA, optB, optC]) o.dispose();
  for (const o of [A, B, C, S, stateA, stateB, buf, ga, gb, gc]) o.dispose();
  await dispose();
});

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));

/** Everything a bad call must leave as it was, as plain data. */
function snapshot(): unknown {
  const dict = (m: Model) => [...m.stateDict()].map(([k, v]) => [k, bits(v)]);
  const state = (s: ModelState) => {
    const l = s.get(0);
    return [...l.h, ...l.c].map(bits);
  };
  const f = S.forward(sx, { seqLen: T, batch: N });
  return {
    a: bits(A.predict([0, 5, 4, 3, 2, 1], { seqLen: T, batchSize: N })),
    aLog: bits(A.predict([0, 5], { seqLen: 1, batchSize: N, logSoftmax: true })),
    b: bits(B.predict(batchB.x, { seqLen: T, batchSize: N })),
    c: bits(C.predict(batchC.x, { seqLen: T, batchSize: N })),
    dicts: [dict(A), dict(B), dict(C)],
    states: [state(stateA), state(stateB)],
    stack: [bits(f.y), bits(f.hN), bits(f.cN!), bits(S.getParameter('weight_hh_l0'))],
    buffers: [bits(buf.read()), bits(ga.read()), bits(gb.read()), bits(gc.read())],
    live: engine().wasm.buffer_live_count(),
  };
}

// ---------------------------------------------------------------------------------------------
// Bad values

const junk = fc.constantFrom<unknown>(null, true, {}, [], 'x', Symbol.for('s'), () => 1, 10n);
/** Not an integer in [min, max] (null is left out: optional options take it as "default"; see `req`). */
const badInt = (min: number, max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, '2', true, {}, [1], min - 1, max + 1, min + 0.5),
    fc.integer({ min: -(2 ** 40), max: min - 1 }),
    fc.integer({ min: max + 1, max: max + 2 ** 40 }),
    fc.double({ min, max: max + 1, noNaN: true }).filter((v) => !Number.isInteger(v)),
  );
const badBool = fc.constantFrom<unknown>('yes', 1, 0, {}, 'true');
const badEnum = (allowed: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(fc.string({ maxLength: 12 }).filter((s) => !allowed.includes(s)), fc.constantFrom<unknown>(5, {}, true, []));
/** A bad value for a required argument: null is bad too. */
const req = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(a, fc.constant(null));
const badPositive = fc.oneof(fc.constantFrom<unknown>(0, -1, Number.NaN, '1', null, -Infinity, {}), fc.double({ max: 0, noNaN: true }));
/** A non-object where an options object is required. */
const badObject = fc.constantFrom<unknown>(null, 5, 'x', true, 0);
/** A bad token id for a vocabulary of `v`. */
const badId = (v: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer({ min: v, max: 2 ** 33 }),
    fc.integer({ min: -(2 ** 33), max: -1 }),
    fc.double({ min: 0, max: v, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, '1', null, undefined, {}),
  );
/** Token ids that are not `len` ids in [0, v): wrong length, one bad id, or not an array. */
const badIds = (len: number, v: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.array(fc.integer({ min: 0, max: v - 1 }), { maxLength: len + 4 }).filter((a) => a.length !== len),
    fc.tuple(fc.array(fc.integer({ min: 0, max: v - 1 }), { minLength: len, maxLength: len }), fc.nat(len - 1), badId(v)).map(([a, i, b]) => {
      const c: unknown[] = [...a];
      c[i] = b;
      return c;
    }),
    fc.string({ minLength: len, maxLength: len }),
    fc.constantFrom<unknown>(null, undefined, 5, {}, true),
  );
/** Features that are not `len` finite numbers. */
const badFeatures = (len: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: len + 4 }).filter((a) => a.length !== len),
    fc.tuple(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: len, maxLength: len }), fc.nat(len - 1), fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e39, -1e39))
      .map(([a, i, b]) => Float32Array.from(a.map((v, k) => (k === i ? b : v)))),
    fc.constantFrom<unknown>(null, undefined, 5, {}, true),
  );
const show = (v: unknown): string => {
  try {
    if (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function') return String(typeof v);
    const s = JSON.stringify(v, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}...` : s;
  } catch {
    return typeof v;
  }
};
const call = <X>(label: string, mentions: RegExp, values: fc.Arbitrary<X>, run: (v: X) => unknown): fc.Arbitrary<BadCall> =>
  values.map((v) => ({ label: `${label} = ${show(v)}`, mentions, run: () => run(v) }));
const loose = <T>(f: T) => f as unknown as (...a: unknown[]) => unknown;
const circular = (): unknown => {
  const c: Record<string, unknown> = { type: 'sgd' };
  c['self'] = c;
  return c;
};

// ---------------------------------------------------------------------------------------------
// Bad calls per API

/** A batch of `model` with one field replaced by a bad value. */
function badBatches(base: () => SequenceBatch, v: number | undefined, classes: number | undefined, yLen: number, targetsAreIds: boolean): fc.Arbitrary<[string, RegExp, unknown]> {
  const xLen = base().x.length;
  const field = (name: string, mentions: RegExp, values: fc.Arbitrary<unknown>) =>
    values.map((value) => [name, mentions, { ...base(), [name]: value }] as [string, RegExp, unknown]);
  return fc.oneof(
    field('x', /`x`|token id/, v === undefined ? badFeatures(xLen) : badIds(xLen, v)),
    field('y', /`y`/, targetsAreIds ? badIds(yLen, classes!) : badFeatures(yLen)),
    field('seqLen', /seqLen|`x`/, req(badInt(1, 2 ** 31 - 1)).filter((s) => s !== T)),
    field('batchSize', /batchSize|`x`/, req(badInt(1, 2 ** 31 - 1)).filter((s) => s !== N)),
    field('lengths', /lengths/, fc.oneof(
      fc.array(fc.integer({ min: 1, max: T }), { maxLength: 5 }).filter((a) => a.length !== N),
      fc.tuple(fc.integer({ min: 1, max: T }), badInt(1, T)).map(([a, b]) => [a, b]),
      fc.constantFrom<unknown>(null, 5, 'ab', true),
    )),
    // Sizes that would not fit in memory: refused before anything is allocated.
    fc.constantFrom<[string, RegExp, unknown]>(
      ['seqLen x batchSize', /seqLen|batchSize|memory/, { ...base(), seqLen: 2 ** 20, batchSize: 2 ** 12 }],
      ['seqLen x batchSize', /seqLen|batchSize|memory/, { ...base(), seqLen: 2 ** 30, batchSize: 2 ** 30 }],
    ),
    badObject.map((b) => ['batch', /batch/, b] as [string, RegExp, unknown]),
  );
}

function modelCalls(): fc.Arbitrary<BadCall>[] {
  const ta = (o: Record<string, unknown>) => ({ loss: 'crossEntropy', optimizer: optA, ...o });
  const trainOption = (name: string, mentions: RegExp, values: fc.Arbitrary<unknown>) =>
    call(`A.trainStep option ${name}`, mentions, values, (v) => A.trainStep(batchA, ta({ [name]: v }) as never));
  const aBatches = badBatches(() => batchA, V, V, T * N, true);
  const bBatches = badBatches(() => batchB, undefined, undefined, T * N * 3, false);
  const cBatches = badBatches(() => batchC, 5, 2, N, true);
  return [
    call('A.trainStep batch', /./, aBatches, ([, , b]) => A.trainStep(b as never, ta({}) as never)).map((c) => ({ ...c, mentions: /./ })),
    aBatches.map(([name, mentions, b]) => ({ label: `A.trainStep batch.${name} = ${show((b as Record<string, unknown>)?.[name])}`, mentions, run: () => A.trainStep(b as never, ta({}) as never) })),
    bBatches.map(([name, mentions, b]) => ({ label: `B.trainStep batch.${name}`, mentions, run: () => B.trainStep(b as never, { loss: 'mse', optimizer: optB }) })),
    cBatches.map(([name, mentions, b]) => ({ label: `C.trainStep batch.${name}`, mentions, run: () => C.trainStep(b as never, { loss: 'crossEntropy', optimizer: optC }) })),
    call('A.trainStep options', /options/, fc.oneof(badObject, fc.constant(undefined)), (v) => A.trainStep(batchA, v as never)),
    trainOption('loss', /loss/, req(badEnum(['crossEntropy', 'mse']))),
    // B has no dense layer: cross-entropy needs one.
    call('B.trainStep loss crossEntropy', /cross-entropy|dense/, fc.constant(0), () => B.trainStep({ ...batchB, y: [0, 1, 2, 0, 1, 2] }, { loss: 'crossEntropy', optimizer: optB })),
    trainOption('optimizer', /optimizer/, fc.oneof(fc.constantFrom<unknown>(undefined, null, sgd(), adam(), { apply() {} }), junk, fc.constant('other').map(() => optB))),
    trainOption('clipNorm', /clipNorm/, badPositive),
    trainOption('epoch', /epoch/, badInt(0, 2 ** 31 - 1)),
    trainOption('carryState', /carryState/, badBool),
    trainOption('checkpointEvery', /checkpointEvery/, badInt(0, 2 ** 31 - 1)),
    trainOption('state', /state/i, fc.oneof(junk.filter((v) => v !== null), fc.constantFrom('B', '1').map((k) => (k === 'B' ? stateB : 'state')))),
    call('A.trainStep state for another batch size', /state/, fc.integer({ min: 1, max: 4 }).filter((b) => b !== N), (b) => {
      const s = A.zeroState(b);
      try {
        return A.trainStep(batchA, { loss: 'crossEntropy', optimizer: optA, state: s });
      } finally {
        s.dispose();
      }
    }),
    call('A.evaluate batch', /./, aBatches, ([, , b]) => A.evaluate(b as never)),
    call('A.evaluate loss', /loss/, req(badEnum(['crossEntropy', 'mse'])), (v) => A.evaluate(batchA, v as never)),
    call('A.evaluate options', /options|state|carryState/, fc.oneof(badObject.filter((v) => v !== 0), fc.record({ state: junk }), fc.record({ carryState: badBool })), (v) => A.evaluate(batchA, 'crossEntropy', v as never)),
    call('C.evaluate mse shape', /`y`/, fc.constant(0), () => C.evaluate(batchC, 'mse')),
    call('A.predict x', /`x`|token id/, badIds(T * N, V), (x) => A.predict(x as never, { seqLen: T, batchSize: N })),
    call('B.predict x', /`x`/, badFeatures(T * N * 2), (x) => B.predict(x as never, { seqLen: T, batchSize: N })),
    call('A.predict options', /options|seqLen|batchSize|lengths|logSoftmax|state|`x`/i, fc.oneof(
      badObject,
      fc.record({ seqLen: badInt(1, 2 ** 31 - 1), batchSize: fc.constant(N) }),
      fc.record({ seqLen: fc.constant(T), batchSize: badInt(1, 2 ** 31 - 1) }),
      fc.record({ seqLen: fc.constant(T), batchSize: fc.constant(N), lengths: fc.constantFrom<unknown>([0, 1], [1, 4], [1], null, 'xy') }),
      fc.record({ seqLen: fc.constant(T), batchSize: fc.constant(N), logSoftmax: badBool }),
      fc.record({ seqLen: fc.constant(T), batchSize: fc.constant(N), state: fc.oneof(junk.filter((v) => v !== null), fc.constant(stateB)) }),
    ).filter((o) => !(typeof o === 'object' && o !== null && (o as { seqLen?: unknown }).seqLen === T && (o as { batchSize?: unknown }).batchSize === N && Object.keys(o).length === 2)),
    (o) => A.predict([0, 1, 2, 3, 4, 5], o as never)),
    call('A.step x', /`x`|token id/, badIds(N, V), (x) => A.step(x as never, stateA)),
    call('B.step x', /`x`/, badFeatures(N * 2), (x) => B.step(x as never, stateB)),
    call('A.step state', /state/i, fc.oneof(junk, fc.constant(undefined), fc.constant('B').map(() => stateB)), (s) => A.step([1, 2], s as never)),
    call('A.step options', /options|logSoftmax/, fc.oneof(badObject, fc.record({ logSoftmax: badBool })), (o) => A.step([1, 2], stateA, o as never)),
    call('C.step (bidirectional)', /bidirectional/, fc.constant(0), () => {
      const s = C.zeroState(1);
      try {
        return C.step([1], s);
      } finally {
        s.dispose();
      }
    }),
    call('A.generate prefix', /prefix|token id/, fc.oneof(
      fc.constantFrom<unknown>(null, 5, {}, true, []),
      fc.tuple(fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 4 }), fc.nat(), badId(V)).map(([a, i, bad]) => a.map((v, k) => (k === i % a.length ? bad : v))),
    ), (p) => A.generate(p as never, { length: 2 })),
    call('A.generate options', /options|length|temperature|topK|seed/, fc.oneof(
      badObject,
      fc.record({ length: req(badInt(0, 1e7)) }),
      fc.record({ length: fc.constant(2), temperature: fc.oneof(fc.constantFrom<unknown>(-1, Number.NaN, '1', Infinity), fc.double({ max: -1e-9, noNaN: true })) }),
      fc.record({ length: fc.constant(2), topK: badInt(1, 2 ** 31 - 1) }),
      fc.record({ length: fc.constant(2), seed: badInt(0, 0xffffffff) }),
    ), (o) => A.generate([1], o as never)),
    call('A.generate text without a vocabulary', /vocabulary/, fc.string({ minLength: 1, maxLength: 5 }), (p) => A.generate(p, { length: 1 })),
    call('B.generate (no token input)', /embedding|oneHot/, fc.constant(0), () => B.generate([1], { length: 1 })),
    call('A.zeroState', /batchSize/, req(badInt(1, 1 << 20)), (b) => A.zeroState(b as never)),
    call('A.gradientFlow batch', /./, aBatches, ([, , b]) => A.gradientFlow(b as never)),
    call('A.gradientFlow loss', /loss/, badEnum(['crossEntropy', 'mse']), (l) => A.gradientFlow(batchA, l as never)),
    call('A.findNonFinite batch', /./, aBatches.filter(([name]) => name !== 'y'), ([, , b]) => A.findNonFinite(b as never)),
  ];
}

function stateDictCalls(): fc.Arbitrary<BadCall>[] {
  const names = [...A.stateDict().keys()];
  const full = () => A.stateDict();
  const name = fc.constantFrom(...names);
  return [
    call('A.loadStateDict missing', /missing/, name, (n) => {
      const d = full();
      d.delete(n);
      A.loadStateDict(d);
    }),
    call('A.loadStateDict unexpected', /unexpected/, fc.string({ minLength: 1, maxLength: 10 }).filter((n) => !names.includes(n)), (n) => A.loadStateDict(full().set(n, new Float32Array(3)))),
    call('A.loadStateDict wrong size', /expected shape/, fc.tuple(name, fc.integer({ min: 0, max: 200 }), fc.boolean()), ([n, len, strict]) => {
      const d = full();
      if (d.get(n)!.length === len) len++;
      d.set(n, new Float32Array(len));
      A.loadStateDict(strict ? d : new Map([[n, d.get(n)!]]), { strict });
    }),
    call('A.loadStateDict non-finite', /non-finite/, fc.tuple(name, fc.nat(), fc.constantFrom(Number.NaN, Infinity, -Infinity)), ([n, i, bad]) => {
      const d = full();
      const v = d.get(n)!;
      v[i % v.length] = bad;
      // The other tensors are fine and come first in a plain object: still nothing may change.
      A.loadStateDict(Object.fromEntries(d));
    }),
    call('A.loadStateDict value', /expected shape|`/, fc.tuple(name, fc.constantFrom<unknown>(null, 5, 'abc', true, {})), ([n, v]) => A.loadStateDict(full().set(n, v as never))),
    call('A.loadStateDict dict', /dict/, fc.constantFrom<unknown>(null, 5, 'x', true), (d) => A.loadStateDict(d as never)),
    call('A.loadStateDict options', /options|strict/, fc.oneof(badObject, fc.record({ strict: badBool })), (o) => A.loadStateDict(full(), o as never)),
  ];
}

function stateCalls(): fc.Arbitrary<BadCall>[] {
  return [
    call('ModelState.get index', /index/, badInt(0, 0), (i) => stateA.get(i as never)),
    call('ModelState.set index', /index/, badInt(0, 0), (i) => stateA.set(i as never, {})),
    call('ModelState.set value', /value|`h`|`c`|h\[|c\[/, fc.oneof(
      badObject,
      fc.record({ h: fc.oneof(junk, fc.array(fc.constant(new Float32Array(N * 5)), { maxLength: 4 }).filter((a) => a.length !== 2)) }),
      fc.record({ c: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 2, maxLength: 2 }).filter((a) => a.some((n) => n !== N * 5)).map((a) => a.map((n) => new Float32Array(n))) }),
      fc.record({ h: fc.constant([new Float32Array(N * 5), [1, 2]]) }),
    ), (v) => stateA.set(0, v as never)),
  ];
}

function stackCalls(): fc.Arbitrary<BadCall>[] {
  const ok = { kind: 'gru', inputSize: 2, hiddenSize: 3 };
  const make = (name: string, mentions: RegExp, values: fc.Arbitrary<unknown>) =>
    call(`new RecurrentStack ${name}`, mentions, values, (v) => new RecurrentStack({ ...ok, [name]: v } as never).dispose());
  const fwd = (o: Record<string, unknown>) => ({ seqLen: T, batch: N, ...o });
  return [
    call('new RecurrentStack options', /options/, badObject, (o) => new RecurrentStack(o as never)),
    make('kind', /kind/, req(badEnum(['rnn_tanh', 'rnn_relu', 'rnn_residual', 'gru', 'gru_reset_before', 'lstm', 'lstm_peephole', 'lstm_cifg', 'lstm_no_forget']))),
    make('inputSize', /inputSize/, req(badInt(1, 1 << 20))),
    make('hiddenSize', /hiddenSize/, req(badInt(1, 1 << 16))),
    make('layers', /layers/, badInt(1, 64)),
    make('bidirectional', /bidirectional/, badBool),
    call('RecurrentStack sizes that do not fit', /fit|memory|size/i, fc.constantFrom([1 << 20, 1 << 16, 64], [1 << 20, 1 << 15, 1]), ([i, h, l]) => new RecurrentStack({ kind: 'lstm', inputSize: i!, hiddenSize: h!, layers: l!, bidirectional: true }).dispose()),
    call('S.forward x', /`x`/, badFeatures(T * N * 2).filter((x) => x !== undefined), (x) => S.forward(x as never, fwd({}))),
    call('S.forward options', /options|seqLen|batch|layout|lengths|h0|c0|training|`x`/, fc.oneof(
      badObject,
      fc.record({ seqLen: badInt(1, 2 ** 31 - 1).filter((s) => s !== T) }).map(fwd),
      fc.record({ batch: badInt(1, 2 ** 31 - 1).filter((s) => s !== N) }).map(fwd),
      fc.record({ layout: badEnum(['time-major', 'batch-major']) }).map(fwd),
      fc.record({ lengths: fc.constantFrom<unknown>([0, 1], [4, 1], [1], null, 3) }).map(fwd),
      fc.record({ h0: fc.oneof(fc.integer({ min: 0, max: 20 }).filter((n) => n !== N * 3).map((n) => new Float32Array(n)), fc.constantFrom<unknown>(null, 'ab', 5)) }).map(fwd),
      fc.record({ c0: fc.integer({ min: 0, max: 20 }).filter((n) => n !== N * 3).map((n) => new Float32Array(n)) }).map(fwd),
      fc.record({ training: badBool }).map(fwd),
      fc.constantFrom({ seqLen: 2 ** 30, batch: 2 ** 30 }),
    ), (o) => S.forward(sx, o as never)),
    call('S.backward without a training forward', /training forward|options/, fc.oneof(badObject, fc.constant({ gy: new Float32Array(T * N * 3) })), (o) => S.backward(o as never)),
    call('S.setParameter name', /parameter/, fc.string({ maxLength: 12 }).filter((n) => !S.parameters().some((p) => p.name === n)), (n) => S.setParameter(n, [])),
    call('S.setParameter data', /weight_ih_l0/, fc.oneof(fc.integer({ min: 0, max: 40 }).filter((n) => n !== 24).map((n) => new Float32Array(n)), fc.constantFrom<unknown>(null, 5, 'abc', {})), (d) => S.setParameter('weight_ih_l0', d as never)),
    call('S.getParameter name', /parameter/, fc.constantFrom('', 'weight', 'bias_hh_l1', 'weight_ih_l0_reverse'), (n) => S.getParameter(n)),
  ];
}

function bufferCalls(): fc.Arbitrary<BadCall>[] {
  return [
    call('new Float32Buffer length', /length|len/, fc.oneof(badInt(0, 2 ** 32 - 1), fc.constantFrom(2 ** 32 - 1, 2 ** 31, 805306369)), (n) => new Float32Buffer(n as never).dispose()),
    call('Float32Buffer.from data', /data/, fc.constantFrom<unknown>(null, undefined, 5, true), (d) => Float32Buffer.from(d as never).dispose()),
    call('Float32Buffer.write', /offset|data/, fc.oneof(
      fc.tuple(fc.array(fc.double(), { minLength: 5, maxLength: 9 }), fc.constant(0)),
      fc.tuple(fc.constant([1]), fc.oneof(badInt(0, 3), fc.constant(4))),
      fc.tuple(fc.constantFrom<unknown>(null, undefined, 5), fc.constant(0)),
    ), ([d, o]) => buf.write(d as never, o as never)),
    call('gemm dims', /`[mnk]`|`l?d[abc]`|expected/, fc.tuple(fc.constantFrom('m', 'n', 'k'), badInt(0, 0xffffffff)), ([which, v]) => {
      const d = { m: 2, n: 2, k: 2, [which]: v };
      gemm(d.m as never, d.n as never, d.k as never, ga, gb, gc);
    }),
    call('gemm shapes too big for the buffers', /`[abc]`|expected/, fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).filter(([m, n, k]) => m * k > 4 || k * n > 4 || m * n > 4), ([m, n, k]) => gemm(m, n, k, ga, gb, gc)),
    call('gemm buffers', /Float32Buffer|`[abc]`|disposed/, fc.tuple(fc.nat(2), fc.constantFrom<unknown>(null, {}, new Float32Array(4), 'disposed', 'same')), ([i, v]) => {
      const args: unknown[] = [ga, gb, gc];
      if (v === 'disposed') {
        const d = new Float32Buffer(4);
        d.dispose();
        args[i] = d;
      } else if (v === 'same') {
        args[2] = args[i === 2 ? 0 : i];
      } else {
        args[i] = v;
      }
      loose(gemm)(2, 2, 2, ...args);
    }),
    call('gemm options', /options|alpha|beta|trans[AB]|reference|lda|ldb|ldc|[abc]Offset|offset|`[abc]`/, fc.oneof(
      badObject,
      fc.record({ alpha: fc.constantFrom<unknown>(Number.NaN, Infinity, 'x', 1e39) }),
      fc.record({ beta: fc.constantFrom<unknown>(Number.NaN, -Infinity, 'x', {}) }),
      fc.record({ transA: badBool }),
      fc.record({ transB: badBool }),
      fc.record({ lda: fc.oneof(badInt(0, 0xffffffff), fc.constantFrom(0, 1)) }),
      fc.record({ cOffset: fc.oneof(badInt(0, 0xffffffff), fc.constantFrom(1, 3, 2 ** 31)) }),
      fc.record({ aOffset: fc.constantFrom(1, 3, 5) }),
      fc.record({ reference: fc.constant(true), bOffset: fc.constantFrom(1, 2) }),
    ), (o) => gemm(2, 2, 2, ga, gb, gc, o as never)),
  ];
}

function configCalls(): fc.Arbitrary<BadCall>[] {
  const field = (factory: string, f: (o: never) => unknown, ok: Record<string, unknown>, name: string, mentions: RegExp, values: fc.Arbitrary<unknown>) =>
    call(`${factory} ${name}`, mentions, values, (v) => f({ ...ok, [name]: v } as never));
  const common = (factory: string, f: (o: never) => unknown) => [
    field(factory, f, {}, 'units', /units/, req(badInt(1, 1 << 16))),
    field(factory, f, { units: 2 }, 'layers', /layers/, badInt(1, 64)),
    field(factory, f, { units: 2 }, 'dropout', /dropout/, fc.oneof(fc.constantFrom<unknown>(1, 1.5, -0.1, Number.NaN, '0.1'), fc.double({ min: 0.9991, max: 10, noNaN: true }))),
    field(factory, f, { units: 2 }, 'output', /output/, badEnum(['sequence', 'last', 'mean'])),
    field(factory, f, { units: 2 }, 'bidirectional', /bidirectional/, badBool),
    field(factory, f, { units: 2 }, 'name', /name/, fc.constantFrom<unknown>('', 5, null, {}, true)),
    call(`${factory} options`, /options/, badObject, (o) => f(o as never)),
  ];
  const make = (layers: unknown, options?: unknown) => sequential(layers as never, options as never).dispose();
  return [
    ...common('lstm', lstm),
    ...common('gru', gru),
    ...common('rnn', rnn),
    field('rnn', rnn, { units: 2 }, 'nonlinearity', /nonlinearity/, badEnum(['tanh', 'relu'])),
    field('rnn', rnn, { units: 2 }, 'residual', /residual/, badBool),
    call('rnn residual relu', /residual/, fc.constant(0), () => rnn({ units: 2, residual: true, nonlinearity: 'relu' })),
    field('gru', gru, { units: 2 }, 'resetAfter', /resetAfter/, badBool),
    field('lstm', lstm, { units: 2 }, 'variant', /variant/, badEnum(['standard', 'peephole', 'cifg', 'noForget'])),
    field('lstm', lstm, { units: 2 }, 'forgetBias', /forgetBias/, fc.constantFrom<unknown>(Number.NaN, Infinity, 101, -101, '1', null)),
    call('lstm forgetBias without a forget gate', /forgetBias/, fc.constantFrom('cifg', 'noForget'), (v) => lstm({ units: 2, variant: v as never, forgetBias: 1 })),
    field('embedding', embedding, { dim: 2 }, 'vocabSize', /vocabSize/, req(badInt(1, 2 ** 31 - 1))),
    field('embedding', embedding, { vocabSize: 2 }, 'dim', /dim/, req(badInt(1, 2 ** 31 - 1))),
    field('oneHot', oneHot, {}, 'vocabSize', /vocabSize/, req(badInt(1, 2 ** 31 - 1))),
    field('dense', dense, {}, 'units', /units/, req(badInt(1, 2 ** 31 - 1))),
    call('embedding options', /options/, badObject, (o) => embedding(o as never)),
    call('dense options', /options/, badObject, (o) => dense(o as never)),
    // Configs written by hand (or read from a file) are checked like the factories' output.
    call('sequential layers', /layers/, fc.oneof(fc.constantFrom<unknown>(null, 5, 'x', {}, []), fc.array(junk, { minLength: 1, maxLength: 3 })), (l) => make(l, { inputSize: 2 })),
    call('sequential layer config', /layers\[\d\]|type|units|dim|vocabSize|dropout|layers/, fc.oneof(
      fc.record({ type: badEnum(['embedding', 'oneHot', 'rnn', 'gru', 'lstm', 'dense']), units: fc.constant(2) }),
      fc.record({ type: fc.constantFrom('rnn', 'gru', 'lstm'), units: badInt(1, 1 << 16) }),
      fc.record({ type: fc.constantFrom('rnn', 'gru', 'lstm'), units: fc.constant(2), dropout: fc.constantFrom<unknown>(5, -1, Number.NaN) }),
      fc.record({ type: fc.constant('embedding'), vocabSize: badInt(1, 2 ** 31 - 1), dim: fc.constant(2) }),
      fc.record({ type: fc.constant('embedding'), vocabSize: fc.constant(2), dim: badInt(1, 2 ** 31 - 1) }),
    ), (c) => make([c, gru({ units: 2 })], { inputSize: 2 })),
    call('sequential layer order', /cannot follow|at least one|only the last/, fc.constantFrom<unknown[]>(
      [dense({ units: 2 }), lstm({ units: 2 })],
      [lstm({ units: 2 }), embedding({ vocabSize: 2, dim: 2 })],
      [embedding({ vocabSize: 2, dim: 2 })],
      [lstm({ units: 2 }), dense({ units: 2 }), lstm({ units: 2 })],
      [lstm({ units: 2, output: 'last' }), gru({ units: 2 })],
    ), (l) => make(l, { inputSize: 2 })),
    call('sequential options', /options|inputSize|seed|tokenizer/, fc.oneof(
      badObject,
      fc.record({ inputSize: badInt(1, 2 ** 31 - 1) }),
      fc.record({ inputSize: fc.constant(2), seed: badInt(0, 0xffffffff) }),
      fc.record({ inputSize: fc.constant(2), tokenizer: badEnum(['char', 'word']) }),
    ), (o) => make([lstm({ units: 2 })], o)),
    call('sequential inputSize disagrees', /inputSize/, fc.integer({ min: 1, max: 9 }).filter((n) => n !== 2), (n) => make([embedding({ vocabSize: 3, dim: 2 }), lstm({ units: 2 })], { inputSize: n })),
    // Models whose parameters could never fit are refused before anything is allocated.
    call('sequential too big', /layers|memory/, fc.constantFrom<unknown[]>(
      [embedding({ vocabSize: 2 ** 31 - 1, dim: 2 ** 31 - 1 }), lstm({ units: 2 })],
      [lstm({ units: 65536, layers: 64, bidirectional: true })],
      [gru({ units: 4 }), dense({ units: 2 ** 31 - 1 })],
      [oneHot({ vocabSize: 2 ** 31 - 1 }), lstm({ units: 8 })],
    ), (l) => make(l, { inputSize: 1 << 20 })),
    call('Optimizer config', /optimizer|lr|momentum|dampening|beta1|beta2|eps|weightDecay|Nesterov|expected/, fc.oneof(
      fc.constantFrom<unknown>(null, 5, {}, { type: 'rmsprop' }, 'sgd'),
      fc.record({ lr: fc.constantFrom<unknown>(-1, Number.NaN, Infinity, '0.1', null, 1e7) }).map((o) => sgd(o as never)),
      fc.record({ momentum: fc.constantFrom<unknown>(-1, Number.NaN, '0.9') }).map((o) => sgd(o as never)),
      fc.constant(sgd({ nesterov: true })),
      fc.record({ weightDecay: fc.constantFrom<unknown>(-1, Number.NaN) }).map((o) => adam(o as never)),
      fc.record({ beta1: fc.constantFrom<unknown>(1, 1.5, -0.1, Number.NaN) }).map((o) => adam(o as never)),
      fc.record({ beta2: fc.constantFrom<unknown>(1, 2, Number.NaN) }).map((o) => adam(o as never)),
      fc.record({ eps: fc.constantFrom<unknown>(-1, 2, Number.NaN) }).map((o) => adam(o as never)),
    ), (c) => new Optimizer(c as never, A.groups(), A.engine).dispose()),
    call('Optimizer groups', /groups/, fc.constantFrom<unknown>(null, 5, {}), (g) => new Optimizer(sgd(), g as never, A.engine).dispose()),
  ];
}

test('thousands of generated bad calls: each throws a typed error naming the argument and changes nothing', () => {
  const reference = snapshot();
  const memory = engine().memoryBytes;
  const all = [...modelCalls(), ...stateDictCalls(), ...stateCalls(), ...stackCalls(), ...bufferCalls(), ...configCalls()];
  let tried = 0;
  const kinds = new Map<string, number>();
  const labels = new Set<string>();
  fc.assert(
    fc.property(fc.oneof(...all), (c) => {
      tried++;
      labels.add(c.label.split(' = ')[0]!);
      let error: unknown;
      try {
        c.run();
      } catch (e) {
        error = e;
      }
      assert.ok(error !== undefined, `${c.label}: expected a typed error, the call succeeded`);
      assert.ok(error instanceof RecurrentError && NAMES.has(error.name), `${c.label}: expected a typed error, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
      assert.ok(c.mentions.test(error.message), `${c.label}: the message should name the argument (${c.mentions}): ${error.message}`);
      kinds.set(error.name, (kinds.get(error.name) ?? 0) + 1);
      assert.deepEqual(snapshot(), reference, `${c.label}: the call changed the models`);
    }),
    { numRuns: Number(testEnv('PROP_RUNS') ?? 10000), seed: Number(testEnv('PROP_SEED') ?? 20240607), includeErrorInReport: true },
  );
  const grown = engine().memoryBytes - memory;
  console.log(`[property] ${tried} generated bad calls over ${labels.size} call sites, all typed: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; wasm memory +${grown} bytes`);
  assert.ok(tried >= 4000, `only ${tried} bad calls tried`);
  assert.ok(grown < 8 << 20, `wasm memory grew by ${grown} bytes on bad calls`);
});

test('fit: generated bad options and bad batches reject with a typed error before any update', async () => {
  const reference = snapshot();
  let tried = 0;
  const badFit = fc.oneof(
    fc.record({ epochs: badInt(1, 1e9) }),
    fc.record({ loss: badEnum(['crossEntropy', 'mse']) }),
    fc.record({ bptt: fc.oneof(badEnum(['full', 'truncated', 'random']).filter((v) => v !== null), fc.record({ mode: badEnum(['full', 'truncated', 'random']) }), fc.record({ mode: fc.constant('random'), meanLength: fc.constantFrom<unknown>(0, -1, Number.NaN, '4', 1e7) })) }),
    fc.record({ clipNorm: badPositive.filter((v) => v !== null) }),
    fc.record({ onNonFinite: badEnum(['stop', 'skip']) }),
    fc.record({ yieldEvery: badInt(1, 2 ** 31 - 1) }),
    fc.record({ seed: badInt(0, 0xffffffff) }),
    fc.record({ optimizer: fc.constantFrom<unknown>({ type: 'x' }, 5, sgd({ lr: -1 }), { type: 'sgd', lr: 10n }, circular()) }),
    fc.record({ onBatchEnd: fc.constantFrom<unknown>(5, 'f', {}) }),
    fc.record({ signal: fc.constantFrom<unknown>(5, {}, 'x') }),
  );
  const badData = fc.oneof(
    fc.constantFrom<unknown>(5, null, 'ab', {}),
    badBatches(() => batchA, V, V, T * N, true).map(([, , b]) => [b]),
    fc.tuple(badBatches(() => batchA, V, V, T * N, true), fc.constantFrom('truncated', 'random')).map(([[, , b], mode]) => ({ data: [b], mode })),
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(badFit.map((o) => ({ options: o, data: [batchA] as unknown })), badData.map((d) => (typeof d === 'object' && d !== null && 'mode' in d ? { options: { bptt: (d as { mode: string }).mode }, data: (d as unknown as { data: unknown }).data } : { options: {}, data: d }))), async ({ options, data }) => {
      tried++;
      let error: unknown;
      try {
        await fit(A, data as never, options as never);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof RecurrentError && NAMES.has(error.name), `fit(${show(options)}, ${show(data)}): expected a typed error, got ${error === undefined ? 'success' : `${(error as Error)?.name}: ${(error as Error)?.message}`}`);
      assert.deepEqual(snapshot(), reference, `fit(${show(options)}): changed the model`);
    }),
    { numRuns: 400, seed: Number(testEnv('PROP_SEED') ?? 7), includeErrorInReport: true },
  );
  console.log(`[property] ${tried} generated bad fit calls, all rejected with typed errors and no update`);
});
