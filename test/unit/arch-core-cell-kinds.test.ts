// Issue 13, item 2: one table of cell kinds, in Rust (crates/recurrent-core/src/rnn/kind.rs),
// read by TypeScript through the generated core/cell-kinds.generated.ts. The TypeScript facts
// (gate counts, cell state, per-unit parameter vectors) match what the wasm build computes
// with; the layer vocabulary and the CLI's choices reach every row of their family; the forget
// bias lands in the forget gate's block of the table's gate order.
import { afterAll, beforeAll, test } from 'vitest';

import { CELL_KINDS, dispose, gateCount, gru, hasCellState, init, lstm, RecurrentStack, rnn, sequential } from 'recurrent';

import type { TrainFlags } from '../../packages/recurrent/dist/cli/train.js';
import { CELL_KIND_ROWS } from '../../packages/recurrent/dist/core/cell-kinds.generated.js';
import { gateBlock, optionSpelling } from '../../packages/recurrent/dist/core/cell-kinds.js';
import { cellKindOf } from '../../packages/recurrent/dist/model/layers.js';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

test("every kind's gate count, cell state and per-unit vectors are what the wasm stack computes with", () => {
  assert.deepEqual([...CELL_KINDS], CELL_KIND_ROWS.map((r) => r.id));
  for (const row of CELL_KIND_ROWS) {
    const kind = row.id;
    const H = 4;
    const stack = new RecurrentStack({ kind, inputSize: 3, hiddenSize: H, layers: 2, bidirectional: true });
    try {
      const byName = new Map(stack.parameters().map((p) => [p.name, p.shape]));
      assert.deepEqual(byName.get('weight_ih_l0'), [gateCount(kind) * H, 3], kind);
      assert.deepEqual(byName.get('weight_hh_l1_reverse'), [gateCount(kind) * H, H], kind);
      for (const v of row.perUnit) assert.deepEqual(byName.get(`${v}_l1_reverse`), [H], `${kind}: ${v}`);
      assert.equal(stack.parameters().length, 2 * 2 * (4 + row.perUnit.length), kind);
      const f = stack.forward(new Float32Array(2 * 1 * 3).fill(0.5), { seqLen: 2, batch: 1 });
      assert.equal(f.cN !== undefined, hasCellState(kind), `${kind}: a cell state comes back iff the row says so`);
    } finally {
      stack.dispose();
    }
  }
});

test('every row is reachable from its layer factory, spelled as the row says', () => {
  const reached = new Set<string>();
  for (const row of CELL_KIND_ROWS) {
    const variant = optionSpelling(row.variant);
    const config =
      row.family === 'lstm'
        ? lstm({ units: 2, variant: variant as never })
        : row.family === 'gru'
          ? gru({ units: 2, resetAfter: row.variant === 'reset_after' })
          : row.variant === 'residual'
            ? rnn({ units: 2, residual: true })
            : row.variant === 'leaky' || row.variant === 'leaky_fixed'
              ? rnn({ units: 2, leak: row.variant === 'leaky' ? 'learn' : 0.5 })
              : rnn({ units: 2, nonlinearity: row.variant as 'tanh' | 'relu' });
    assert.equal(cellKindOf(config), row.id);
    reached.add(cellKindOf(config));
  }
  assert.equal(reached.size, CELL_KIND_ROWS.length);
  assert.throws(() => lstm({ units: 2, variant: 'no_forget' as never }), /variant/);
});

nodeOnly('imports the CLI, which imports node: modules').test("the CLI's --variant choices reach every lstm and gru row", async () => {
  const { recurrentLayer, VARIANTS } = await import('../../packages/recurrent/dist/cli/train.js');
  const flags = (cell: 'lstm' | 'gru', variant: string) => ({ cell, variant, hidden: 4, layers: 1 }) as unknown as TrainFlags;
  for (const family of ['lstm', 'gru'] as const) {
    const kinds = VARIANTS[family].map((v) => cellKindOf(recurrentLayer(flags(family, v))));
    assert.deepEqual(kinds, CELL_KIND_ROWS.filter((r) => r.family === family).map((r) => r.id), family);
  }
  assert.ok(VARIANTS.lstm.includes('no-forget'));
});

test("forgetBias fills the forget gate's block (by the table's gate order) of every layer's bias_ih, and zeroes bias_hh's", () => {
  for (const variant of ['standard', 'peephole'] as const) {
    const kind = variant === 'standard' ? 'lstm' : 'lstm_peephole';
    const f = gateBlock(kind, 'f');
    assert.ok(f >= 0);
    const H = 5;
    const model = sequential([lstm({ units: H, layers: 2, variant, forgetBias: 1.5, bidirectional: true })], { inputSize: 3, seed: 4 });
    try {
      for (const [name, values] of model.stateDict()) {
        if (!name.startsWith('rnn.bias_')) continue;
        const block = values.subarray(f * H, (f + 1) * H);
        assert.ok(block.every((v) => v === (name.startsWith('rnn.bias_ih') ? 1.5 : 0)), `${name}: ${block}`);
        const rest = [...values.subarray(0, f * H), ...values.subarray((f + 1) * H)];
        assert.ok(rest.every((v) => Math.abs(v) > 0 && Math.abs(v) <= 1 / Math.sqrt(H)), `${name}: the other gates keep PyTorch's init`);
      }
    } finally {
      model.dispose();
    }
  }
});
