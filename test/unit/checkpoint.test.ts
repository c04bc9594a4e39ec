// Memory-saving BPTT: keeping the state every k steps and recomputing the rest gives the
// same loss and gradients as the full tape, with a tape k/T as long.
import { afterAll, beforeAll, test } from 'vitest';

import { dense, dispose, embedding, gru, init, lstm, Optimizer, rnn, sequential, sgd, type LayerConfig } from 'recurrent';

import { rng } from '../support/random.js';
import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

function batch(seqLen: number, batchSize: number, vocab: number, seed: number, varlen: boolean) {
  const next = rng(seed);
  const x = Int32Array.from({ length: seqLen * batchSize }, () => Math.floor(next() * vocab));
  const y = Int32Array.from({ length: seqLen * batchSize }, () => Math.floor(next() * vocab));
  const lengths = varlen ? Array.from({ length: batchSize }, (_, b) => seqLen - ((b * 7) % Math.max(1, seqLen - 1))) : undefined;
  return { x, y, seqLen, batchSize, ...(lengths ? { lengths } : {}) };
}

function gradients(layers: LayerConfig[], b: ReturnType<typeof batch>, k: number) {
  const model = sequential(layers, { seed: 3 });
  // lr 0: the step computes gradients and leaves the parameters alone.
  const optimizer = new Optimizer(sgd({ lr: 0 }), model.groups(), model.engine);
  const r = model.trainStep(b, { loss: 'crossEntropy', optimizer, checkpointEvery: k });
  const grads = new Map(model.parameters().map((p) => [p.name, p.readGrad()]));
  const tape = model.tapeFloats;
  optimizer.dispose();
  model.dispose();
  return { loss: r.loss, grads, tape };
}

for (const [name, layers] of [
  ['lstm, 2 stacked layers with dropout', [embedding({ vocabSize: 11, dim: 6 }), lstm({ units: 9, layers: 2, dropout: 0.3 }), dense({ units: 11 })]],
  ['gru', [embedding({ vocabSize: 11, dim: 5 }), gru({ units: 7 }), dense({ units: 11 })]],
  ['rnn', [embedding({ vocabSize: 11, dim: 5 }), rnn({ units: 8 }), dense({ units: 11 })]],
] as [string, LayerConfig[]][]) {
  for (const varlen of [false, true]) {
    test(`checkpointed BPTT equals full BPTT: ${name}${varlen ? ', variable lengths' : ''}`, () => {
      const b = batch(40, 5, 11, 17, varlen);
      const full = gradients(layers, b, 0);
      const ck = gradients(layers, b, 7);
      assert.ok(Math.abs(full.loss - ck.loss) <= 1e-6 * Math.abs(full.loss), `loss ${ck.loss} vs ${full.loss}`);
      for (const [n, g] of full.grads) {
        const h = ck.grads.get(n)!;
        let scale = 0;
        for (const v of g) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < g.length; i++) {
          assert.ok(Math.abs(g[i]! - h[i]!) <= 1e-5 * Math.max(1, scale), `${n}[${i}]: ${h[i]} vs ${g[i]}`);
        }
      }
      // The tape holds 7 steps instead of 40.
      assert.ok(ck.tape > 0 && ck.tape * 5 <= full.tape, `tape ${ck.tape} floats vs ${full.tape}`);
    });
  }
}

test('the memory saved is reported', () => {
  const layers = [embedding({ vocabSize: 28, dim: 16 }), lstm({ units: 128 }), dense({ units: 28 })];
  const b = batch(200, 8, 28, 5, false);
  const full = gradients(layers, b, 0);
  const ck = gradients(layers, b, 20);
  console.log(`LSTM 128, T=200, B=8: tape ${full.tape * 4} bytes with the full tape, ${ck.tape * 4} bytes checkpointing every 20 steps (${(100 * (1 - ck.tape / full.tape)).toFixed(1)}% saved)`);
  assert.ok(ck.tape < full.tape / 5);
});
