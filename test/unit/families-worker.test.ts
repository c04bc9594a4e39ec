// Issue 15: leaky RNN layers through recurrent/worker: built, trained, saved and loaded in the
// worker with the same numbers as in the thread.
import { embedding, dense, fit, init, Random, rnn, sequential, sequentialBatches, Vocab } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const TEXT = 'leaky units integrate their past slowly, over many time scales at once ';
const vocab = new Vocab([...TEXT]);
const corpus = Int32Array.from(vocab.encode([...TEXT.repeat(5)]));
const DATA = { order: 'sequential', batchSize: 4, seqLen: 8, seed: 7 } as const;
const OPTIONS = { epochs: 1, bptt: 'truncated', optimizer: { type: 'adam', lr: 0.01 }, clipNorm: 1 } as const;

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1 });

for (const leak of [[0.5, 0, 0.25, 0.75, 0.9, 0.1, 0.3, 0.6, 0.2, 0.4, 0.8, 0.05], 'learn'] as const) {
  test(`rnn({ leak: ${Array.isArray(leak) ? 'rates' : `'${leak}'`} }) trains in the worker as in the thread, and its file loads there`, async () => {
    await init({ threads: 1 });
    const layers = [embedding({ vocabSize: vocab.size, dim: 6 }), rnn({ units: 12, leak }), dense({ units: vocab.size })];
    const local = sequential(layers, { seed: 3, vocab });
    const losses: number[] = [];
    const rng = new Random(DATA.seed);
    await fit(local, () => sequentialBatches(corpus, { batchSize: DATA.batchSize, seqLen: DATA.seqLen, rng }), { ...OPTIONS, onBatchEnd: (b) => void losses.push(b.loss) });
    const text = local.generate('leaky', { length: 20, temperature: 0 });
    local.dispose();
    const model = await remote().sequential(layers, { seed: 3, vocab });
    const remoteLosses: number[] = [];
    await model.fit({ corpus, ...DATA }, { ...OPTIONS, onBatchEnd: (b) => void remoteLosses.push(b.loss) });
    assert.ok(losses.length >= 5);
    assert.deepEqual(remoteLosses, losses);
    assert.equal(await model.generate('leaky', { length: 20, temperature: 0 }), text);
    const copy = await remote().loadModel(await model.save());
    assert.equal(await copy.generate('leaky', { length: 20, temperature: 0 }), text);
    await copy.dispose();
    await model.dispose();
  });
}
