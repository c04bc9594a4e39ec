// Issue 13 (architecture), the TypeScript half: one network and one optimisation step that
// Model, Seq2Seq and later tasks compose; one validation module (each batch checked once per
// step, one rule for clipNorm); generation over a narrow token stream.
//
// What failed before this work, test by test:
// - fit with bptt 'random' read every value of a batch twice (checked whole, then sliced and
//   checked again per segment): now once;
// - clipNorm was checked three ways: Seq2Seq.trainStep accepted the string '1', fit refused
//   Infinity (which trainStep documents as "no clipping");
// - Seq2Seq.trainStep applied any optimiser it was given, one made for another model's
//   parameters included, and Seq2Seq.fit ran twice at once on one model;
// - Seq2Seq.loadStateDict wrote the encoder before checking the decoder's half;
// - generation needed a Model (it read its layers), so nothing else could stream tokens.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  dense,
  dispose,
  embedding,
  fit,
  generateTokens,
  greedyDecode,
  gru,
  init,
  InvalidArgumentError,
  lstm,
  Optimizer,
  Random,
  RtrlTrainer,
  Seq2Seq,
  sequential,
  sgd,
  type SequenceBatch,
  type TokenStream,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const V = 7;

function lm() {
  return sequential([embedding({ vocabSize: V, dim: 4 }), gru({ units: 6 }), dense({ units: V })], { seed: 3 });
}

/** An array whose element reads are counted (what checking or slicing a batch costs). */
function counted(values: number[]): { array: number[]; reads: () => number } {
  let reads = 0;
  const array = new Proxy(values, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { array, reads: () => reads };
}

for (const bptt of ['full', 'truncated', 'random'] as const) {
  test(`fit (bptt '${bptt}') reads each value of a batch once: the batch is checked once, its steps take it checked`, async () => {
    const model = lm();
    try {
      const rng = new Random(1);
      const T = 24;
      const B = 3;
      const x = counted(Array.from({ length: T * B }, () => rng.nextInt(V)));
      const y = counted(Array.from({ length: T * B }, () => rng.nextInt(V)));
      const batch: SequenceBatch = { x: x.array, y: y.array, seqLen: T, batchSize: B };
      const history = await fit(model, [batch], { bptt: { mode: bptt, meanLength: 4 }, optimizer: sgd({ lr: 0.1 }) });
      assert.equal(history.epochs.length, 1);
      assert.equal(x.reads(), T * B, `x: ${x.reads()} reads of ${T * B} values`);
      assert.equal(y.reads(), T * B, `y: ${y.reads()} reads of ${T * B} values`);
    } finally {
      model.dispose();
    }
  });
}

test('a checked batch is taken as checked only by the model it was checked for; a copy of one is checked as any object', () => {
  const a = lm();
  const b = sequential([embedding({ vocabSize: V, dim: 4 }), gru({ units: 6 }), dense({ units: V })], { seed: 4 });
  const oa = new Optimizer(sgd({ lr: 0.1 }), a.groups(), a.engine);
  const ob = new Optimizer(sgd({ lr: 0.1 }), b.groups(), b.engine);
  try {
    const raw = { x: [1, 2, 3, 4], y: [2, 3, 4, 5], seqLen: 2, batchSize: 2 };
    const checked = a.checkBatch(raw, 'crossEntropy');
    assert.deepEqual(a.trainStep(checked, { loss: 'crossEntropy', optimizer: oa }).count, 4);
    // Another model with the same layers checks it again (its own shape): a checked batch has no x or y to read.
    assert.throws(() => b.trainStep(checked, { loss: 'crossEntropy', optimizer: ob }), InvalidArgumentError);
    assert.throws(() => a.trainStep({ ...checked }, { loss: 'crossEntropy', optimizer: oa }), InvalidArgumentError);
    // Checked for class ids, it is checked again for float targets.
    assert.throws(() => a.trainStep(checked, { loss: 'mse', optimizer: oa }), InvalidArgumentError);
  } finally {
    oa.dispose();
    ob.dispose();
    a.dispose();
    b.dispose();
  }
});

test('clipNorm: one rule for trainStep, fit, Seq2Seq and RtrlTrainer (a number > 0; Infinity means no clipping)', async () => {
  const model = lm();
  const s2s = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 6, bos: 4, eos: 5, cell: gru({ units: 4 }), embeddingDim: 3 });
  const opt = new Optimizer(sgd({ lr: 0.01 }), model.groups(), model.engine);
  const sopt = s2s.optimizer(sgd({ lr: 0.01 }));
  const batch = { x: [1, 2, 3, 4], y: [2, 3, 4, 5], seqLen: 2, batchSize: 2 };
  const pairs = [{ source: [1, 2], target: [2, 1] }];
  const rtrl = (clipNorm: unknown) => new RtrlTrainer({ inputSize: 2, hiddenSize: 2, outputSize: 1, clipNorm: clipNorm as number });
  const calls: [string, (clip: unknown) => unknown][] = [
    ['trainStep', (c) => model.trainStep(batch, { loss: 'crossEntropy', optimizer: opt, clipNorm: c as number })],
    ['fit', (c) => fit(model, [batch], { clipNorm: c as number })],
    ['Seq2Seq.trainStep', (c) => s2s.trainStep(pairs, { optimizer: sopt, clipNorm: c as number })],
    ['Seq2Seq.fit', (c) => s2s.fit(pairs, { clipNorm: c as number })],
    ['RtrlTrainer', rtrl],
  ];
  try {
    for (const [name, call] of calls) {
      for (const bad of ['1', 0, -1, Number.NaN, null, {}]) {
        await assert.rejects(
          async () => call(bad),
          (e: unknown) => e instanceof InvalidArgumentError && /argument `clipNorm` expected a number > 0 \(Infinity: no clipping\)/.test(e.message),
          `${name} with clipNorm ${String(bad)}`,
        );
      }
      await call(Infinity);
      await call(0.5);
    }
  } finally {
    opt.dispose();
    sopt.dispose();
    model.dispose();
    s2s.dispose();
  }
});

test("Seq2Seq.trainStep refuses an optimiser made for another model's parameters, and changes nothing", () => {
  const s2s = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 6, bos: 4, eos: 5, cell: gru({ units: 4 }), embeddingDim: 3, seed: 1 });
  const other = lm();
  const foreign = new Optimizer(sgd({ lr: 1 }), other.groups(), other.engine);
  try {
    const mine = s2s.stateDict();
    const theirs = other.stateDict();
    assert.throws(() => s2s.trainStep([{ source: [1, 2], target: [3] }], { optimizer: foreign }), (e: unknown) => e instanceof InvalidArgumentError && /optimizer/.test(e.message));
    assert.deepEqual(s2s.stateDict(), mine);
    assert.deepEqual(other.stateDict(), theirs);
  } finally {
    foreign.dispose();
    other.dispose();
    s2s.dispose();
  }
});

test('Seq2Seq.fit: one at a time per model, as fit (a second rejects while the first runs)', async () => {
  const s2s = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 6, bos: 4, eos: 5, cell: gru({ units: 4 }), embeddingDim: 3, seed: 1 });
  try {
    const pairs = Array.from({ length: 64 }, (_, i) => ({ source: [i % 4, (i + 1) % 4], target: [(i + 1) % 4, i % 4] }));
    const first = s2s.fit(pairs, { epochs: 2, batchSize: 8, optimizer: adam({ lr: 0.01 }) });
    await assert.rejects(s2s.fit(pairs, { epochs: 1 }), (e: unknown) => e instanceof InvalidArgumentError && /already training/.test(e.message));
    const h = await first;
    assert.equal(h.epochs.length, 2);
    // Once done, it trains again.
    assert.equal((await s2s.fit(pairs, { epochs: 1, batchSize: 8 })).epochs.length, 1);
  } finally {
    s2s.dispose();
  }
});

test("Seq2Seq.loadStateDict checks both halves before writing either", () => {
  const s2s = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 6, bos: 4, eos: 5, cell: lstm({ units: 3 }), embeddingDim: 2, seed: 1 });
  try {
    const before = s2s.stateDict();
    const dict = new Map([...before].map(([k, v]) => [k, v.map((x) => x + 1)]));
    const name = [...dict.keys()].find((k) => k.startsWith('decoder.'))!;
    dict.set(name, new Float32Array(1));
    assert.throws(() => s2s.loadStateDict(dict), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(name.slice('decoder.'.length)));
    assert.deepEqual(s2s.stateDict(), before, 'the encoder was not written');
  } finally {
    s2s.dispose();
  }
});

/** A stream that is not a model: the next token is (id + 1) mod V, certain, from any state. */
function counter(V: number): TokenStream<{ steps: number; dispose(): void }> & { made: number; freed: number } {
  const s = {
    outputSize: V,
    made: 0,
    freed: 0,
    zeroState(batch: number) {
      s.made++;
      return { steps: batch * 0, dispose: () => void s.freed++ };
    },
    step(ids: ArrayLike<number>, state: { steps: number }) {
      state.steps++;
      const out = new Float32Array(ids.length * V).fill(-5);
      for (let b = 0; b < ids.length; b++) out[b * V + ((ids[b]! + 1) % V)] = 5;
      return out;
    },
  };
  return s;
}

test('generation runs on any token stream (not only a Model): sampling, greedy, exclusions, batch decoding to an end token', () => {
  const s = counter(5);
  assert.deepEqual(generateTokens(s, [2], { length: 6, temperature: 0 }).ids, [3, 4, 0, 1, 2, 3]);
  assert.deepEqual(generateTokens(s, [0, 1], { length: 3, greedy: true, exclude: [3] }).ids.slice(0, 1), [2]);
  assert.deepEqual(generateTokens(s, [1], { length: 4, temperature: 0.01, seed: 2 }).ids, [2, 3, 4, 0]);
  assert.equal(s.made, s.freed, 'every state it made was disposed');
  const state = s.zeroState(3);
  assert.deepEqual(greedyDecode(s, state, [0, 2, 3], { maxLength: 4, end: 4 }), [[1, 2, 3], [3], []]);
  assert.deepEqual(greedyDecode(s, s.zeroState(1), [0], { maxLength: 2 }), [[1, 2]]);
  // A model is a token stream too.
  const model = lm();
  try {
    assert.deepEqual(generateTokens(model, [1, 2], { length: 5, temperature: 0 }).ids, model.generate([1, 2], { length: 5, temperature: 0 }));
  } finally {
    model.dispose();
  }
});

test("a model's network composes: its forward on a pass gives predict's output, bit for bit", () => {
  const model = sequential([embedding({ vocabSize: V, dim: 4 }), lstm({ units: 5, layers: 2, output: 'last' }), dense({ units: 3 })], { seed: 2 });
  try {
    const x = [1, 2, 3, 4, 5, 6];
    const want = model.predict(x, { seqLen: 3, batchSize: 2 });
    const net = model.network;
    const pass = net.pass({ seqLen: 3, batch: 2, scores: 'logits' });
    const out = net.forward(pass, { ids: Uint32Array.from(x) }).output;
    assert.equal(out.rows, 2);
    assert.equal(out.width, 3);
    assert.deepEqual(out.data.view().slice(0, 6), want);
    assert.deepEqual(net.layers.map((l) => l.type), ['lstm', 'pool', 'dense']);
  } finally {
    model.dispose();
  }
});
