// Issue 11, item 13: a second `fit` on a model that is already training. In-thread it used to
// interleave its batches with the first one's (both loops await between batches); through a
// worker it was queued. Now both refuse it with InvalidArgumentError, and the first trains
// exactly as it would alone.
import { afterAll, beforeAll, test } from 'vitest';

import { dense, embedding, fit, gru, init, InvalidArgumentError, Random, sequential, sequentialBatches, Vocab } from 'recurrent';
import { type RecurrentWorker, spawnWorker } from 'recurrent/worker';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

const TEXT = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us ';
const vocab = new Vocab([...TEXT]);
const corpus = Int32Array.from(vocab.encode([...TEXT.repeat(3)]));
const layers = [embedding({ vocabSize: vocab.size, dim: 8 }), gru({ units: 16 }), dense({ units: vocab.size })];
const DATA = { order: 'sequential', batchSize: 4, seqLen: 8, seed: 7 } as const;
const OPTIONS = { epochs: 2, bptt: 'truncated', optimizer: { type: 'adam', lr: 0.01 }, clipNorm: 1 } as const;
const BUSY = /already training/;

function batches() {
  const rng = new Random(DATA.seed);
  return () => sequentialBatches(corpus, { batchSize: DATA.batchSize, seqLen: DATA.seqLen, rng });
}

let remote: RecurrentWorker;

beforeAll(async () => {
  await init(engineOptions);
  remote = await spawnWorker({ threads: 1 });
});

afterAll(async () => {
  await remote?.dispose();
});

test('in-thread: a second fit on a model that is training rejects with InvalidArgumentError, and the first trains as if alone', async () => {
  const alone = sequential(layers, { seed: 3, vocab });
  const aloneLosses: number[] = [];
  await fit(alone, batches(), { ...OPTIONS, onBatchEnd: (b) => void aloneLosses.push(b.loss) });
  const expected = alone.stateDict();
  alone.dispose();

  const model = sequential(layers, { seed: 3, vocab });
  const losses: number[] = [];
  let second: Promise<unknown> | undefined;
  const first = fit(model, batches(), {
    ...OPTIONS,
    onBatchEnd: (b) => {
      losses.push(b.loss);
      // Started while the first is between its batches, as a double click would.
      if (losses.length === 2) second = fit(model, batches(), { ...OPTIONS, onBatchEnd: () => void losses.push(Number.NaN) }).catch((e: unknown) => e);
    },
  });
  await first;
  assert.ok(second, 'the second fit was started');
  const error = await second;
  assert.ok(error instanceof InvalidArgumentError && BUSY.test(error.message), `got ${String(error)}`);
  assert.deepEqual(losses, aloneLosses, 'the first fit ran its own batches only');
  assert.deepEqual(model.stateDict(), expected, 'the weights are those of one fit alone');

  // Once the first has finished, a new fit is accepted.
  const history = await fit(model, batches(), { epochs: 1 });
  assert.equal(history.epochs.length, 1);
  // A fit that failed releases the model too.
  await assert.rejects(fit(model, [{ x: [1], y: [1, 2], seqLen: 1, batchSize: 1 }]), InvalidArgumentError);
  assert.equal((await fit(model, batches(), { epochs: 1 })).epochs.length, 1);
  model.dispose();
});

test('worker: a second fit on a model whose fit is queued or running rejects at once; other models still queue', async () => {
  const alone = await remote.sequential(layers, { seed: 3, vocab });
  const aloneLosses: number[] = [];
  await alone.fit({ corpus, ...DATA }, { ...OPTIONS, onBatchEnd: (b) => void aloneLosses.push(b.loss) });
  const expected = await alone.stateDict();
  await alone.dispose();

  const model = await remote.sequential(layers, { seed: 3, vocab });
  const other = await remote.sequential(layers, { seed: 4, vocab });
  const losses: number[] = [];
  let during: Promise<unknown> | undefined;
  const first = model.fit({ corpus, ...DATA }, {
    ...OPTIONS,
    onBatchEnd: (b) => {
      losses.push(b.loss);
      // While it runs: refused.
      if (losses.length === 2) during = model.fit({ corpus, ...DATA }, { epochs: 1 }).catch((e: unknown) => e);
    },
  });
  // Queued behind the first, not started yet: refused.
  const queued = model.fit({ corpus, ...DATA }, { ...OPTIONS, onBatchEnd: () => void losses.push(Number.NaN) });
  // Another model's fit is not refused: it waits its turn.
  const otherFit = other.fit({ corpus, ...DATA }, { epochs: 1 });
  await assert.rejects(queued, (e: unknown) => e instanceof InvalidArgumentError && BUSY.test(e.message));
  await first;
  assert.ok(during, 'a fit was started while the first ran');
  const error = await during;
  assert.ok(error instanceof InvalidArgumentError && BUSY.test(error.message), `got ${String(error)}`);
  assert.deepEqual(losses, aloneLosses, 'the first fit ran alone');
  assert.deepEqual(await model.stateDict(), expected);
  assert.equal((await otherFit).epochs.length, 1);

  // After it ended, a fit is accepted; after one was aborted, too.
  assert.equal((await model.fit({ corpus, ...DATA }, { epochs: 1 })).epochs.length, 1);
  await assert.rejects(model.fit({ corpus, ...DATA }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal((await model.fit({ corpus, ...DATA }, { epochs: 1 })).epochs.length, 1);
  await model.dispose();
  await other.dispose();
});
