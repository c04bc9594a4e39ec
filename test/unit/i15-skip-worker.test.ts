// Issue 15: skip RNN layers through recurrent/worker: built, trained, stepped (the state's
// history stays in the worker and reads back), saved and loaded there, with the same numbers
// as in the thread.
import { embedding, dense, fit, init, Random, rnn, sequential, sequentialBatches, Vocab } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const TEXT = 'a skip connection reaches back several steps at once, a coarser time scale ';
const vocab = new Vocab([...TEXT]);
const corpus = Int32Array.from(vocab.encode([...TEXT.repeat(5)]));
const DATA = { order: 'sequential', batchSize: 4, seqLen: 8, seed: 7 } as const;
const OPTIONS = { epochs: 1, bptt: 'truncated', optimizer: { type: 'adam', lr: 0.01 }, clipNorm: 1 } as const;

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1 });

test('rnn({ skip }) trains, streams and saves in the worker as in the thread', async () => {
  await init({ threads: 1 });
  const layers = [embedding({ vocabSize: vocab.size, dim: 6 }), rnn({ units: 12, layers: 2, skip: 3 }), dense({ units: vocab.size })];
  const local = sequential(layers, { seed: 3, vocab });
  const losses: number[] = [];
  const rng = new Random(DATA.seed);
  await fit(local, () => sequentialBatches(corpus, { batchSize: DATA.batchSize, seqLen: DATA.seqLen, rng }), { ...OPTIONS, onBatchEnd: (b) => void losses.push(b.loss) });
  const text = local.generate('skip', { length: 20, temperature: 0 });
  const ids = vocab.encode([...'a skip']);
  const localState = local.zeroState(1);
  let localOut: Float32Array = new Float32Array(0);
  for (const id of ids) localOut = local.step([id], localState);
  const localHist = localState.get(0).hist!;
  localState.dispose();
  local.dispose();

  const model = await remote().sequential(layers, { seed: 3, vocab });
  const remoteLosses: number[] = [];
  await model.fit({ corpus, ...DATA }, { ...OPTIONS, onBatchEnd: (b) => void remoteLosses.push(b.loss) });
  assert.ok(losses.length >= 5);
  assert.deepEqual(remoteLosses, losses);
  assert.equal(await model.generate('skip', { length: 20, temperature: 0 }), text);
  const state = await model.zeroState(1);
  let out: Float32Array = new Float32Array(0);
  for (const id of ids) out = await model.step([id], state);
  assert.deepEqual(Array.from(out), Array.from(localOut));
  const got = await state.get(0);
  assert.equal(got.hist!.length, 2);
  assert.deepEqual(got.hist!.map((a) => Array.from(a)), localHist.map((a) => Array.from(a)));
  const copy = await remote().loadModel(await model.save());
  assert.equal(await copy.generate('skip', { length: 20, temperature: 0 }), text);
  await copy.dispose();
  await model.dispose();
});
