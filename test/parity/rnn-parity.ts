/** Runs one `rnn_parity` case through the package's public RecurrentStack API. */
import { RecurrentStack, type CellKind } from 'recurrent';

import { f32, type RnnParityCase } from './fixture.js';
import { compare, compareScalar, type Comparison, FORWARD, GRADIENT } from './tolerance.js';

export function runRnnParity(c: RnnParityCase): { forward: Comparison[]; gradients: Comparison[] } {
  const s = c.spec;
  const stack = new RecurrentStack({
    kind: s.kind as CellKind,
    inputSize: s.input_size,
    hiddenSize: s.hidden_size,
    layers: s.num_layers,
    bidirectional: s.bidirectional,
  });
  try {
    const names = stack.parameters().map((p) => p.name);
    if (names.join() !== c.param_names.join()) {
      throw new Error(`parameter names differ: ours ${names.join()} vs fixture ${c.param_names.join()}`);
    }
    for (const name of c.param_names) stack.setParameter(name, f32(c.params[name]!));
    const out = stack.forward(f32(c.inputs.x), {
      seqLen: s.seq_len,
      batch: s.batch,
      training: true,
      ...(s.lengths ? { lengths: s.lengths } : {}),
      ...(c.inputs.h0 ? { h0: f32(c.inputs.h0) } : {}),
      ...(c.inputs.c0 ? { c0: f32(c.inputs.c0) } : {}),
    });
    const forward = [
      compare('y', out.y, c.outputs.y.data, FORWARD),
      compare('h_n', out.hN, c.outputs.h_n.data, FORWARD),
    ];
    if (c.outputs.c_n) forward.push(compare('c_n', out.cN, c.outputs.c_n.data, FORWARD));
    let loss = dot(out.y, c.loss.gy.data) + dot(out.hN, c.loss.ghn.data);
    if (c.loss.gcn && out.cN) loss += dot(out.cN, c.loss.gcn.data);
    forward.push(compareScalar('loss', loss, c.loss.value, 1e-4));

    stack.zeroGradients();
    const back = stack.backward({
      gy: f32(c.loss.gy),
      ghn: f32(c.loss.ghn),
      ...(c.loss.gcn ? { gcn: f32(c.loss.gcn) } : {}),
      inputGradient: true,
      stateGradient: c.inputs.h0 !== null,
    });
    const gradients = c.param_names.map((name) => compare(name, stack.getGradient(name), c.grads[name]!.data, GRADIENT));
    gradients.push(compare('x', back.gx, c.grads.x!.data, GRADIENT));
    if (c.grads.h0) gradients.push(compare('h0', back.gh0, c.grads.h0.data, GRADIENT));
    if (c.grads.c0) gradients.push(compare('c0', back.gc0, c.grads.c0.data, GRADIENT));
    return { forward, gradients };
  } finally {
    stack.dispose();
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
