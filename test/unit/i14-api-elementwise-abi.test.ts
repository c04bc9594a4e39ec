// Issue 14: the element-wise maths of the model API (dense activations, layerNorm, and the
// element-wise losses) is computed by the core, one call per layer or loss and batch, not in
// TypeScript: a training step of a per-step model with gelu, relu, tanh and sigmoid, a layerNorm and each
// element-wise loss makes exactly one forward and one backward call per such layer and one
// value_loss call, for T = 5 and T = 60 alike (nothing per step or per element). Counted
// through Engine.onAbiCall. Before the move these layers made no call at all (float64 on
// views of the wasm buffers).
import { afterAll, beforeAll, describe, test } from 'vitest';

import { dense, dispose, engine, gru, init, layerNorm, type Loss, Optimizer, sequential, sgd } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

/** Calls of each export made while `f` runs. */
function countCalls(f: () => void): Map<string, number> {
  const counts = new Map<string, number>();
  const stop = engine().onAbiCall((name) => counts.set(name, (counts.get(name) ?? 0) + 1));
  try {
    f();
  } finally {
    stop();
  }
  return counts;
}

const LOSSES: Loss[] = ['mse', 'mae', { kind: 'huber', delta: 0.5 }, 'binaryCrossEntropy'];

describe.each(LOSSES.map((l) => [typeof l === 'string' ? l : l.kind, l] as const))('%s', (_, loss) => {
  test('one call per element-wise layer each way and one value_loss call per batch, whatever T', () => {
    const bce = loss === 'binaryCrossEntropy';
    for (const seqLen of [5, 60]) {
      const model = sequential(
        [
          gru({ units: 6 }),
          dense({ units: 8, activation: 'gelu' }),
          layerNorm(),
          dense({ units: 8, activation: 'relu' }),
          dense({ units: 8, activation: 'tanh' }),
          dense({ units: 3, activation: 'sigmoid' }),
        ],
        { inputSize: 2, seed: 1 },
      );
      const optimizer = new Optimizer(sgd({ lr: 0.01 }), model.groups(), model.engine);
      const B = 3;
      const x = Array.from({ length: seqLen * B * 2 }, (_, i) => Math.sin(i));
      // Sample weights take the weighted MSE path too (it was a separate TypeScript loop).
      const y = Array.from({ length: seqLen * B * 3 }, (_, i) => (Math.cos(i) > 0 ? 1 : 0));
      const weights = Array.from({ length: seqLen * B }, (_, i) => 1 + (i % 2));
      const step = () => model.trainStep({ x, y, seqLen, batchSize: B, weights }, { loss, optimizer });
      try {
        step();
        const calls = countCalls(step);
        const n = (name: string) => calls.get(name) ?? 0;
        assert.deepEqual(
          { af: n('activation_forward'), ab: n('activation_backward'), lf: n('layer_norm_forward'), lb: n('layer_norm_backward'), loss: n('value_loss') },
          // Binary cross-entropy computes from the logits: its final sigmoid runs in inference only.
          bce ? { af: 3, ab: 3, lf: 1, lb: 1, loss: 1 } : { af: 4, ab: 4, lf: 1, lb: 1, loss: 1 },
          `T ${seqLen}: ${[...calls].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        );
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    }
  });
});
