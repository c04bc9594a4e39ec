// Issue 15, skip connections through time: rnn({ skip }) through the public API. The equations
// are checked against PyTorch by the parity runner (families fixtures, skip_rnn) and natively
// (crates/recurrent-core/tests/families_skip.rs, rnn_skip.rs); here: the option's rules, the
// parameter names, W_skip = 0 is the plain tanh RNN, streaming (with the carried history)
// equals the whole sequence, the state's history (get, set, selectRows), training with
// dropout and checkpointing, and files.
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  adam, dense, dispose, embedding, engine, gru, init, InvalidArgumentError, oneHot, Optimizer, readSafetensors, Random, RecurrentStack, rnn, saveModel, saveTorch,
  Seq2Seq, sequential,
} from 'recurrent';

import { saveOnnx } from 'recurrent/onnx';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { worstStepVsPredict } from '../support/stream.js';
import { assertLoadsBack, bits } from '../support/round-trip.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const isSkipError = (e: unknown) => e instanceof InvalidArgumentError && /skip/.test((e as Error).message);

describe('rnn({ skip }) option', () => {
  test('accepts delays 2..4096 and refuses 0, 1, non-integers, larger delays and non-numbers, naming skip', () => {
    assert.equal(rnn({ units: 3, skip: 2 }).skip, 2);
    assert.equal(rnn({ units: 3, skip: 4096, bidirectional: true }).skip, 4096);
    for (const skip of [0, 1, 2.5, -3, 4097, Number.NaN, Infinity, '3', null]) {
      assert.throws(() => rnn({ units: 3, skip: skip as number }), isSkipError, `skip ${String(skip)}`);
    }
  });

  test('a core stack refuses a skip connection on a GRU or LSTM kind, naming skip', () => {
    assert.throws(() => new RecurrentStack({ kind: 'gru', inputSize: 2, hiddenSize: 3, skip: 2 }), isSkipError);
    assert.throws(() => new RecurrentStack({ kind: 'rnn_tanh', inputSize: 2, hiddenSize: 3, skip: 1 }), isSkipError);
    // `skip` is not an option of gru() at all.
    assert.throws(() => gru({ units: 3, skip: 2 } as never), InvalidArgumentError);
  });

  test('weight_skip_l{k}[_reverse] [H, H] follows each direction\'s biases', () => {
    const m = sequential([rnn({ units: 4, layers: 2, bidirectional: true, skip: 3 })], { seed: 1, inputSize: 2 });
    try {
      const names = m.parameters().map((p) => `${p.name}:${p.shape.join('x')}`);
      assert.deepEqual(names.slice(0, 5), ['rnn.weight_ih_l0:4x2', 'rnn.weight_hh_l0:4x4', 'rnn.bias_ih_l0:4', 'rnn.bias_hh_l0:4', 'rnn.weight_skip_l0:4x4']);
      assert.ok(names.includes('rnn.weight_skip_l1_reverse:4x4'));
      assert.equal(names.length, 20);
    } finally {
      m.dispose();
    }
  });
});

describe('skip connections in a model', () => {
  test('W_skip = 0 computes the plain tanh RNN with the same weights', () => {
    const plain = sequential([rnn({ units: 5, layers: 2, bidirectional: true })], { seed: 7, inputSize: 3 });
    const skip = sequential([rnn({ units: 5, layers: 2, bidirectional: true, skip: 2 })], { seed: 8, inputSize: 3 });
    try {
      skip.loadStateDict(plain.stateDict(), { strict: false });
      for (const p of skip.parameters()) if (p.name.includes('weight_skip')) skip.loadStateDict(new Map([[p.name, new Float32Array(p.size)]]), { strict: false });
      const x = Array.from({ length: 6 * 2 * 3 }, (_, i) => Math.sin(i));
      const a = plain.predict(x, { seqLen: 6, batchSize: 2 });
      const b = skip.predict(x, { seqLen: 6, batchSize: 2 });
      assert.deepEqual(bits(b), bits(a));
      // With the trained-from-init W_skip the outputs differ: the skip term is used.
      const c = sequential([rnn({ units: 5, layers: 2, bidirectional: true, skip: 2 })], { seed: 8, inputSize: 3 });
      try {
        c.loadStateDict(plain.stateDict(), { strict: false });
        assert.notDeepEqual(bits(c.predict(x, { seqLen: 6, batchSize: 2 })), bits(a));
      } finally {
        c.dispose();
      }
    } finally {
      plain.dispose();
      skip.dispose();
    }
  });

  test('streaming steps, carrying the last d-1 states, equal predict over the sequence', () => {
    for (const [skip, layers] of [[2, 1], [3, 2], [7, 2]] as const) {
      const m = sequential([rnn({ units: 6, layers, skip }), dense({ units: 2 })], { seed: 4, inputSize: 2 });
      try {
        const T = 11;
        const B = 3;
        const x = Array.from({ length: T * B * 2 }, (_, i) => Math.cos(i * 0.7));
        const state = m.zeroState(B);
        const worst = worstStepVsPredict(m, state, x, T, B);
        const hist = state.get(0).hist!;
        assert.equal(hist.length, layers);
        assert.equal(hist[0]!.length, (skip - 1) * B * 6);
        state.dispose();
        assert.ok(worst <= 1e-5, `skip ${skip}: max |step - predict| = ${worst}`);
      } finally {
        m.dispose();
      }
    }
  });

  test('the history: set(h) starts it at h, set(hist) restores it, selectRows moves it, reset zeroes it', () => {
    const m = sequential([rnn({ units: 2, skip: 3 })], { seed: 9, inputSize: 1 });
    try {
      const s = m.zeroState(2);
      const h = Float32Array.from([1, 2, 3, 4]);
      s.set(0, { h: [h] });
      assert.deepEqual(Array.from(s.get(0).hist![0]!), [1, 2, 3, 4, 1, 2, 3, 4]);
      const hist = Float32Array.from([5, 6, 7, 8, 9, 10, 11, 12]);
      s.set(0, { h: [h], hist: [hist] });
      assert.deepEqual(Array.from(s.get(0).hist![0]!), Array.from(hist));
      s.selectRows([1, 1]);
      assert.deepEqual(Array.from(s.get(0).hist![0]!), [7, 8, 7, 8, 11, 12, 11, 12]);
      assert.throws(() => s.set(0, { hist: [new Float32Array(3)] }), (e: unknown) => e instanceof InvalidArgumentError && /hist/.test((e as Error).message));
      // A step from a state whose history is copies of h equals a forward from initial state h.
      const x = [0.5, -0.25];
      s.set(0, { h: [h] });
      const stepped = m.step(x, s);
      const s2 = m.zeroState(2);
      s2.set(0, { h: [h] });
      const seq = m.predict(x, { seqLen: 1, batchSize: 2, state: s2 });
      assert.deepEqual(bits(stepped), bits(seq));
      // After a sequence forward with a state, the history is copies of the final h (the next
      // forward's rule): what a Seq2Seq hands from its encoder to its decoder.
      const after = s2.get(0);
      assert.deepEqual(Array.from(after.hist![0]!), [...after.h[0]!, ...after.h[0]!]);
      s.reset();
      assert.deepEqual(Array.from(s.get(0).hist![0]!), new Array(8).fill(0));
      s.dispose();
      s2.dispose();
      // A bidirectional layer does not stream and keeps no history.
      const bi = sequential([rnn({ units: 2, skip: 3, bidirectional: true })], { seed: 9, inputSize: 1 });
      const sb = bi.zeroState(1);
      assert.equal(sb.get(0).hist, undefined);
      sb.dispose();
      bi.dispose();
    } finally {
      m.dispose();
    }
  });

  test('a Seq2Seq with a skip cell decodes as it trains: greedy outputs are its teacher-forced arg-maxes', async () => {
    // The decoder starts from the encoder's final state with the history the forward's rule
    // gives (copies of it); a history of zeros would make streaming decoding differ from the
    // teacher-forced pass the model was trained with.
    const model = new Seq2Seq({ sourceVocabSize: 6, targetVocabSize: 8, bos: 6, eos: 7, cell: rnn({ units: 12, skip: 3, layers: 2 }), embeddingDim: 5, seed: 3 });
    try {
      const rng = new Random(4);
      const pairs = Array.from({ length: 48 }, () => {
        const source = Array.from({ length: 3 + rng.nextInt(4) }, () => rng.nextInt(6));
        return { source, target: [...source].reverse() };
      });
      await model.fit(pairs, { epochs: 4, batchSize: 16, optimizer: adam({ lr: 0.02 }) });
      const sources = pairs.slice(0, 12).map((p) => p.source);
      const decoded = model.translate(sources, { maxLength: 12 });
      const own = sources.map((source, i) => ({ source, target: decoded[i]! })).filter((p) => p.target.length < 12);
      assert.ok(own.length >= 6, `${own.length} finished translations`);
      assert.equal(model.evaluate(own).accuracy, 1);
    } finally {
      model.dispose();
    }
  });

  test('trains with dropout between layers and checkpointed BPTT; checkpointing gives the full tape\'s gradients', () => {
    const make = () => sequential([oneHot({ vocabSize: 5 }), rnn({ units: 8, layers: 2, skip: 4, dropout: 0.2 }), dense({ units: 5 })], { seed: 3 });
    const x = Array.from({ length: 30 * 4 }, (_, i) => (i * 3 + (i >> 2)) % 5);
    const y = x.map((_, i) => x[Math.max(0, i - 4 * 4)]!);
    const batch = { x, y, seqLen: 30, batchSize: 4 };
    const a = make();
    const b = make();
    try {
      const g = (m: ReturnType<typeof make>, checkpointEvery: number) => {
        const opt = new Optimizer(adam({ lr: 0.03 }), m.groups(), m.engine);
        const losses: number[] = [];
        for (let i = 0; i < 25; i++) losses.push(m.trainStep(batch, { loss: 'crossEntropy', optimizer: opt, checkpointEvery }).loss);
        opt.dispose();
        return losses;
      };
      const full = g(a, 0);
      const ck = g(b, 7);
      assert.ok(full[24]! < full[0]! * 0.8, `loss ${full[0]} -> ${full[24]}`);
      for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i]! - ck[i]!) <= 1e-3 * Math.abs(full[i]!), `step ${i}: ${full[i]} vs ${ck[i]}`);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('saveModel / loadModel round-trip bit-exactly; plain weight_skip names, marked as not PyTorch; saveTorch and saveOnnx refuse', async () => {
    const m = sequential([oneHot({ vocabSize: 4 }), rnn({ units: 3, skip: 5, layers: 2 }), dense({ units: 4 })], { seed: 5 });
    try {
      const bytes = saveModel(m);
      const file = readSafetensors(bytes);
      assert.equal(file.metadata['recurrent.torch_compatible'], 'false');
      assert.match(file.metadata['recurrent.torch_incompatible']!, /skip/);
      assert.ok(file.tensors.has('rnn.weight_skip_l1'), [...file.tensors.keys()].join(', '));
      assert.ok(file.tensors.has('rnn.weight_hh_l0'));
      await assertLoadsBack(bytes, m);
    } finally {
      m.dispose();
    }
    const lm = sequential([embedding({ vocabSize: 4, dim: 3 }), rnn({ units: 3, skip: 2 }), dense({ units: 4 })], { seed: 5 });
    try {
      assert.throws(() => saveTorch(lm), isSkipError);
      // ONNX's RNN op has no skip connection: refused, not exported as a plain RNN.
      assert.throws(() => saveOnnx(lm), isSkipError);
    } finally {
      lm.dispose();
    }
  });

  test('a training batch is one forward and one backward call, whatever T and the delay', () => {
    const e = engine();
    const counts: number[] = [];
    for (const [T, skip] of [[10, 2], [40, 9]] as const) {
      const m = sequential([oneHot({ vocabSize: 4 }), rnn({ units: 6, skip }), dense({ units: 4 })], { seed: 2 });
      const opt = new Optimizer(adam({ lr: 0.01 }), m.groups(), m.engine);
      try {
        const x = Array.from({ length: T * 2 }, (_, i) => i % 4);
        const batch = { x, y: x, seqLen: T, batchSize: 2 };
        m.trainStep(batch, { loss: 'crossEntropy', optimizer: opt });
        let n = 0;
        const off = e.onAbiCall(() => n++);
        m.trainStep(batch, { loss: 'crossEntropy', optimizer: opt });
        off();
        counts.push(n);
      } finally {
        opt.dispose();
        m.dispose();
      }
    }
    assert.equal(counts[0], counts[1]);
    assert.ok(counts[0]! <= 6, `calls ${counts[0]}`);
  });
});
