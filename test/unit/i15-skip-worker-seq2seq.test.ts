// Issue 15, the encoder-decoder on the worker: `RecurrentWorker.seq2seq` builds a Seq2Seq in
// the worker; training, evaluation, greedy and beam translation (`beamWidth`, `lengthPenalty`)
// and its file give what they give in-thread; what cannot cross is refused by name.
import { gru, InvalidArgumentError, loadSeq2Seq, Random, saveSeq2Seq, Seq2Seq, type Seq2SeqPair } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1, engine: { threads: 1 } });

/** Reversal of short sequences over ids 0..5 (targets over 0..5, bos 6, eos 7). */
function pairs(n: number, seed: number): Seq2SeqPair[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => {
    const source = Array.from({ length: 2 + rng.nextInt(4) }, () => rng.nextInt(6));
    return { source, target: [...source].reverse() };
  });
}

test('Seq2Seq in the worker trains, evaluates, translates (greedy and beam) and saves as in the thread', async () => {
  const options = { sourceVocabSize: 6, targetVocabSize: 8, bos: 6, eos: 7, cell: gru({ units: 16 }), embeddingDim: 6, seed: 4 };
  const train = pairs(64, 1);
  const sources = pairs(6, 2).map((p) => p.source);
  const local = new Seq2Seq(options);
  const far = await remote().seq2seq(options);
  try {
    const fitOptions = { epochs: 3, batchSize: 16, seed: 5 };
    const localHistory = await local.fit(train, fitOptions);
    const farHistory = await far.fit(train, fitOptions);
    // The same numbers (timings aside).
    const numbers = (h: typeof localHistory) => h.epochs.map((e) => [e.epoch, e.loss, e.accuracy, e.batches]);
    assert.deepEqual(numbers(farHistory), numbers(localHistory));
    assert.deepEqual(await far.evaluate(train), local.evaluate(train));
    for (const t of [{}, { beamWidth: 1, maxLength: 8 }, { beamWidth: 3, maxLength: 8 }, { beamWidth: 4, maxLength: 6, lengthPenalty: 0.6 }]) {
      assert.deepEqual(await far.translate(sources, t), local.translate(sources, t), JSON.stringify(t));
    }
    const dict = await far.stateDict();
    assert.deepEqual([...dict.keys()], [...local.stateDict().keys()]);
    // The file written in the worker loads in the thread, and the thread's loads in the worker.
    const fromWorker = await loadSeq2Seq(await far.save());
    assert.deepEqual(fromWorker.translate(sources, { beamWidth: 3 }), local.translate(sources, { beamWidth: 3 }));
    fromWorker.dispose();
    const copy = await remote().loadSeq2Seq(saveSeq2Seq(local));
    assert.deepEqual(await copy.translate(sources, { beamWidth: 2 }), local.translate(sources, { beamWidth: 2 }));
    await copy.dispose();
    // Errors keep their class and name the argument.
    await assert.rejects(far.translate(sources, { beamWidth: 0 }), (e: unknown) => e instanceof InvalidArgumentError && /beamWidth/.test((e as Error).message));
    await assert.rejects(far.fit(train, { onEpochEnd: () => undefined } as never), (e: unknown) => e instanceof InvalidArgumentError && /onEpochEnd/.test((e as Error).message));
    await assert.rejects(remote().seq2seq({ ...options, eos: 6 }), InvalidArgumentError);
  } finally {
    local.dispose();
    await far.dispose();
  }
  await assert.rejects(far.translate(sources), InvalidArgumentError);
});
