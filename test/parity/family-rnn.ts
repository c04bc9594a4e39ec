/**
 * Runs one `leaky_rnn` or `skip_rnn` case of the families fixtures (../shared/fixtures/families)
 * through the package's public RecurrentStack API: cell kind `rnn_leaky` (learned logits
 * `leak_l{k}`) or `rnn_leaky_fixed` (the fixture's constants `leak_a_l{k}`, set as the stack's
 * per-unit rates; no gradient is expected for them and none may come out), or `rnn_tanh` with
 * `skip: spec.skip_delay` (its `weight_skip_l{k}`).
 */
import { RecurrentStack, type CellKind } from 'recurrent';

import { compareFamily } from './family-tolerance.js';
import { f32, type Tensor } from './fixture.js';
import { compareScalar, type Comparison, FORWARD, GRADIENT } from './tolerance.js';

export interface FamilyRnnCase {
  type: 'leaky_rnn' | 'skip_rnn';
  name: string;
  spec: {
    leak?: 'fixed' | 'learned';
    skip_delay?: number;
    input_size: number;
    hidden_size: number;
    num_layers: number;
    bidirectional: boolean;
    batch: number;
    seq_len: number;
    lengths: number[] | null;
  };
  param_names: string[];
  params: Record<string, Tensor>;
  constants?: Record<string, Tensor>;
  inputs: { x: Tensor; h0: Tensor | null };
  outputs: { y: Tensor; h_n: Tensor };
  loss: { gy: Tensor; ghn: Tensor; value: number };
  grads: Record<string, Tensor>;
}

export function runFamilyRnn(c: FamilyRnnCase): { forward: Comparison[]; gradients: Comparison[] } {
  const s = c.spec;
  const kind: CellKind = c.type === 'skip_rnn' ? 'rnn_tanh' : s.leak === 'learned' ? 'rnn_leaky' : 'rnn_leaky_fixed';
  const stack = new RecurrentStack({
    kind, inputSize: s.input_size, hiddenSize: s.hidden_size, layers: s.num_layers, bidirectional: s.bidirectional,
    ...(c.type === 'skip_rnn' ? { skip: s.skip_delay! } : {}),
  });
  try {
    const constants = c.constants ?? {};
    const value = (name: string): Tensor => {
      const t = c.params[name] ?? constants[name];
      if (t === undefined) throw new Error(`the fixture has no tensor ${name} (params or constants)`);
      return t;
    };
    const ours = stack.parameters().map((p) => p.name);
    const theirs = ours.filter((n) => !(n in constants));
    if (theirs.join() !== c.param_names.join()) throw new Error(`parameter names differ: ours ${ours.join()} vs fixture ${c.param_names.join()}`);
    for (const name of ours) stack.setParameter(name, f32(value(name)));
    const out = stack.forward(f32(c.inputs.x), {
      seqLen: s.seq_len,
      batch: s.batch,
      training: true,
      ...(s.lengths ? { lengths: s.lengths } : {}),
      ...(c.inputs.h0 ? { h0: f32(c.inputs.h0) } : {}),
    });
    const forward = [compareFamily('y', out.y, c.outputs.y.data, FORWARD), compareFamily('h_n', out.hN, c.outputs.h_n.data, FORWARD)];
    forward.push(compareScalar('loss', dot(out.y, c.loss.gy.data) + dot(out.hN, c.loss.ghn.data), c.loss.value, 1e-4));
    stack.zeroGradients();
    const back = stack.backward({ gy: f32(c.loss.gy), ghn: f32(c.loss.ghn), inputGradient: true, stateGradient: c.inputs.h0 !== null });
    const gradients = c.param_names.map((name) => compareFamily(name, stack.getGradient(name), c.grads[name]!.data, GRADIENT));
    // Constants get no gradient: exactly zero.
    for (const name of Object.keys(constants)) {
      gradients.push(compareFamily(name, stack.getGradient(name), new Float32Array(constants[name]!.data.length), GRADIENT));
    }
    gradients.push(compareFamily('x', back.gx, c.grads['x']!.data, GRADIENT));
    if (c.grads['h0']) gradients.push(compareFamily('h0', back.gh0, c.grads['h0'].data, GRADIENT));
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
