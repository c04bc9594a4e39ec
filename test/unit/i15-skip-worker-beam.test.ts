// Issue 15, beam search on the worker: `RemoteModel.beamSearch` (a language model's best
// continuation of a prefix, `beamSearch(model, prefix, options)` in the worker) gives what
// the in-thread function gives, and refuses bad options with the in-thread error class and
// message.
import { beamSearch, dense, embedding, gru, InvalidArgumentError, rnn, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { workerPerFile } from '../support/worker.js';

const { test, beforeAll, afterAll } = nodeOnly('recurrent/worker in Node (worker_threads)');

const remote = workerPerFile({ beforeAll, afterAll }, { threads: 1, engine: { threads: 1 } });

test('RemoteModel.beamSearch gives the in-thread beamSearch for every width, end and length penalty', async () => {
  const V = 9;
  for (const layers of [
    [embedding({ vocabSize: V, dim: 4 }), gru({ units: 8, layers: 2 }), dense({ units: V })],
    [embedding({ vocabSize: V, dim: 4 }), rnn({ units: 8, skip: 3 }), dense({ units: V })],
  ]) {
    const local = sequential(layers, { seed: 11 });
    const far = await remote().sequential(layers, { seed: 11 });
    try {
      for (const options of [
        { beamWidth: 1, maxLength: 6 },
        { beamWidth: 4, maxLength: 8, end: 2 },
        { beamWidth: 5, maxLength: 7, end: 0, lengthPenalty: 1 },
      ]) {
        const here = beamSearch(local, [3, 1, 4], options);
        assert.deepEqual(await far.beamSearch([3, 1, 4], options), here, JSON.stringify(options));
        assert.deepEqual(await far.beamSearch(Int32Array.from([3, 1, 4]), options), here, 'typed array prefix');
      }
      // Width 1 is greedy generation.
      assert.deepEqual(await far.beamSearch([3], { beamWidth: 1, maxLength: 5 }), local.generate([3], { length: 5, temperature: 0 }));
      for (const [options, name] of [
        [{ beamWidth: 0, maxLength: 3 }, 'beamWidth'],
        [{ beamWidth: 2, maxLength: 3, end: V }, 'end'],
      ] as const) {
        await assert.rejects(far.beamSearch([1], options), (e: unknown) => e instanceof InvalidArgumentError && (e as Error).message.includes(name));
      }
      await assert.rejects(far.beamSearch([], { beamWidth: 2, maxLength: 3 }), InvalidArgumentError);
    } finally {
      local.dispose();
      await far.dispose();
    }
  }
});
