// Issue 14: fit and evaluate on data in the shapes people have (nested arrays, typed arrays
// with a shape, batch-major by default, time-major by option, ragged sequences padded), with
// validation data or a split, metrics over the whole dataset, early stopping, restoring and
// saving the best epoch.
import { afterAll, beforeAll, test } from 'vitest';

import { adam, dense, dispose, evaluate, fit, gru, init, InvalidArgumentError, lstm, modelFromBytes, sequential, timeseriesWindows } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const N = 24;
const T = 5;
/** Per example, T steps of 2 features; class 1 when the first feature sums above 0. */
const xs = Array.from({ length: N }, (_, n) => Array.from({ length: T }, (_, t) => [Math.sin(n * 1.7 + t), Math.cos(n * 0.3 * t)]));
const ys = xs.map((e) => (e.reduce((s, v) => s + v[0]!, 0) > 0 ? 1 : 0));
const classifier = () => sequential([gru({ units: 6, output: 'last' }), dense({ units: 2 })], { inputSize: 2, seed: 4 });

test('nested arrays, a typed array with a shape, and time-major arrays train the same model identically', async () => {
  const flat = Float32Array.from(xs.flat(2));
  const timeMajor = Array.from({ length: T }, (_, t) => xs.map((e) => e[t]!));
  const runs = [
    { x: xs, y: ys },
    { x: { data: flat, shape: [N, T, 2] }, y: { data: Float32Array.from(ys), shape: [N] } },
  ];
  const losses: number[][] = [];
  for (const data of runs) {
    const m = classifier();
    losses.push((await fit(m, data, { epochs: 2, batchSize: 8, optimizer: adam({ lr: 0.01 }), seed: 1 })).epochs.map((e) => e.loss));
    m.dispose();
  }
  const m = classifier();
  // Time-major: x is [T, N, F]; a pooled target has no step axis, so y stays per example.
  losses.push((await fit(m, { x: timeMajor, y: ys }, { epochs: 2, batchSize: 8, optimizer: adam({ lr: 0.01 }), seed: 1, timeMajor: true })).epochs.map((e) => e.loss));
  m.dispose();
  assert.deepEqual(losses[1], losses[0]);
  assert.deepEqual(losses[2], losses[0]);
});

test('evaluate covers the whole dataset: the loss is the mean over every example, whatever the batch size', () => {
  const m = classifier();
  try {
    const whole = evaluate(m, { x: xs, y: ys }, { batchSize: N });
    const small = evaluate(m, { x: xs, y: ys }, { batchSize: 5 });
    assert.equal(whole.count, N);
    assert.equal(small.count, N);
    assert.ok(Math.abs(whole.loss - small.loss) < 1e-6, `${whole.loss} vs ${small.loss}`);
    // The metrics that apply to cross-entropy, and no others.
    assert.deepEqual(Object.keys(whole).sort(), ['accuracy', 'count', 'f1Macro', 'loss', 'perplexity']);
    assert.ok(Math.abs(whole.perplexity! - Math.exp(whole.loss)) < 1e-9);
    // Accuracy recomputed from predict, example by example.
    let right = 0;
    for (let n = 0; n < N; n++) {
      const p = m.predict(Float32Array.from(xs[n]!.flat()), { seqLen: T, batchSize: 1 });
      if ((p[1]! > p[0]! ? 1 : 0) === ys[n]) right++;
    }
    assert.equal(whole.accuracy, right / N);
  } finally {
    m.dispose();
  }
});

test('ragged sequences are padded per batch with their lengths: each example counts as if alone', () => {
  const m = sequential([lstm({ units: 4 }), dense({ units: 1 })], { inputSize: 1, seed: 2 });
  try {
    const seqs = [[0.1, 0.5, -0.3], [0.7], [0.2, -0.1, 0.4, 0.9, -0.5], [0.3, 0.3]];
    const targets = seqs.map((s) => s.map((v) => 2 * v));
    const together = evaluate(m, { x: seqs, y: targets }, { loss: 'mae', batchSize: 4 });
    let sum = 0;
    let count = 0;
    for (let i = 0; i < seqs.length; i++) {
      const alone = evaluate(m, { x: [seqs[i]!], y: [targets[i]!] }, { loss: 'mae' });
      sum += alone.mae! * seqs[i]!.length;
      count += seqs[i]!.length;
    }
    assert.ok(Math.abs(together.mae! - sum / count) < 1e-6, `${together.mae} vs ${sum / count}`);
    assert.deepEqual(Object.keys(together).sort(), ['count', 'loss', 'mae', 'rmse']);
  } finally {
    m.dispose();
  }
});

test('validationSplit holds out the last examples; every epoch reports validation loss and metrics', async () => {
  const m = classifier();
  try {
    const h = await fit(m, { x: xs, y: ys }, { epochs: 2, batchSize: 6, validationSplit: 0.25, optimizer: adam({ lr: 0.01 }) });
    const held = { x: xs.slice(18), y: ys.slice(18) };
    for (const e of h.epochs) assert.ok(e.validation && e.validation.count === 6 && e.validation.accuracy !== undefined);
    const now = evaluate(m, held);
    assert.ok(Math.abs(h.epochs[1]!.validation!.loss - now.loss) < 1e-9, 'the last epoch validated on the last 6 examples');
  } finally {
    m.dispose();
  }
});

test('early stopping stops after `patience` epochs without improvement, and restoreBest puts back the best epoch', async () => {
  const m = classifier();
  try {
    // No epoch can improve by more than minDelta 1e9: the first is the best, then 2 more run.
    const h = await fit(m, { x: xs, y: ys }, { epochs: 10, validationSplit: 0.25, earlyStopping: { patience: 2, minDelta: 1e9, restoreBest: true }, optimizer: adam({ lr: 0.05 }) });
    assert.equal(h.epochs.length, 3);
    const after = evaluate(m, { x: xs.slice(18), y: ys.slice(18) });
    assert.ok(Math.abs(after.loss - h.epochs[0]!.validation!.loss) < 1e-9, `restored epoch 1: ${after.loss} vs ${h.epochs[0]!.validation!.loss}`);
  } finally {
    m.dispose();
  }
});

test('checkpointBest hands over a loadable model file at every epoch that improves', async () => {
  const m = classifier();
  try {
    const saved: { bytes: Uint8Array; loss: number }[] = [];
    const h = await fit(m, { x: xs, y: ys }, { epochs: 4, optimizer: adam({ lr: 0.02 }), checkpointBest: (bytes, info) => void saved.push({ bytes, loss: info.loss }) });
    let best = Infinity;
    const improving = h.epochs.filter((e) => (e.loss < best ? ((best = e.loss), true) : false)).length;
    assert.equal(saved.length, improving);
    const back = modelFromBytes(saved.at(-1)!.bytes);
    assert.deepEqual(back.configs, m.configs);
    back.dispose();
  } finally {
    m.dispose();
  }
});

test('fit refuses unknown options (naming ours) and data that does not fit the model', async () => {
  const m = classifier();
  try {
    await assert.rejects(fit(m, { x: xs, y: ys }, { validation_split: 0.2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /unknown option `validation_split` \(use `validationSplit`\)/.test(e.message));
    await assert.rejects(fit(m, { x: xs, y: ys.slice(1) }), /`x` has 24 examples and `y` 23/);
    await assert.rejects(fit(m, { x: xs.map((e) => e.map((v) => [v[0]!])), y: ys }), /argument `x\[0\]` expected steps of 2 value\(s\), got 5 values/);
    await assert.rejects(fit(m, { x: xs, y: ys }, { earlyStopping: { monitor: 'valLoss' } }), /no validationData or validationSplit/);
  } finally {
    m.dispose();
  }
});

test('timeseriesWindows: windows of `window` steps, targets the `horizon` steps after, every `stride` steps', () => {
  const w = timeseriesWindows([0, 1, 2, 3, 4, 5, 6], { window: 3, horizon: 2, stride: 2 });
  assert.deepEqual(w.x, [[[0], [1], [2]], [[2], [3], [4]]]);
  assert.deepEqual(w.y, [[3, 4], [5, 6]]);
  const m = timeseriesWindows([[0, 10], [1, 11], [2, 12], [3, 13]], { window: 2 });
  assert.deepEqual(m.x, [[[0, 10], [1, 11]], [[1, 11], [2, 12]]]);
  assert.deepEqual(m.y, [[2, 12], [3, 13]]);
  assert.throws(() => timeseriesWindows([1, 2], { window: 2 }), /no window of 2 steps followed by 1/);
  assert.throws(() => timeseriesWindows([[1], [2, 3], [4]], { window: 1 }), /`series\[1\]` expected 1 features/);
  // The windows are a dataset fit takes as they are.
  const model = sequential([gru({ units: 3, output: 'last' }), dense({ units: 2 })], { inputSize: 1 });
  const e = evaluate(model, timeseriesWindows([0, 1, 2, 3, 4, 5, 6], { window: 3, horizon: 2 }), { loss: 'mse' });
  assert.equal(e.count, 3);
  model.dispose();
});

test('sampleWeights: the loss is the weighted mean over examples (per example or per step), zero weights leave an example out', () => {
  const m = classifier();
  try {
    const w = xs.map((_, n) => (n % 3 === 0 ? 0 : 1 + (n % 4)));
    const weighted = evaluate(m, { x: xs, y: ys, sampleWeights: w }, { batchSize: 7 });
    let num = 0;
    let den = 0;
    xs.forEach((e, n) => {
      const alone = evaluate(m, { x: [e], y: [ys[n]!] });
      num += w[n]! * alone.loss;
      den += w[n]!;
    });
    assert.ok(Math.abs(weighted.loss - num / den) < 1e-6, `${weighted.loss} vs ${num / den}`);
    assert.throws(() => evaluate(m, { x: xs, y: ys, sampleWeights: w.slice(1) }), /`sampleWeights` expected 24 entries/);
    assert.throws(() => evaluate(m, { x: xs, y: ys, sampleWeights: w.map((v) => -v - 1) }), /`sampleWeights\[0\]` expected a number >= 0/);
    assert.throws(() => m.evaluate({ x: new Float32Array(T * 2 * 2), y: [0, 1], seqLen: T, batchSize: 2, weights: [1, Number.NaN] }), /argument `weights` at index 1 expected a finite number >= 0/);
  } finally {
    m.dispose();
  }
});

test('top-k accuracy: reported when there are more than k classes, counting the target among the k highest scores', () => {
  const m = sequential([gru({ units: 5, output: 'last' }), dense({ units: 8 })], { inputSize: 2, seed: 6 });
  try {
    const y8 = xs.map((_, n) => n % 8);
    const e = evaluate(m, { x: xs, y: y8 }, { topK: 3 });
    let hits = 0;
    xs.forEach((s, n) => {
      const p = m.predict(Float32Array.from(s.flat()), { seqLen: T, batchSize: 1 });
      if (Array.from(p).filter((v) => v > p[y8[n]!]!).length < 3) hits++;
    });
    assert.equal(e.topKAccuracy, hits / N);
    assert.equal(evaluate(m, { x: xs, y: y8 }, { topK: 8 }).topKAccuracy, undefined, 'k >= classes: omitted');
    assert.throws(() => evaluate(m, { x: xs, y: y8 }, { top_k: 3 } as never), /unknown option `top_k`/);
  } finally {
    m.dispose();
  }
});
