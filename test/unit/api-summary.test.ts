// Issue 14: model.summary() (layers, output shapes, parameter counts, as Keras prints them)
// and freezing layers with `trainable: false`.
import { afterAll, beforeAll, test } from 'vitest';

import { adam, dense, dispose, embedding, fit, init, lstm, modelFromBytes, saveModel, sequential } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

test('summary lists every layer with its output shape and parameters, and the totals', () => {
  const m = sequential([embedding({ vocabSize: 10, dim: 4, trainable: false }), lstm({ units: 8, output: 'last' }), dense({ units: 6, activation: 'relu' }), dense({ units: 3 })]);
  try {
    const s = m.summary();
    const lines = s.split('\n');
    assert.match(lines[0]!, /^Layer \(type\)\s+Output shape\s+Param #$/);
    const rows = lines.slice(2, -4).map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows, [
      ['embedding (embedding, frozen)', '(batch, steps, 4)', '40'],
      ['rnn (lstm)', '(batch, steps, 8)', String(4 * 8 * (4 + 8) + 2 * 4 * 8)],
      ['rnn.last (pool)', '(batch, 8)', '0'],
      ['fc (dense, relu)', '(batch, 6)', String(6 * 8 + 6)],
      ['fc_1 (dense)', '(batch, 3)', String(3 * 6 + 3)],
    ]);
    const total = m.parameterCount;
    assert.ok(s.includes(`Total params: ${total}`));
    assert.ok(s.includes(`Trainable params: ${total - 40}`));
    assert.ok(s.includes('Non-trainable params: 40'));
  } finally {
    m.dispose();
  }
});

test('trainable: false leaves a layer as it was while the others learn, and survives saving', async () => {
  const m = sequential([lstm({ units: 5, trainable: false }), dense({ units: 2 })], { inputSize: 3, seed: 2 });
  try {
    const before = m.stateDict();
    const x = Array.from({ length: 8 }, (_, n) => Array.from({ length: 4 }, (_, t) => [Math.sin(n + t), Math.cos(n * t), 0.1 * n]));
    const y = x.map((e) => e.map((_, t) => (t % 2)));
    await fit(m, { x, y }, { epochs: 3, batchSize: 4, optimizer: adam({ lr: 0.05 }) });
    const after = m.stateDict();
    for (const [name, v] of before) {
      if (name.startsWith('rnn.')) assert.deepEqual(after.get(name), v, `${name} is frozen`);
      else assert.notDeepEqual(after.get(name), v, `${name} learns`);
    }
    const back = modelFromBytes(saveModel(m));
    assert.equal((back.configs[0] as { trainable?: boolean }).trainable, false);
    back.dispose();
  } finally {
    m.dispose();
  }
});
