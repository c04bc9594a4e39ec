// Issue 14: dense activations, MLP heads, layerNorm and the element-wise losses (binary
// cross-entropy on logits, MAE, Huber), cross-entropy skipping a final softmax, class
// weights, label smoothing and sample weights per output row, checked
// against PyTorch (float64) on the fixtures written by scripts/fixtures/api_fixtures.py:
// the output `predict` returns, the loss `evaluate` measures, and dL/d(every parameter).
import { afterAll, beforeAll, describe, test } from 'vitest';

import { dispose, init, type LayerConfig, type Loss, sequential, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { readDataJson, repoPath } from '../support/files.js';

interface Case {
  name: string;
  layers: LayerConfig[];
  inputSize: number;
  seqLen: number;
  batchSize: number;
  x: number[];
  y: number[];
  loss: Loss;
  /** Sample weights per output row, when the case has them. */
  weights?: number[];
  stateDict: Record<string, number[]>;
  output: number[];
  lossValue: number;
  grads: Record<string, number[]>;
}

const CASES = [
  'relu_layernorm_mse', 'gelu_huber', 'tanh_mae', 'sigmoid_bce', 'softmax_xent_mean', 'gelu_sequence_xent',
  'weighted_smoothed_xent', 'smoothed_xent_pooled_softmax', 'huber_delta',
  'weighted_rows_xent', 'weighted_rows_soft_xent', 'weighted_bce_pooled', 'weighted_mse', 'weighted_huber', 'no_bias_mlp',
];

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

/** Float32 arithmetic against a float64 reference. */
function close(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 2e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    assert.ok(err <= tol * (1 + Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]}`);
  }
}

describe('model API against PyTorch', () => {
  for (const name of CASES) {
    test(`${name}: output, loss and parameter gradients match PyTorch`, async () => {
      const c = await readDataJson<Case>(repoPath(`test/fixtures/api/${name}.json`));
      const model = sequential(c.layers, { inputSize: c.inputSize });
      try {
        model.loadStateDict(c.stateDict);
        const batch = { x: c.x, y: c.y, seqLen: c.seqLen, batchSize: c.batchSize, ...(c.weights ? { weights: c.weights } : {}) };
        close(model.predict(c.x, { seqLen: c.seqLen, batchSize: c.batchSize }), c.output, 'output');
        const measured = model.evaluate(batch, c.loss);
        assert.ok(Math.abs(measured.loss - c.lossValue) <= 2e-5 * (1 + Math.abs(c.lossValue)), `loss ${measured.loss} vs PyTorch ${c.lossValue}`);
        // A step leaves this step's gradients in place; the tiny rate keeps the weights as they were.
        model.trainStep(batch, { loss: c.loss, optimizer: model.optimizerFor(sgd({ lr: 1e-12 })) });
        const params = new Map(model.parameters().map((p) => [p.name, p]));
        assert.deepEqual([...params.keys()].sort(), Object.keys(c.grads).sort());
        for (const [pname, g] of Object.entries(c.grads)) close(params.get(pname)!.readGrad(), g, `d${pname}`, 5e-5);
      } finally {
        model.dispose();
      }
    });
  }
});
