// ONNX import and export: saveOnnx files run in onnxruntime-node with our outputs (every cell
// kind that exports); ONNX -> ours -> ONNX runs in onnxruntime with the original's outputs;
// kinds ONNX cannot express are refused (bad files: i17-onnx-errors.test.ts).
import {
  dense, dispose, embedding, gru, init, InvalidArgumentError, type LayerConfig, lstm, type Model, rnn, sequential,
} from 'recurrent';
import { loadOnnx, saveOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { fixturePath, readData, readDataJson } from '../support/files.js';

const { test, beforeAll, afterAll } = nodeOnly('runs onnxruntime-node');

beforeAll(() => init(engineOptions));
afterAll(() => dispose());

type Ort = typeof import('onnxruntime-node');
const ort = async (): Promise<Ort> => import('onnxruntime-node');

/** Largest |a - e| / (1e-4 * max(1, M) + 1e-3 |e|), the fixtures' default tier (pass <= 1). */
function usage(a: ArrayLike<number>, e: ArrayLike<number>): number {
  assert.equal(a.length, e.length);
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(e[i]!));
  let u = 0;
  for (let i = 0; i < e.length; i++) u = Math.max(u, Math.abs(a[i]! - e[i]!) / (1e-4 * Math.max(1, m) + 1e-3 * Math.abs(e[i]!)));
  return u;
}

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const KINDS: [string, LayerConfig][] = [
  ['rnn tanh', rnn({ units: 5, layers: 2, bidirectional: true })],
  ['rnn relu', rnn({ units: 5, layers: 2, nonlinearity: 'relu' })],
  ['gru (reset after)', gru({ units: 4, layers: 2, bidirectional: true })],
  ['gru reset before', gru({ units: 4, resetAfter: false, bidirectional: true })],
  ['lstm', lstm({ units: 6, layers: 2, bidirectional: true })],
  ['lstm peephole', lstm({ units: 3, variant: 'peephole', bidirectional: true })],
  ['lstm cifg', lstm({ units: 3, layers: 2, variant: 'cifg' })],
];

for (const [what, layer] of KINDS) {
  test(`saveOnnx: ${what} with a dense head runs in onnxruntime with our outputs and final state`, async () => {
    const { InferenceSession, Tensor } = await ort();
    const model = sequential([layer, dense({ units: 3 })], { inputSize: 4, seed: 7 });
    try {
      // Non-zero parameters everywhere (peepholes start at zero), so a misplaced block shows.
      model.loadStateDict(new Map([...model.stateDict()].map(([k, v], i) => [k, randn(v.length, 100 + i).map((x) => x * 0.6)])));
      const T = 5;
      const B = 2;
      const r = model.recurrent[0]!;
      const rows = r.layers * r.directions;
      const x = randn(T * B * 4, 1);
      const h0 = randn(rows * B * r.hiddenSize, 2);
      const c0 = randn(rows * B * r.hiddenSize, 3);
      const state = model.zeroState(B);
      const split = (a: Float32Array) => Array.from({ length: r.layers }, (_, k) => a.slice(k * r.directions * B * r.hiddenSize, (k + 1) * r.directions * B * r.hiddenSize));
      state.set(0, r.hasCell ? { h: split(h0), c: split(c0) } : { h: split(h0) });
      const ours = model.predict(x, { seqLen: T, batchSize: B, state });
      const hN = state.get(0).h.flatMap((a) => [...a]);
      const session = await InferenceSession.create(saveOnnx(model));
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = { x: new Tensor('float32', x, [T, B, 4]), h0: new Tensor('float32', h0, [rows, B, r.hiddenSize]) };
      if (r.hasCell) feeds['c0'] = new Tensor('float32', c0, [rows, B, r.hiddenSize]);
      const out = await session.run(feeds);
      assert.ok(usage(out['logits']!.data as Float32Array, ours) <= 1, 'logits');
      assert.ok(usage(out['h_n']!.data as Float32Array, hN) <= 1, 'h_n');
      if (r.hasCell) assert.ok(usage(out['c_n']!.data as Float32Array, state.get(0).c.flatMap((a) => [...a])) <= 1, 'c_n');
      state.dispose();
      await session.release();
    } finally {
      model.dispose();
    }
  });
}

test('saveOnnx: an embedding LM (tokens int64) runs in onnxruntime with our logits', async () => {
  const { InferenceSession, Tensor } = await ort();
  const model = sequential([embedding({ vocabSize: 9, dim: 4 }), lstm({ units: 5 }), dense({ units: 9 })], { seed: 3 });
  try {
    const ids = [1, 4, 0, 8, 2, 2, 7, 3];
    const ours = model.predict(ids, { seqLen: 4, batchSize: 2 });
    const session = await InferenceSession.create(saveOnnx(model));
    const zeros = new Float32Array(2 * 5);
    const out = await session.run({
      tokens: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [4, 2]),
      h0: new Tensor('float32', zeros, [1, 2, 5]),
      c0: new Tensor('float32', zeros, [1, 2, 5]),
    });
    assert.ok(usage(out['logits']!.data as Float32Array, ours) <= 1);
    await session.release();
  } finally {
    model.dispose();
  }
});

test('saveOnnx refuses the kinds ONNX has no op for, naming the layer and kind', () => {
  const refused: [LayerConfig, RegExp][] = [
    [rnn({ units: 3, residual: true, name: 'res' }), /layer res is a rnn_residual cell/],
    [lstm({ units: 3, variant: 'noForget', name: 'nf' }), /layer nf is a lstm_no_forget cell/],
    [gru({ units: 3, output: 'last' }), /pools its output/],
  ];
  for (const [layer, message] of refused) {
    const model: Model = sequential([layer], { inputSize: 2 });
    try {
      assert.throws(() => saveOnnx(model), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
    } finally {
      model.dispose();
    }
  }
});

interface Expected {
  runs: { inputs: Record<string, { shape: number[]; data: number[] }>; outputs: Record<string, { shape: number[]; data: number[] }> }[];
}

for (const [file, names] of [
  ['02_torch_lstm_L2_bi_h0', { x: 'x', h0: 'h0', c0: 'c0', y: 'y' }],
  ['05_torch_gru_L3_bi_h0', { x: 'x', h0: 'h0', y: 'y' }],
  ['09_torch_char_lm_lstm2', { tokens: 'tokens', h0: 'h0', c0: 'c0', logits: 'logits' }],
  // Hand-built one-way nodes: Y [T, 1, B, H] holds the values of our y [T, B, H] in the same order.
  ['10_onnx_gru_lbr0_fwd_h0', { x: 'X', h0: 'initial_h', y: 'Y', h_n: 'Y_h' }],
  ['12_onnx_lstm_peephole_fwd_h0c0', { x: 'X', h0: 'initial_h', c0: 'initial_c', y: 'Y', h_n: 'Y_h', c_n: 'Y_c' }],
  ['17_onnx_lstm_input_forget_h0c0', { x: 'X', h0: 'initial_h', c0: 'initial_c', y: 'Y', h_n: 'Y_h', c_n: 'Y_c' }],
] as const) {
  test(`ONNX -> ours -> ONNX: ${file} runs in onnxruntime with the original's outputs`, async () => {
    const { InferenceSession, Tensor } = await ort();
    const c = await readDataJson<Expected>(fixturePath(`interop/onnx/${file}.expected.json`));
    const m = await loadOnnx(await readData(fixturePath(`interop/onnx/${file}.onnx`)));
    try {
      const session = await InferenceSession.create(saveOnnx(m.model));
      for (const run of c.runs) {
        const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
        for (const [ours, theirs] of Object.entries(names)) {
          const t = run.inputs[theirs];
          if (!t) continue;
          feeds[ours] = ours === 'tokens' ? new Tensor('int64', BigInt64Array.from(t.data.map(BigInt)), t.shape) : new Tensor('float32', Float32Array.from(t.data), t.shape);
        }
        const out = await session.run(feeds);
        const theirs = names as Record<string, string>;
        for (const ours of ['y', 'logits', 'h_n', 'c_n']) {
          const want = run.outputs[theirs[ours] ?? ours];
          if (want) assert.ok(usage(out[ours]!.data as Float32Array, want.data) <= 1, ours);
        }
        assert.ok(run.outputs[theirs['h_n'] ?? 'h_n'], 'the case has a final state to compare');
      }
      await session.release();
    } finally {
      m.dispose();
    }
  });
}
