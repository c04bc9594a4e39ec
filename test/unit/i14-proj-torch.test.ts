// Issue 14: LSTM projections, `lstm({ projSize })` (PyTorch `proj_size`): h_t = W_hr (o_t *
// tanh(c_t)) with `weight_hr_l{k}` [projSize, units], checked against PyTorch (float64 fixtures
// of scripts/fixtures/api_fixtures.py: nn.LSTM(proj_size=...), one layer; two layers
// bidirectional; two layers with variable lengths) for the output, the loss and every gradient
// (weight_hr among them), at the tolerances of api-torch-fixtures.test.ts; summary() counts
// PyTorch's parameters; the option's checks; streaming, model states (h projSize wide, c units
// wide), Seq2Seq, our file format, the PyTorch folder format both ways, ONNX's refusal, and
// the worker.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  dense, dispose, FormatError, RecurrentStack, gru, init, InvalidArgumentError, loadTorch, lstm, modelFromBytes, rnn,
  saveModel, saveTorch, Seq2Seq, sequential, sgd,
} from 'recurrent';
import { saveOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { withTempFolder } from '../support/files.js';
import { assertSummaryCountsTorch, checkAgainstTorch, close, readTorchCase } from '../support/torch-case.js';
import { assertSameFit, withTwinModels } from '../support/worker.js';

const CASES = ['proj_lstm', 'proj_lstm_stacked_bidirectional', 'proj_lstm_lengths'];

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

describe('lstm({ projSize }) against PyTorch nn.LSTM(proj_size=...)', () => {
  for (const name of CASES) {
    test(`${name}: weight_hr parameters; output, loss and every gradient match PyTorch; summary counts PyTorch's parameters`, async () => {
      const c = await readTorchCase(name);
      const model = sequential(c.layers, { inputSize: c.inputSize });
      try {
        assert.ok(Object.keys(c.stateDict).some((k) => k.startsWith('rnn.weight_hr_l')), 'the PyTorch module has weight_hr');
        checkAgainstTorch(model, c);
        assertSummaryCountsTorch(model, c);
      } finally {
        model.dispose();
      }
    });
  }
});

test('projSize is checked: LSTM layers only, an integer in [1, units)', () => {
  for (const bad of [0, -1, 4, 5, 1.5, '2', null]) {
    assert.throws(() => lstm({ units: 4, projSize: bad as number }), (e: unknown) => e instanceof InvalidArgumentError && /projSize/.test((e as Error).message), `projSize ${String(bad)}`);
  }
  assert.throws(() => rnn({ units: 4, projSize: 2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /projSize/.test((e as Error).message));
  assert.throws(() => gru({ units: 4, projSize: 2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /projSize/.test((e as Error).message));
  assert.equal(lstm({ units: 4, projSize: 3 }).projSize, 3);
  assert.equal(lstm({ units: 4, variant: 'peephole', projSize: 1 }).projSize, 1);
});

test('a projected LSTM: output and h are projSize wide, c is units wide; streaming steps give the sequence forward', () => {
  const model = sequential([lstm({ units: 6, projSize: 2, layers: 2 }), dense({ units: 3 })], { seed: 5, inputSize: 3 });
  const [T, B] = [4, 2];
  const x = Array.from({ length: T * B * 3 }, (_, i) => Math.sin(0.7 * i));
  try {
    assert.equal(model.recurrent[0]!.outputSize, 2);
    assert.deepEqual(model.parameters().find((p) => p.name === 'rnn.weight_hh_l1')!.shape, [24, 2]);
    assert.deepEqual(model.parameters().find((p) => p.name === 'rnn.weight_ih_l1')!.shape, [24, 2]);
    assert.deepEqual(model.parameters().find((p) => p.name === 'rnn.weight_hr_l0')!.shape, [2, 6]);
    const whole = model.predict(x, { seqLen: T, batchSize: B });
    const state = model.zeroState(B);
    try {
      for (let t = 0; t < T; t++) {
        const y = model.step(x.slice(t * B * 3, (t + 1) * B * 3), state);
        close(y, [...whole.slice(t * B * 3, (t + 1) * B * 3)], `step ${t}`, 1e-5);
      }
      const s = state.get(0);
      assert.deepEqual([s.h.length, s.h[0]!.length, s.c[0]!.length], [2, B * 2, B * 6]);
      assert.throws(() => state.set(0, { h: [new Float32Array(B * 6), new Float32Array(B * 6)] }), InvalidArgumentError);
      state.set(0, { h: [new Float32Array(B * 2), new Float32Array(B * 2)], c: [new Float32Array(B * 6), new Float32Array(B * 6)] });
    } finally {
      state.dispose();
    }
  } finally {
    model.dispose();
  }
});

test('projSize survives our file format and the PyTorch folder format both ways; ONNX export refuses it', () => withTempFolder(async (dir) => {
  const model = sequential([lstm({ units: 5, layers: 2, projSize: 3, bidirectional: true }), dense({ units: 3 })], { seed: 3, inputSize: 2 });
  const x = Array.from({ length: 3 * 2 * 2 }, (_, i) => Math.cos(i));
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
    const meta = JSON.parse(folder['meta.json']) as { architecture: { type: string; proj_size?: number }[] };
    assert.equal(meta.architecture.find((m) => m.type === 'lstm')!.proj_size, 3);
    await dir.write('meta.json', folder['meta.json']);
    await dir.write('model.safetensors', folder['model.safetensors']);
    const loaded = await loadTorch(dir.location);
    try {
      assert.deepEqual(loaded.predict(x, shape), model.predict(x, shape));
    } finally {
      loaded.dispose();
    }
    // A proj_size the tensors do not have, or one PyTorch would refuse, is a FormatError.
    for (const [bad, pattern] of [[2, /weight_h[hr]_l0/], [5, /proj_size/], [-1, /proj_size/]] as const) {
      const m = JSON.parse(folder['meta.json']) as { architecture: Record<string, unknown>[] };
      m.architecture.find((a) => a['type'] === 'lstm')!['proj_size'] = bad;
      await dir.write('meta.json', JSON.stringify(m));
      await assert.rejects(loadTorch(dir.location), (e: unknown) => e instanceof FormatError && pattern.test((e as Error).message), `proj_size ${bad}`);
    }
    assert.throws(() => saveOnnx(model), (e: unknown) => e instanceof InvalidArgumentError && /projSize/.test((e as Error).message) && /ONNX/.test((e as Error).message));
  } finally {
    model.dispose();
  }
}));

test('Seq2Seq with a projected LSTM trains (its decoder starts from the encoder\'s projSize-wide h and units-wide c)', () => {
  const s2s = new Seq2Seq({ sourceVocabSize: 3, targetVocabSize: 5, bos: 3, eos: 4, cell: lstm({ units: 6, projSize: 3 }), embeddingDim: 4, seed: 2 });
  try {
    const pairs = [{ source: [0, 1, 2, 0], target: [0, 1, 2] }, { source: [2, 1], target: [2, 0] }];
    const optimizer = s2s.optimizer();
    const first = s2s.evaluate(pairs).loss;
    for (let i = 0; i < 30; i++) s2s.trainStep(pairs, { optimizer });
    const last = s2s.evaluate(pairs).loss;
    assert.ok(Number.isFinite(first) && last < first, `loss ${first} -> ${last}`);
    assert.deepEqual([...s2s.stateDict().keys()].filter((k) => k.includes('weight_hr')).length, 2);
  } finally {
    s2s.dispose();
  }
});

test('a worker builds and trains a projected LSTM as the thread does', async () => {
  const layers = [lstm({ units: 5, projSize: 2, output: 'last' }), dense({ units: 2 })];
  await withTwinModels(layers, { seed: 9, inputSize: 1 }, async (local, model) => {
    const x = Array.from({ length: 6 }, (_, n) => Array.from({ length: 4 }, (_, t) => [Math.cos(n + t)]));
    const y = [0, 1, 1, 0, 1, 0];
    const options = { epochs: 2, batchSize: 3, optimizer: sgd({ lr: 0.1 }) };
    const names = [...(await model.stateDict()).keys()];
    assert.deepEqual(names, [...local.stateDict().keys()]);
    assert.ok(names.includes('rnn.weight_hr_l0'));
    assert.equal(await model.summary(), local.summary());
    await assertSameFit(local, model, { x, y }, options);
  });
});

test('RecurrentStack({ projSize }): states h [L*D, B, P] and c [L*D, B, H], checked; bad projSize refused before anything is made', () => {
  for (const [kind, projSize] of [['gru', 2], ['rnn_tanh', 2], ['lstm', 0], ['lstm', 5]] as const) {
    assert.throws(() => new RecurrentStack({ kind, inputSize: 3, hiddenSize: 5, projSize }), (e: unknown) => e instanceof InvalidArgumentError && /projSize/.test((e as Error).message), `${kind} ${projSize}`);
  }
  const stack = new RecurrentStack({ kind: 'lstm', inputSize: 3, hiddenSize: 5, layers: 2, bidirectional: true, projSize: 2 });
  try {
    assert.deepEqual([stack.projSize, stack.outputSize], [2, 4]);
    for (const p of stack.parameters()) stack.setParameter(p.name, Array.from({ length: p.size }, (_, i) => Math.sin(i + p.offset) * 0.3));
    const [T, B] = [3, 2];
    const x = Float32Array.from({ length: T * B * 3 }, (_, i) => Math.cos(i));
    const h0 = new Float32Array(4 * B * 2).fill(0.1);
    const c0 = new Float32Array(4 * B * 5).fill(-0.2);
    const out = stack.forward(x, { seqLen: T, batch: B, h0, c0, training: true });
    assert.deepEqual([out.y.length, out.hN.length, out.cN!.length], [T * B * 4, 4 * B * 2, 4 * B * 5]);
    const g = stack.backward({ gy: new Float32Array(T * B * 4).fill(1), gcn: new Float32Array(4 * B * 5).fill(0.5), stateGradient: true });
    assert.deepEqual([g.gh0!.length, g.gc0!.length], [4 * B * 2, 4 * B * 5]);
    assert.ok(stack.getGradient('weight_hr_l1_reverse').some((v) => v !== 0));
    // c0 is H wide, not P wide: refused naming it.
    assert.throws(() => stack.forward(x, { seqLen: T, batch: B, c0: new Float32Array(4 * B * 2) }), (e: unknown) => e instanceof InvalidArgumentError && /c0/.test((e as Error).message));
    assert.throws(() => stack.forward(x, { seqLen: T, batch: B, h0: new Float32Array(4 * B * 5) }), (e: unknown) => e instanceof InvalidArgumentError && /h0/.test((e as Error).message));
  } finally {
    stack.dispose();
  }
});
