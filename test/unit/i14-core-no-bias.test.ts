// Issue 14: `bias: false` on recurrent layers (PyTorch `bias=False`): no bias_ih / bias_hh
// parameters at all, checked against PyTorch (float64 fixtures of
// scripts/fixtures/api_fixtures.py: nn.LSTM / nn.GRU / nn.RNN with bias=False, stacked and
// bidirectional) for the output, the loss and every gradient; and through the parameter
// counts of summary(), our file format, the PyTorch folder format both ways, and the worker.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  dense, dispose, FormatError, gru, init, InvalidArgumentError, loadTorch, lstm, modelFromBytes, rnn,
  saveModel, saveTorch, sequential, sgd,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { withTempFolder } from '../support/files.js';
import { assertSummaryCountsTorch, checkAgainstTorch, readTorchCase } from '../support/torch-case.js';
import { assertSameFit, withTwinModels } from '../support/worker.js';

const CASES = ['no_bias_lstm_stacked_bidirectional', 'no_bias_gru_mean', 'no_bias_rnn_last'];

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const isBias = (name: string) => /\.bias_(ih|hh)_l\d/.test(name);

describe('recurrent layers with bias: false against PyTorch bias=False', () => {
  for (const name of CASES) {
    test(`${name}: no bias parameters; output, loss and every gradient match PyTorch`, async () => {
      const c = await readTorchCase(name);
      const model = sequential(c.layers, { inputSize: c.inputSize });
      try {
        assert.ok(!Object.keys(c.stateDict).some(isBias), 'the PyTorch module has no bias_ih / bias_hh');
        assert.ok(!model.parameters().some((p) => isBias(p.name)), model.parameters().map((p) => p.name).join(', '));
        checkAgainstTorch(model, c);
        // summary() counts what PyTorch's module holds.
        assertSummaryCountsTorch(model, c);
      } finally {
        model.dispose();
      }
    });
  }
});

test('parameter counts: bias: false drops exactly the 2 * G * H biases of each layer and direction', () => {
  for (const [make, G] of [[lstm, 4], [gru, 3], [rnn, 1]] as const) {
    const a = sequential([make({ units: 5, layers: 2, bidirectional: true })], { inputSize: 3 });
    const b = sequential([make({ units: 5, layers: 2, bidirectional: true, bias: false })], { inputSize: 3 });
    try {
      const count = (m: typeof a) => m.parameters().reduce((n, p) => n + p.size, 0);
      assert.equal(count(a) - count(b), 2 * 2 * 2 * G * 5);
    } finally {
      a.dispose();
      b.dispose();
    }
  }
});

test('bias: false survives our file format and the PyTorch folder format both ways', () => withTempFolder(async (dir) => {
  const layers = [lstm({ units: 4, layers: 2, bias: false }), dense({ units: 3 })];
  const model = sequential(layers, { seed: 3, inputSize: 2 });
  const x = Array.from({ length: 3 * 2 * 2 }, (_, i) => Math.sin(i));
  const shape = { seqLen: 3, batchSize: 2 };
  try {
    const copy = modelFromBytes(saveModel(model));
    try {
      assert.deepEqual([...copy.stateDict().keys()], [...model.stateDict().keys()]);
      assert.deepEqual(copy.predict(x, shape), model.predict(x, shape));
    } finally {
      copy.dispose();
    }
    const folder = saveTorch(model);
    const meta = JSON.parse(folder['meta.json']) as { architecture: { type: string; bias?: boolean }[] };
    assert.equal(meta.architecture.find((m) => m.type === 'lstm')!.bias, false);
    await dir.write('meta.json', folder['meta.json']);
    await dir.write('model.safetensors', folder['model.safetensors']);
    const loaded = await loadTorch(dir.location);
    try {
      assert.ok(![...loaded.stateDict().keys()].some(isBias));
      assert.deepEqual(loaded.predict(x, shape), model.predict(x, shape));
    } finally {
      loaded.dispose();
    }
  } finally {
    model.dispose();
  }
}));

test('loadTorch: proj_size is read (projections are implemented); over tensors without a projection it is a FormatError naming the tensor', () => withTempFolder(async (dir) => {
  const model = sequential([lstm({ units: 4 }), dense({ units: 3 })], { seed: 3, inputSize: 2 });
  try {
    const folder = saveTorch(model);
    const meta = JSON.parse(folder['meta.json']) as { architecture: Record<string, unknown>[] };
    meta.architecture[0]!['proj_size'] = 2;
    await dir.write('meta.json', JSON.stringify(meta));
    await dir.write('model.safetensors', folder['model.safetensors']);
    await assert.rejects(loadTorch(dir.location), (e: unknown) => e instanceof FormatError && /rnn\.weight_hh_l0. expected shape \[16, 2\]/.test((e as Error).message));
  } finally {
    model.dispose();
  }
}));

test('bad bias options are InvalidArgumentErrors naming the option', () => {
  assert.throws(() => lstm({ units: 3, bias: 'no' as unknown as boolean }), (e: unknown) => e instanceof InvalidArgumentError && /`bias`/.test(e.message));
  assert.throws(() => lstm({ units: 3, bias: false, forgetBias: 1 }), (e: unknown) => e instanceof InvalidArgumentError && /forgetBias/.test(e.message) && /bias: false/.test(e.message));
  assert.throws(() => gru({ units: 3, use_bias: false } as never), (e: unknown) => e instanceof InvalidArgumentError && /use_bias/.test(e.message) && /`bias`/.test(e.message));
});

test('a worker builds and trains a layer without biases as the thread does', async () => {
  const layers = [gru({ units: 4, bias: false, output: 'last' }), dense({ units: 2 })];
  await withTwinModels(layers, { seed: 9, inputSize: 1 }, async (local, model) => {
    const x = Array.from({ length: 6 }, (_, n) => Array.from({ length: 4 }, (_, t) => [Math.cos(n + t)]));
    const y = [0, 1, 1, 0, 1, 0];
    const options = { epochs: 2, batchSize: 3, optimizer: sgd({ lr: 0.1 }) };
    const names = [...(await model.stateDict()).keys()];
    assert.deepEqual(names, [...local.stateDict().keys()]);
    assert.ok(!names.some(isBias));
    assert.equal(await model.summary(), local.summary());
    await assertSameFit(local, model, { x, y }, options);
  });
});
