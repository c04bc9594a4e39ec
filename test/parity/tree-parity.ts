/**
 * A `tree_rnn`, `child_sum_tree_lstm` or `nary_tree_lstm` case (../shared/fixtures/families)
 * through `TreeCell`: forward `h` (and `c`), the loss `sum(h * gh) + sum(c * gc)`, and the
 * gradient of every parameter and of `x`, at the families README's default tier (its allowance
 * scales with M, without the floor at 1; an all-zero tensor must come out exactly 0).
 */
import { Float32Buffer, TreeCell, forestFromNodes, type TreeCellKind } from 'recurrent';

import { f32, type Tensor } from './fixture.js';
import { compare, compareScalar, type Comparison, FORWARD, GRADIENT } from './tolerance.js';

export interface TreeCase {
  type: 'tree_rnn' | 'child_sum_tree_lstm' | 'nary_tree_lstm';
  name: string;
  spec: { input_size: number; hidden_size: number; num_inputs: number };
  param_names: string[];
  params: Record<string, Tensor>;
  inputs: { x: Tensor; nodes: { children: number[]; x: number }[]; roots: number[] };
  outputs: { h: Tensor; c?: Tensor };
  loss: { gh: Tensor; gc?: Tensor; value: number };
  grads: Record<string, Tensor>;
}

export const TREE_CASE_TYPES: Record<TreeCase['type'], TreeCellKind> = {
  tree_rnn: 'treeRnn',
  child_sum_tree_lstm: 'childSumTreeLstm',
  nary_tree_lstm: 'naryTreeLstm',
};

export function runTreeParity(c: TreeCase): { forward: Comparison[]; gradients: Comparison[] } {
  const s = c.spec;
  const cell = new TreeCell(TREE_CASE_TYPES[c.type], s.input_size, s.hidden_size);
  const owned: Float32Buffer[] = [];
  const buffer = (t: Float32Array | number): Float32Buffer => {
    const b = typeof t === 'number' ? new Float32Buffer(t) : Float32Buffer.from(t);
    owned.push(b);
    return b;
  };
  try {
    for (const p of cell.info) {
      const t = c.params[p.name];
      if (!t) throw new Error(`the case has no parameter ${p.name}`);
      cell.params.write(f32(t), p.offset);
    }
    const forest = forestFromNodes(c.inputs.nodes, s.num_inputs);
    const x = buffer(f32(c.inputs.x));
    const out = cell.forward(forest, x);
    const h = out.h.read().subarray(0, forest.nodes * s.hidden_size);
    const cs = out.c?.read().subarray(0, forest.nodes * s.hidden_size);
    const gh = f32(c.loss.gh);
    const gc = c.loss.gc ? f32(c.loss.gc) : undefined;
    let loss = 0;
    h.forEach((v, i) => (loss += v * gh[i]!));
    if (cs && gc) cs.forEach((v, i) => (loss += v * gc[i]!));
    const forward = [compare('h', h, c.outputs.h.data, FORWARD, 'M'), compareScalar('loss', loss, c.loss.value, 1e-4)];
    if (c.outputs.c) forward.push(compare('c', cs, c.outputs.c.data, FORWARD, 'M'));
    const gx = buffer(s.num_inputs * s.input_size);
    cell.backward(buffer(gh), gc ? buffer(gc) : undefined, gx);
    const grads = cell.grads.read();
    const gradients = cell.info.map((p) => compare(p.name, grads.subarray(p.offset, p.offset + p.size), c.grads[p.name]!.data, GRADIENT, 'M'));
    gradients.push(compare('x', gx.read(), c.grads['x']!.data, GRADIENT, 'M'));
    return { forward, gradients };
  } finally {
    owned.forEach((b) => b.dispose());
    cell.dispose();
  }
}
