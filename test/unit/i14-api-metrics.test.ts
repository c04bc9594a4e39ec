// Issue 14: per-batch and per-epoch training figures that do not apply to the loss (perplexity
// and accuracy of MSE, MAE, Huber and binary cross-entropy) are left out, never NaN or 0: in
// fit's callbacks, in the history it returns, and in what a worker sends back. Cross-entropy
// reports both, finite. Checked per loss kind.
import { afterAll, beforeAll, describe, test } from 'vitest';

import { adam, type BatchInfo, dense, type EpochInfo, fit, gru, type Loss, Seq2Seq, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { workerPerFile } from '../support/worker.js';

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1, engine: { threads: 1 } });

const N = 12;
const x = Array.from({ length: N }, (_, n) => Array.from({ length: 4 }, (_, t) => [Math.sin(n + 0.7 * t)]));
const sign = x.map((e) => (e[3]![0]! > 0 ? 1 : 0));

interface Case {
  loss: Loss;
  units: number;
  y: number[] | number[][];
  /** Whether perplexity and accuracy apply. */
  classes: boolean;
}

const CASES: Case[] = [
  { loss: 'crossEntropy', units: 2, y: sign, classes: true },
  { loss: 'mse', units: 1, y: x.map((e) => [e[3]![0]!]), classes: false },
  { loss: 'mae', units: 1, y: x.map((e) => [e[3]![0]!]), classes: false },
  { loss: 'huber', units: 1, y: x.map((e) => [e[3]![0]!]), classes: false },
  { loss: 'binaryCrossEntropy', units: 2, y: sign.map((s) => [s, 1 - s]), classes: false },
];

/** Every number in a report is finite; the class metrics are there exactly when they apply. */
function checkReport(info: BatchInfo | EpochInfo, classes: boolean, where: string): void {
  for (const [key, value] of Object.entries(info)) {
    if (typeof value === 'number') assert.ok(Number.isFinite(value), `${where}: ${key} is ${value}`);
  }
  assert.equal('perplexity' in info, classes, `${where}: perplexity ${classes ? 'missing' : 'present'}: ${JSON.stringify(info)}`);
  if ('epoch' in info && 'batches' in info) assert.equal('accuracy' in info, classes, `${where}: accuracy ${classes ? 'missing' : 'present'}: ${JSON.stringify(info)}`);
  if (classes) assert.ok(info.perplexity! > 1, `${where}: perplexity ${info.perplexity}`);
}

const options = (c: Case) => ({ loss: c.loss, epochs: 2, batchSize: 4, optimizer: adam({ lr: 0.01 }), validationSplit: 0.25 });
const layers = (c: Case) => [gru({ units: 5, output: 'last' as const }), dense({ units: c.units })];
const name = (c: Case) => (typeof c.loss === 'string' ? c.loss : c.loss.kind);

describe.each(CASES.map((c) => [name(c), c] as const))('%s', (_, c) => {
  test('fit: callbacks and history report only the metrics that apply', async () => {
    const model = sequential(layers(c), { seed: 3, inputSize: 1 });
    try {
      const batches: BatchInfo[] = [];
      const epochs: EpochInfo[] = [];
      const history = await fit(model, { x, y: c.y }, { ...options(c), onBatchEnd: (b) => void batches.push(b), onEpochEnd: (e) => void epochs.push(e) });
      assert.ok(batches.length > 0 && epochs.length === 2);
      batches.forEach((b, i) => checkReport(b, c.classes, `onBatchEnd ${i}`));
      epochs.forEach((e, i) => checkReport(e, c.classes, `onEpochEnd ${i}`));
      history.epochs.forEach((e, i) => checkReport(e, c.classes, `history ${i}`));
      for (const e of history.epochs) {
        // The validation figures follow the same rule (evaluate's).
        assert.ok(e.validation !== undefined);
        assert.equal('perplexity' in e.validation, c.classes);
        for (const [key, value] of Object.entries(e.validation)) assert.ok(Number.isFinite(value), `validation ${key} is ${value}`);
      }
    } finally {
      model.dispose();
    }
  });

  test("a worker's progress messages and history report only the metrics that apply", async () => {
    const model = await remote().sequential(layers(c), { seed: 3, inputSize: 1 });
    try {
      const batches: BatchInfo[] = [];
      const epochs: EpochInfo[] = [];
      const history = await model.fit({ x, y: c.y }, { ...options(c), onBatchEnd: (b) => void batches.push(b), onEpochEnd: (e) => void epochs.push(e) });
      assert.ok(batches.length > 0 && epochs.length === 2);
      batches.forEach((b, i) => checkReport(b, c.classes, `worker onBatchEnd ${i}`));
      epochs.forEach((e, i) => checkReport(e, c.classes, `worker onEpochEnd ${i}`));
      history.epochs.forEach((e, i) => checkReport(e, c.classes, `worker history ${i}`));
    } finally {
      await model.dispose();
    }
  });
});

test('Seq2Seq.fit (cross-entropy over target tokens) reports perplexity and accuracy, finite', async () => {
  const model = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 6, bos: 4, eos: 5, cell: gru({ units: 4 }), seed: 2 });
  try {
    const history = await model.fit([{ source: [1, 2, 3], target: [3, 2, 1] }, { source: [2, 1], target: [1, 2] }], { epochs: 2, batchSize: 2 });
    history.epochs.forEach((e, i) => checkReport(e, true, `Seq2Seq history ${i}`));
    assert.ok(history.epochs.every((e) => e.accuracy! >= 0 && e.accuracy! <= 1));
  } finally {
    model.dispose();
  }
});
