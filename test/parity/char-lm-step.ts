/** One SGD step of the d2l char LSTM language model (`char_lm_step`), through the model API. */
import { dense, lstm, oneHot, sequential, sgd, Optimizer } from 'recurrent';

import { f32, type CharLmCase } from './fixture.js';
import { compare, compareScalar, type Comparison, FORWARD, GRADIENT } from './tolerance.js';

/** Fixture names to the model's PyTorch-style names. */
const NAMES: Record<string, string> = {
  weight_ih_l0: 'rnn.weight_ih_l0',
  weight_hh_l0: 'rnn.weight_hh_l0',
  bias_ih_l0: 'rnn.bias_ih_l0',
  bias_hh_l0: 'rnn.bias_hh_l0',
  dense_weight: 'fc.weight',
  dense_bias: 'fc.bias',
};

export function runCharLmStep(c: CharLmCase): { forward: Comparison[]; gradients: Comparison[] } {
  const s = c.spec;
  const model = sequential([oneHot({ vocabSize: s.vocab_size }), lstm({ units: s.hidden_size }), dense({ units: s.vocab_size })]);
  const state = model.zeroState(s.batch);
  const optimizer = new Optimizer(sgd({ lr: s.lr }), model.groups(), model.engine);
  try {
    model.loadStateDict(Object.fromEntries(c.param_names.map((n) => [NAMES[n]!, f32(c.params[n]!)])));
    const initial = { h: c.inputs.h0 ? [f32(c.inputs.h0)] : [new Float32Array(s.batch * s.hidden_size)], c: c.inputs.c0 ? [f32(c.inputs.c0)] : [new Float32Array(s.batch * s.hidden_size)] };
    state.set(0, initial);
    const logits = model.predict(c.inputs.tokens.data, { seqLen: s.seq_len, batchSize: s.batch, state });
    state.set(0, initial);
    const step = model.trainStep(
      { x: c.inputs.tokens.data, y: c.inputs.targets.data, seqLen: s.seq_len, batchSize: s.batch },
      { loss: 'crossEntropy', optimizer, clipNorm: s.clip_theta, state },
    );
    const final = state.get(0);
    const forward = [
      compare('logits', logits, c.outputs.logits.data, FORWARD),
      compare('h_n', final.h[0], c.outputs.h_n.data, FORWARD),
      compare('c_n', final.c[0], c.outputs.c_n.data, FORWARD),
      compareScalar('loss', step.loss, c.outputs.loss, 0, 1e-4),
      compareScalar('grad_norm', step.gradNorm, c.outputs.grad_norm, 1e-4),
      compareScalar('clip_scale', step.clipScale, c.outputs.clip_scale, 1e-4),
    ];
    if (step.clipScale < 1 !== c.outputs.clipped) forward.push({ name: 'clipped', usage: Infinity, maxAbs: Infinity, problem: `clipped ${step.clipScale < 1}, expected ${c.outputs.clipped}` });
    const params = new Map(model.parameters().map((p) => [p.name, p]));
    const gradients = c.param_names.map((n) => compare(n, params.get(NAMES[n]!)!.readGrad(), c.grads[n]!.data, GRADIENT));
    for (const n of c.param_names) forward.push(compare(`${n} after`, params.get(NAMES[n]!)!.read(), c.params_after[n]!.data, FORWARD));
    return { forward, gradients };
  } finally {
    optimizer.dispose();
    state.dispose();
    model.dispose();
  }
}
