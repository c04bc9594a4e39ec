// Issue 14: dense activations, MLP heads, layerNorm and the element-wise losses (binary
// cross-entropy on logits, MAE, Huber), cross-entropy skipping a final softmax, class
// weights, label smoothing and sample weights per output row, checked
// against PyTorch (float64) on the fixtures written by scripts/fixtures/api_fixtures.py:
// the output `predict` returns, the loss `evaluate` measures, and dL/d(every parameter).
import { afterAll, beforeAll, describe, test } from 'vitest';

import { dispose, init, sequential } from 'recurrent';

import { engineOptions } from '../support/env.js';
import { checkAgainstTorch, readTorchCase } from '../support/torch-case.js';

const CASES = [
  'relu_layernorm_mse', 'gelu_huber', 'tanh_mae', 'sigmoid_bce', 'softmax_xent_mean', 'gelu_sequence_xent',
  'weighted_smoothed_xent', 'smoothed_xent_pooled_softmax', 'huber_delta',
  'weighted_rows_xent', 'weighted_rows_soft_xent', 'weighted_bce_pooled', 'weighted_mse', 'weighted_huber', 'no_bias_mlp',
];

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

describe('model API against PyTorch', () => {
  for (const name of CASES) {
    test(`${name}: output, loss and parameter gradients match PyTorch`, async () => {
      const c = await readTorchCase(name);
      const model = sequential(c.layers, { inputSize: c.inputSize });
      try {
        checkAgainstTorch(model, c);
      } finally {
        model.dispose();
      }
    });
  }
});
