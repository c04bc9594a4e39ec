// The model API: save/load round-trips bit-exactly, the streaming step equals predict, a small
// char model learns a paragraph, and the per-step gradient-norm diagnostics through the model.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  charTokenizer,
  dense,
  dispose,
  DisposedError,
  embedding,
  fit,
  FormatError,
  gru,
  init,
  loadModel,
  lstm,
  type Model,
  modelFromBytes,
  oneHot,
  Random,
  rnn,
  saveModel,
  sequentialBatches,
  sequential,
  sgd,
  type SequenceBatch,
  Vocab,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { withTempFile } from '../support/files.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

/** Random token ids `[T, B]` and next-token-like targets. */
function tokenBatch(rng: Random, vocab: number, seqLen: number, batchSize: number, classes = vocab): SequenceBatch {
  const x = Array.from({ length: seqLen * batchSize }, () => rng.nextInt(vocab));
  const y = Array.from({ length: seqLen * batchSize }, () => rng.nextInt(classes));
  return { x, y, seqLen, batchSize };
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.deepEqual(bits(actual), bits(expected), `${what}: bits differ`);
}

function assertSameStateDict(a: Model, b: Model): void {
  const da = a.stateDict();
  const db = b.stateDict();
  assert.deepEqual([...db.keys()], [...da.keys()]);
  for (const [name, v] of da) assertSameBits(db.get(name)!, v, name);
}

// ---------------------------------------------------------------------------------------------
// save / load

interface RoundTripCase {
  name: string;
  make: () => Model;
  batch: (rng: Random) => SequenceBatch;
  names: string[];
}

const vocab = new Vocab([...'abcdefghijk']); // 12 tokens with <unk>

const cases: RoundTripCase[] = [
  {
    name: 'bidirectional 2-layer GRU (reset before), embedding, with a vocabulary',
    make: () =>
      sequential([embedding({ vocabSize: 12, dim: 5 }), gru({ units: 7, layers: 2, bidirectional: true, resetAfter: false }), dense({ units: 12 })], {
        seed: 11,
        vocab,
      }),
    batch: (rng) => tokenBatch(rng, 12, 6, 3),
    names: [
      'embedding.weight',
      'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
      'rnn.weight_ih_l0_reverse', 'rnn.weight_hh_l0_reverse', 'rnn.bias_ih_l0_reverse', 'rnn.bias_hh_l0_reverse',
      'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1',
      'rnn.weight_ih_l1_reverse', 'rnn.weight_hh_l1_reverse', 'rnn.bias_ih_l1_reverse', 'rnn.bias_hh_l1_reverse',
      'fc.weight', 'fc.bias',
    ],
  },
  {
    name: 'peephole LSTM, 3 layers, dropout 0.3, forget bias 1.5, mean-pooled classifier',
    make: () =>
      sequential([oneHot({ vocabSize: 9 }), lstm({ units: 6, layers: 3, variant: 'peephole', dropout: 0.3, forgetBias: 1.5, output: 'mean', name: 'enc' }), dense({ units: 4, name: 'head' })], {
        seed: 5,
      }),
    batch: (rng) => ({ ...tokenBatch(rng, 9, 7, 4, 4), y: [0, 3, 1, 2], lengths: [7, 3, 5, 1] }),
    names: [], // checked by count below (peephole weights are the core's own names)
  },
  {
    name: 'residual RNN on features, no input layer, last state, no dense (MSE)',
    make: () => sequential([rnn({ units: 5, residual: true, output: 'last' })], { seed: 2, inputSize: 3 }),
    batch: (rng) => ({
      x: Array.from({ length: 4 * 2 * 3 }, () => rng.nextFloat() * 2 - 1),
      y: Array.from({ length: 2 * 5 }, () => rng.nextFloat() - 0.5),
      seqLen: 4,
      batchSize: 2,
    }),
    names: ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0'],
  },
];

for (const c of cases) {
  test(`save/load round-trips bit-exactly: ${c.name}`, async () => {
    const rng = new Random(3);
    const model = c.make();
    const loss = model.dense ? 'crossEntropy' : 'mse';
    try {
      if (c.names.length) assert.deepEqual(model.parameters().map((p) => p.name), c.names);
      const before = model.stateDict();
      // Train a few steps so the parameters are no longer the seed's initialisation (a loader
      // that silently re-initialised from the seed would otherwise pass).
      const batch = c.batch(rng);
      await fit(model, [batch, batch, batch], { loss, optimizer: adam({ lr: 0.05 }), clipNorm: 5 });
      const trained = model.stateDict();
      let changed = 0;
      for (const [k, v] of trained) if (!bits(v).every((x, i) => x === bits(before.get(k)!)[i])) changed++;
      assert.ok(changed >= trained.size - 1, `training changed only ${changed} of ${trained.size} tensors`);

      const bytes = saveModel(model);
      const copy = modelFromBytes(bytes);
      try {
        // From a file in Node, from a blob: URL in a page: loadModel reads either.
        const fromFile = await withTempFile('model.safetensors', bytes, (location) => loadModel(location));
        try {
          for (const other of [copy, fromFile]) {
            assertSameStateDict(model, other);
            assert.deepEqual(other.configs, model.configs);
            assert.equal(other.seed, model.seed);
            assert.equal(other.featureSize, model.featureSize);
            assert.deepEqual(other.vocab?.tokens, model.vocab?.tokens);
            const probe = c.batch(new Random(99));
            const opts = { seqLen: probe.seqLen, batchSize: probe.batchSize, ...(probe.lengths ? { lengths: probe.lengths } : {}) };
            assertSameBits(other.predict(probe.x, opts), model.predict(probe.x, opts), 'predict');
            assert.equal(other.evaluate(probe, loss).loss, model.evaluate(probe, loss).loss);
          }
          // Saving the loaded copy gives the same bytes.
          assert.deepEqual(saveModel(copy), bytes);
        } finally {
          fromFile.dispose();
        }
      } finally {
        copy.dispose();
      }

      // A flipped bit in the tensor data is caught by the checksum.
      const bad = bytes.slice();
      bad[bad.length - 3]! ^= 0x10;
      assert.throws(() => modelFromBytes(bad), FormatError);
    } finally {
      model.dispose();
    }
  });
}

test('save/load: the peephole LSTM keeps dropout, variant and pooling, and trains on deterministically', async () => {
  const make = cases[1]!.make;
  const rng = new Random(8);
  const batch = cases[1]!.batch(rng);
  const a = make();
  try {
    await fit(a, [batch], { optimizer: sgd({ lr: 0.5 }) });
    const bytes = saveModel(a);
    const b = modelFromBytes(bytes);
    const c = modelFromBytes(bytes);
    try {
      const cfg = b.configs[1]!;
      assert.equal(cfg.type, 'lstm');
      assert.deepEqual(
        { variant: cfg.type === 'lstm' ? cfg.variant : '', dropout: cfg.dropout, layers: cfg.layers, output: cfg.output, forgetBias: cfg.type === 'lstm' ? cfg.forgetBias : 0 },
        { variant: 'peephole', dropout: 0.3, layers: 3, output: 'mean', forgetBias: 1.5 },
      );
      // Two copies of one file train on (dropout masks included) bit for bit alike. (Dropout
      // masks follow the seed and the model's batch counter, which a file does not keep, as a
      // PyTorch state dict keeps no RNG state.)
      await fit(b, [batch, batch], { optimizer: adam({ lr: 0.01 }) });
      await fit(c, [batch, batch], { optimizer: adam({ lr: 0.01 }) });
      assertSameStateDict(b, c);
      // Dropout is on while training: the same batch gives different losses at two steps, and
      // evaluation (no dropout) is repeatable.
      const o = { optimizer: sgd({ lr: 0 }) };
      const losses: number[] = [];
      await fit(b, [batch, batch], { ...o, onBatchEnd: (i) => void losses.push(i.loss) });
      assert.notEqual(losses[0], losses[1]);
      assert.equal(b.evaluate(batch).loss, b.evaluate(batch).loss);
    } finally {
      b.dispose();
      c.dispose();
    }
  } finally {
    a.dispose();
  }
});

test('a disposed model throws DisposedError', () => {
  const m = sequential([oneHot({ vocabSize: 4 }), gru({ units: 3 }), dense({ units: 4 })]);
  m.dispose();
  assert.throws(() => m.predict([1, 2], { seqLen: 2, batchSize: 1 }), DisposedError);
  assert.throws(() => m.stateDict(), DisposedError);
  m.dispose(); // idempotent
});

// ---------------------------------------------------------------------------------------------
// streaming step == predict

const streamingModels: [string, () => Model, boolean][] = [
  ['embedding + 2-layer LSTM + dense', () => sequential([embedding({ vocabSize: 11, dim: 6 }), lstm({ units: 24, layers: 2 }), dense({ units: 11 })], { seed: 3 }), true],
  ['oneHot + GRU (reset before) + RNN + dense', () => sequential([oneHot({ vocabSize: 11 }), gru({ units: 20, resetAfter: false }), rnn({ units: 12, name: 'top' }), dense({ units: 11 })], { seed: 4 }), true],
  ['features + peephole LSTM, no dense', () => sequential([lstm({ units: 9, variant: 'peephole' })], { seed: 5, inputSize: 4 }), false],
];

for (const [name, make, tokens] of streamingModels) {
  test(`streaming step over a sequence equals predict: ${name}`, () => {
    const model = make();
    try {
      const T = 9;
      const F = tokens ? 1 : model.featureSize;
      for (const B of [1, 3, 5, 16]) {
        const rng = new Random(B);
        const x = Array.from({ length: T * B * F }, () => (tokens ? rng.nextInt(11) : rng.nextFloat() * 2 - 1));
        const full = model.predict(x, { seqLen: T, batchSize: B });
        const O = model.outputSize;
        assert.equal(full.length, T * B * O);
        const state = model.zeroState(B);
        try {
          let worst = 0;
          let identical = true;
          for (let t = 0; t < T; t++) {
            const out = model.step(x.slice(t * B * F, (t + 1) * B * F), state);
            assert.equal(out.length, B * O);
            for (let j = 0; j < out.length; j++) {
              const want = full[t * B * O + j]!;
              worst = Math.max(worst, Math.abs(out[j]! - want));
              if (!Object.is(out[j], want)) identical = false;
            }
          }
          assert.ok(worst <= 1e-5, `B=${B}: max |step - predict| = ${worst}`);
          // From batch 4 on, the per-step GEMM takes the same kernel path as the sequence's.
          if (B > 4) assert.ok(identical, `B=${B}: step and predict differ in bits (max ${worst})`);
          // The state after streaming is predict's final state.
          const s2 = model.zeroState(B);
          try {
            model.predict(x, { seqLen: T, batchSize: B, state: s2 });
            for (let i = 0; i < model.recurrent.length; i++) {
              const a = state.get(i);
              const b = s2.get(i);
              for (let l = 0; l < a.h.length; l++) {
                for (let j = 0; j < a.h[l]!.length; j++) assert.ok(Math.abs(a.h[l]![j]! - b.h[l]![j]!) <= 1e-5);
              }
            }
          } finally {
            s2.dispose();
          }
        } finally {
          state.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  });
}

test('step: log-probabilities with logSoftmax, and a bidirectional model refuses to stream', () => {
  const m = sequential([oneHot({ vocabSize: 5 }), gru({ units: 4 }), dense({ units: 5 })], { seed: 1 });
  const bi = sequential([oneHot({ vocabSize: 5 }), gru({ units: 4, bidirectional: true }), dense({ units: 5 })], { seed: 1 });
  try {
    const s = m.zeroState(2);
    const logits = m.step([1, 2], m.zeroState(2));
    const logp = m.step([1, 2], s, { logSoftmax: true });
    for (let b = 0; b < 2; b++) {
      const row = logits.subarray(b * 5, b * 5 + 5);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      for (let j = 0; j < 5; j++) assert.ok(Math.abs(logp[b * 5 + j]! - (row[j]! - lse)) < 1e-6);
    }
    assert.throws(() => bi.step([1, 2], bi.zeroState(2)), /bidirectional/);
  } finally {
    m.dispose();
    bi.dispose();
  }
});

test('generate: seeded sampling is reproducible, topK 1 is greedy, ids in and out', () => {
  const v = new Vocab([...'abcdefgh ']);
  const m = sequential([oneHot({ vocabSize: v.size }), lstm({ units: 12 }), dense({ units: v.size })], { seed: 6, vocab: v });
  try {
    const greedy = m.generate('abc', { length: 30, temperature: 0 });
    assert.equal(greedy.length, 30);
    assert.equal(m.generate('abc', { length: 30, topK: 1, temperature: 2, seed: 4 }), greedy);
    const a = m.generate('abc', { length: 30, temperature: 1.5, seed: 1 });
    assert.equal(m.generate('abc', { length: 30, temperature: 1.5, seed: 1 }), a);
    assert.notEqual(m.generate('abc', { length: 30, temperature: 1.5, seed: 2 }), a);
    assert.notEqual(a, greedy);
    // topK 2: every sampled token is one of the two most likely at its step.
    const prefix = Array.from(v.encode([...'abc']));
    const ids = m.generate(prefix, { length: 20, topK: 2, seed: 3 });
    const state = m.zeroState(1);
    try {
      let logits = new Float32Array(0) as Float32Array;
      for (const id of prefix) logits = m.step([id], state);
      for (const id of ids) {
        const order = Array.from(logits.keys()).sort((x, y) => logits[y]! - logits[x]!);
        assert.ok(order.slice(0, 2).includes(id));
        logits = m.step([id], state);
      }
    } finally {
      state.dispose();
    }
    assert.equal(v.decode(m.generate(prefix, { length: 30, temperature: 0 })).join(''), greedy);
  } finally {
    m.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// learning a paragraph

const PARAGRAPH =
  'the time traveller for so it will be convenient to speak of him was expounding a recondite ' +
  'matter to us his grey eyes shone and twinkled and his usually pale face was flushed and ' +
  'animated the fire burned brightly and the soft radiance of the incandescent lights in the ' +
  'lilies of silver caught the bubbles that flashed and passed in our glasses';

test('a small char LSTM learns to reproduce a paragraph (perplexity < 1.5)', async ({ annotate }) => {
  const tokens = charTokenizer.tokenize(PARAGRAPH);
  const v = new Vocab(tokens);
  const corpus = v.encode(tokens);
  const model = sequential([oneHot({ vocabSize: v.size }), lstm({ units: 64 }), dense({ units: v.size })], { seed: 1, vocab: v });
  try {
    const rng = new Random(5);
    const started = performance.now();
    const history = await fit(model, () => sequentialBatches(corpus, { batchSize: 4, seqLen: 20, rng }), {
      epochs: 120,
      optimizer: adam({ lr: 0.01 }),
      clipNorm: 1,
      bptt: 'truncated',
      yieldEvery: 1000,
    });
    const seconds = (performance.now() - started) / 1000;
    const first = history.epochs[0]!.perplexity!;
    const last = history.epochs.at(-1)!.perplexity!;
    assert.ok(first > 10, `first epoch perplexity ${first}`);
    assert.ok(last < 1.5, `training perplexity after 120 epochs ${last}`);
    // The whole paragraph as one sequence from a zero state.
    const whole = model.evaluate({ x: corpus.subarray(0, -1), y: corpus.subarray(1), seqLen: corpus.length - 1, batchSize: 1 });
    assert.ok(Math.exp(whole.loss) < 1.5, `perplexity on the paragraph ${Math.exp(whole.loss)}`);
    // Greedy generation from its first words continues it.
    const prefix = PARAGRAPH.slice(0, 16);
    const want = PARAGRAPH.slice(16, 116);
    const got = model.generate(prefix, { length: want.length, temperature: 0 });
    let same = 0;
    for (let i = 0; i < want.length; i++) if (got[i] === want[i]) same++;
    assert.ok(same >= 0.9 * want.length, `generated ${JSON.stringify(got)}`);
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    annotate(`paragraph: training perplexity ${last.toFixed(3)}, whole-paragraph perplexity ${Math.exp(whole.loss).toFixed(3)}, greedy continuation ${same}/${want.length} chars right, ${seconds.toFixed(1)} s`);
  } finally {
    model.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// gradient flow through the model API

/** A batch of `[T, B, F]` N(0,1)-ish features and one class per sequence. */
function featureBatch(rng: Random, T: number, B: number, F: number, classes: number): SequenceBatch {
  return {
    x: Array.from({ length: T * B * F }, () => (rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5) * 2),
    y: Array.from({ length: B }, () => rng.nextInt(classes)),
    seqLen: T,
    batchSize: B,
  };
}

test('gradientFlow: a plain RNN vanishes over 100 steps, an LSTM with forget bias 2 keeps the gradient', ({ annotate }) => {
  const T = 100;
  const batch = featureBatch(new Random(7), T, 4, 8, 3);
  const ratio = (model: Model): number => {
    try {
      const flow = model.gradientFlow(batch);
      assert.equal(flow.length, 1);
      const f = flow[0]!;
      assert.deepEqual({ layer: f.layer, stackedLayer: f.stackedLayer, directions: f.directions, seqLen: f.seqLen, n: f.norms.length }, { layer: 'rnn', stackedLayer: 0, directions: 1, seqLen: T, n: T });
      assert.ok(f.norms.every((n) => Number.isFinite(n) && n >= 0));
      return f.norms[0]! / f.norms[T - 1]!;
    } finally {
      model.dispose();
    }
  };
  const head = dense({ units: 3 });
  const plain = ratio(sequential([rnn({ units: 32, output: 'last' }), head], { seed: 1, inputSize: 8 }));
  const cell = ratio(sequential([lstm({ units: 32, output: 'last', forgetBias: 2 }), head], { seed: 1, inputSize: 8 }));
  const closed = ratio(sequential([lstm({ units: 32, output: 'last' }), head], { seed: 1, inputSize: 8 }));
  // Measured: rnn ~1e-28, lstm with forget bias 2 ~3e-3, lstm with PyTorch's init ~1e-20.
  assert.ok(plain < 1e-6, `rnn: |dL/dh_0| / |dL/dh_99| = ${plain}`);
  assert.ok(cell > 1e-4, `lstm: |dL/dh_0| / |dL/dh_99| = ${cell}`);
  assert.ok(cell > plain * 1e6, `lstm ${cell} vs rnn ${plain}`);
  // The forget bias is what opens the cell path (the notes' advice of 1 to 2).
  assert.ok(cell > closed * 1e3, `lstm forget bias 2: ${cell}, default init: ${closed}`);
  annotate(`|dL/dh_0| / |dL/dh_99|: rnn ${plain.toExponential(1)}, lstm forget bias 2 ${cell.toExponential(1)}, lstm default ${closed.toExponential(1)}`);
});

test('gradientFlow: one entry per stacked layer, both directions in time order, no update', () => {
  const T = 30;
  const B = 3;
  const model = sequential(
    [oneHot({ vocabSize: 6 }), lstm({ units: 8, name: 'low' }), rnn({ units: 10, layers: 2, bidirectional: true, name: 'high' }), dense({ units: 6 })],
    { seed: 2 },
  );
  try {
    const rng = new Random(1);
    const lengths = [T - 5, T - 2, 4];
    const batch: SequenceBatch = { ...tokenBatch(rng, 6, T, B, 6), lengths };
    const before = model.stateDict();
    const flow = model.gradientFlow(batch);
    assert.deepEqual(
      flow.map((f) => [f.layer, f.stackedLayer, f.directions, f.seqLen, f.norms.length]),
      [['low', 0, 1, T, T], ['high', 0, 2, T, 2 * T], ['high', 1, 2, T, 2 * T]],
    );
    for (const f of flow) {
      for (let d = 0; d < f.directions; d++) {
        // Steps past every sequence's length get nothing; the others get something.
        for (let t = T - 2; t < T; t++) assert.equal(f.norms[d * T + t], 0, `${f.layer}/${f.stackedLayer} d${d} t${t}`);
        for (let t = 0; t < T - 2; t++) assert.ok(f.norms[d * T + t]! > 0, `${f.layer}/${f.stackedLayer} d${d} t${t}`);
      }
    }
    for (const [name, v] of model.stateDict()) assertSameBits(v, before.get(name)!, `${name} after gradientFlow`);
    // Deterministic: the same batch gives the same curves.
    const again = model.gradientFlow(batch);
    again.forEach((f, i) => assertSameBits(f.norms, flow[i]!.norms, 'gradientFlow twice'));
  } finally {
    model.dispose();
  }
});

test('gradientFlow: with the last state as output, the reverse direction is fed at step 0', () => {
  const T = 60;
  const model = sequential([rnn({ units: 16, bidirectional: true, output: 'last' }), dense({ units: 2 })], { seed: 3, inputSize: 4 });
  try {
    const [f] = model.gradientFlow(featureBatch(new Random(2), T, 2, 4, 2));
    const fwd = f!.norms.subarray(0, T);
    const rev = f!.norms.subarray(T, 2 * T);
    // Forward direction: the loss enters at T-1 and fades towards 0; reverse: the other way round.
    assert.ok(fwd[T - 1]! > 1e3 * fwd[0]!, `forward ${fwd[0]} .. ${fwd[T - 1]}`);
    assert.ok(rev[0]! > 1e3 * rev[T - 1]!, `reverse ${rev[0]} .. ${rev[T - 1]}`);
  } finally {
    model.dispose();
  }
});
