// Issue 13, item 3: loops belong in the core. The number of calls across the wasm boundary in
// one training batch is counted here (not by hand, through Engine.onAbiCall), and it must not
// depend on the sequence length T (no call per time step, none per checkpointed segment) nor on
// the number of parameter groups (the gradient norm and the optimiser are one call each).
//
// Before issue 13 (counted by this file's cases against the code before the change):
//   1-layer LSTM, one-hot: 12 calls for T = 50 and 200 (sum_squares, optim_sgd, all_finite
//     once per parameter group: 3 each);
//   2-layer LSTM, embedding, dropout: 24 (two single-layer stacks, a dropout call each way,
//     5 groups x 3);
//   the same with checkpointEvery 10: 50 for T = 50, 140 for T = 200 (3 calls per segment
//     and layer: 2 forwards, 1 backward);
//   2 vs 4 recurrent layers of 2: 36 vs 60.
// After: 5, 7, 7 (T = 50 and 200), 9 vs 13 (one forward and one backward per recurrent
// layer, everything else once).
import { afterAll, beforeAll, test } from 'vitest';

import { dense, dispose, embedding, engine, init, lstm, oneHot, Optimizer, sequential, sgd, type LayerConfig } from 'recurrent';

import { rng } from '../support/random.js';
import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

/** Calls of each export made while `f` runs. */
function countCalls(f: () => void): Map<string, number> {
  const counts = new Map<string, number>();
  const e = engine();
  const stop = e.onAbiCall((name) => counts.set(name, (counts.get(name) ?? 0) + 1));
  try {
    f();
  } finally {
    stop();
  }
  return counts;
}

const total = (c: Map<string, number>) => [...c.values()].reduce((a, b) => a + b, 0);
const show = (c: Map<string, number>) => [...c].map(([k, v]) => `${k} ${v}`).join(', ');

/** ABI calls of the third training batch (the first two size the workspace and the tapes). */
function callsPerBatch(layers: LayerConfig[], seqLen: number, checkpointEvery = 0): Map<string, number> {
  const model = sequential(layers, { seed: 1 });
  const optimizer = new Optimizer(sgd({ lr: 0.1 }), model.groups(), model.engine);
  const next = rng(seqLen);
  const batchSize = 4;
  const tokens = () => Array.from({ length: seqLen * batchSize }, () => Math.floor(next() * 28));
  const step = () => model.trainStep({ x: tokens(), y: tokens(), seqLen, batchSize }, { loss: 'crossEntropy', optimizer, clipNorm: 1, checkpointEvery });
  try {
    step();
    step();
    return countCalls(step);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

const oneLayer = (): LayerConfig[] => [oneHot({ vocabSize: 28 }), lstm({ units: 16 }), dense({ units: 28 })];
const twoLayers = (): LayerConfig[] => [embedding({ vocabSize: 28, dim: 8 }), lstm({ units: 16, layers: 2, dropout: 0.2 }), dense({ units: 28 })];

const cases: [string, () => LayerConfig[], number][] = [
  ['1-layer LSTM, one-hot input', oneLayer, 0],
  ['2-layer LSTM, embedding, dropout', twoLayers, 0],
  ['2-layer LSTM, embedding, dropout, checkpointEvery 10', twoLayers, 10],
];

for (const [name, layers, k] of cases) {
  test(`ABI calls per training batch do not depend on T: ${name}`, ({ annotate }) => {
    const short = callsPerBatch(layers(), 50, k);
    const long = callsPerBatch(layers(), 200, k);
    annotate(`ABI calls per batch, ${name}: T=50 ${total(short)} (${show(short)}); T=200 ${total(long)} (${show(long)})`);
    assert.deepEqual(long, short, 'the same calls for T = 200 as for T = 50');
    // One recurrent layer, one parameter set: no export is called twice in a batch.
    for (const [export_, n] of long) assert.equal(n, 1, `${export_} called ${n} times: ${show(long)}`);
  });
}

test('the gradient norm and the optimiser are one call each, however many parameter groups', ({ annotate }) => {
  const deep = (n: number): LayerConfig[] => [
    embedding({ vocabSize: 28, dim: 8 }),
    ...Array.from({ length: n }, (_, i) => lstm({ units: 8, layers: 2, dropout: 0.1, name: `rnn${i}` })),
    dense({ units: 28 }),
  ];
  const two = callsPerBatch(deep(2), 30);
  const four = callsPerBatch(deep(4), 30);
  annotate(`ABI calls per batch, 2 recurrent layers: ${total(two)} (${show(two)}); 4: ${total(four)} (${show(four)})`);
  // Every call that is not a recurrent layer's own forward or backward is the same in both,
  // and made once: the norm and the optimiser cover every group in one call each.
  const rest = (c: Map<string, number>) => new Map([...c].filter(([name]) => !name.startsWith('rnn_')));
  assert.deepEqual(rest(four), rest(two));
  for (const [export_, n] of rest(four)) assert.equal(n, 1, `${export_} called ${n} times: ${show(four)}`);
  // One forward and one backward per recurrent layer, whatever its depth, dropout or T.
  for (const [c, n] of [[two, 2], [four, 4]] as const) {
    const rnnCalls = [...c].filter(([name]) => name.startsWith('rnn_')).reduce((a, [, v]) => a + v, 0);
    assert.equal(rnnCalls, 2 * n, `${n} recurrent layers: ${show(c)}`);
  }
});
