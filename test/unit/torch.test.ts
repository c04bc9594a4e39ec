// PyTorch interop: the char LSTM trained in PyTorch (../shared/fixtures/torch-lm, see its
// README) loads with `loadTorch`, generates the reference's greedy continuation exactly, and its
// first 20 generated steps' logits match the float64 reference within 1e-4.
import { afterAll, beforeAll, test } from 'vitest';

import {
  dense,
  dispose,
  embedding,
  FormatError,
  gru,
  init,
  type LayerConfig,
  loadTorch,
  lstm,
  type Model,
  modelFromBytes,
  Random,
  rnn,
  saveModel,
  sequential,
  Vocab,
  writeSafetensors,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { fixturePath, readDataJson, type TempFolder, withTempFolder } from '../support/files.js';

/** The PyTorch-trained fixture: a folder path in Node, its URL in a page. */
const folder = fixturePath('torch-lm');

interface Meta {
  vocab: string[];
  expected: { prefix: string; continuation: string; logits_first_20_steps: number[][] };
}

let meta: Meta;

beforeAll(async () => {
  await init(engineOptions);
  meta = await readDataJson<Meta>(fixturePath('torch-lm/meta.json'));
});
afterAll(() => dispose());

test('loadTorch: the PyTorch char LSTM generates the reference continuation greedily, exactly', async () => {
  const model = await loadTorch(folder);
  try {
    assert.deepEqual(model.configs.map((c) => c.type), ['embedding', 'lstm', 'dense']);
    assert.deepEqual(model.vocab?.tokens, meta.vocab);
    const out = model.generate(meta.expected.prefix, { length: 200, temperature: 0 });
    assert.equal(out.length, meta.expected.continuation.length);
    assert.equal(out, meta.expected.continuation);
    // `greedy: true` is the same as temperature 0.
    assert.equal(model.generate(meta.expected.prefix, { length: 50, greedy: true }), meta.expected.continuation.slice(0, 50));
  } finally {
    model.dispose();
  }
});

test('loadTorch: logits of the first 20 generated steps match the reference within 1e-4', async ({ annotate }) => {
  const model = await loadTorch(folder);
  const state = model.zeroState(1);
  try {
    const vocab = model.vocab!;
    const prefix = vocab.encode([...meta.expected.prefix]);
    let logits: Float32Array = new Float32Array(0);
    for (const id of prefix) logits = model.step([id], state);
    const expected = meta.expected.logits_first_20_steps;
    assert.equal(expected.length, 20);
    const continuation = vocab.encode([...meta.expected.continuation]);
    let worst = 0;
    for (let s = 0; s < 20; s++) {
      const want = expected[s]!;
      assert.equal(logits.length, want.length);
      for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(logits[j]! - want[j]!));
      // Feed the reference's own token (teacher forcing), so a wrong arg-max cannot cascade.
      logits = model.step([continuation[s]!], state);
    }
    assert.ok(worst < 1e-4, `max |logit - reference| = ${worst}`);
    annotate(`max |logit - reference| over 20 steps: ${worst.toExponential(2)}`);
  } finally {
    state.dispose();
    model.dispose();
  }
});

test('loadTorch: the imported model saves and reloads with the same state dict and text', async () => {
  const model = await loadTorch(folder);
  try {
    const copy = modelFromBytes(saveModel(model));
    try {
      const a = model.stateDict();
      const b = copy.stateDict();
      assert.deepEqual([...b.keys()], [...a.keys()]);
      for (const [k, v] of a) assert.deepEqual(new Uint8Array(b.get(k)!.buffer), new Uint8Array(v.buffer), k);
      assert.equal(copy.tokenizer, 'char');
      assert.equal(copy.generate(meta.expected.prefix, { length: 60, temperature: 0 }), meta.expected.continuation.slice(0, 60));
    } finally {
      copy.dispose();
    }
  } finally {
    model.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Other architectures in the same folder format: a model's state dict written with PyTorch's
// module description must load into the same model (names with _l1 and _reverse, GRU and RNN
// modules, relu, no embedding, word tokenizer).

interface Arch {
  name: string;
  layers: LayerConfig[];
  modules: Record<string, unknown>[];
  inputSize?: number;
  tokens: boolean;
  tokenizer?: 'char' | 'word';
}

const archs: Arch[] = [
  {
    name: 'embedding + bidirectional 2-layer GRU + linear',
    layers: [embedding({ vocabSize: 6, dim: 4 }), gru({ units: 5, layers: 2, bidirectional: true }), dense({ units: 6 })],
    modules: [
      { type: 'embedding', name: 'embedding', num_embeddings: 6, embedding_dim: 4 },
      { type: 'gru', name: 'rnn', input_size: 4, hidden_size: 5, num_layers: 2, bias: true, batch_first: false, bidirectional: true },
      { type: 'linear', name: 'fc', in_features: 10, out_features: 6 },
    ],
    tokens: true,
  },
  {
    name: 'relu RNN on features + linear',
    layers: [rnn({ units: 7, nonlinearity: 'relu' }), dense({ units: 3 })],
    modules: [
      { type: 'rnn', name: 'rnn', input_size: 5, hidden_size: 7, num_layers: 1, bias: true, batch_first: false, bidirectional: false, nonlinearity: 'relu' },
      { type: 'linear', name: 'fc', in_features: 7, out_features: 3 },
    ],
    inputSize: 5,
    tokens: false,
  },
  {
    name: 'embedding + 2-layer LSTM + linear, word tokenizer',
    layers: [embedding({ vocabSize: 6, dim: 3 }), lstm({ units: 4, layers: 2 }), dense({ units: 6 })],
    modules: [
      { type: 'embedding', name: 'embedding', num_embeddings: 6, embedding_dim: 3 },
      { type: 'lstm', name: 'rnn', input_size: 3, hidden_size: 4, num_layers: 2, bias: true, batch_first: false, bidirectional: false },
      { type: 'linear', name: 'fc', in_features: 4, out_features: 6 },
    ],
    tokens: true,
    tokenizer: 'word',
  },
];

async function writeFolder(dir: TempFolder, model: Model, modules: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<void> {
  const shapes = new Map(model.parameters().map((p) => [p.name, p.shape]));
  const tensors = new Map([...model.stateDict()].map(([k, data]) => [k, { dtype: 'F32' as const, shape: shapes.get(k)!, data }]));
  await dir.write('model.safetensors', writeSafetensors(tensors));
  await dir.write('meta.json', JSON.stringify({ format: 'pytorch-state-dict/1', architecture: modules, ...extra }));
}

for (const a of archs) {
  test(`loadTorch reads ${a.name}`, () => withTempFolder(async (dir) => {
    const vocab = new Vocab([['the', 'time', 'machine', 'was', 'here']]); // one line of word tokens
    const source = sequential(a.layers, { seed: 7, ...(a.inputSize ? { inputSize: a.inputSize } : {}) });
    try {
      await writeFolder(dir, source, a.modules, a.tokens ? { vocab: vocab.tokens, tokenizer: { level: a.tokenizer ?? 'char' } } : {});
      const loaded = await loadTorch(dir.location);
      try {
        assert.deepEqual([...loaded.stateDict().keys()], [...source.stateDict().keys()]);
        for (const [k, v] of source.stateDict()) assert.deepEqual(loaded.stateDict().get(k), v, k);
        const rng = new Random(1);
        const T = 5;
        const B = 2;
        const x = Array.from({ length: a.tokens ? T * B : T * B * a.inputSize! }, () => (a.tokens ? rng.nextInt(6) : rng.nextFloat() * 2 - 1));
        assert.deepEqual(loaded.predict(x, { seqLen: T, batchSize: B }), source.predict(x, { seqLen: T, batchSize: B }));
        if (a.tokenizer === 'word') {
          assert.equal(loaded.tokenizer, 'word');
          const words = loaded.generate('the time', { length: 4, temperature: 0 }).split(' ');
          assert.equal(words.length, 4);
          assert.equal(vocab.size, 6);
          assert.ok(words.every((w) => vocab.tokens.includes(w)), words.join('|'));
        }
      } finally {
        loaded.dispose();
      }
    } finally {
      source.dispose();
    }
  }));
}

test('loadTorch: unsupported modules, bias=False over biased tensors and mismatched tensors are FormatErrors', () => withTempFolder(async (dir) => {
  const a = archs[0]!;
  const source = sequential(a.layers, { seed: 7 });
  try {
    const withModules = async (modules: Record<string, unknown>[]) => {
      await writeFolder(dir, source, modules);
      return loadTorch(dir.location);
    };
    await assert.rejects(withModules([...a.modules.slice(0, 2), { type: 'conv1d', name: 'conv' }]), (e) => e instanceof FormatError && /conv1d/.test(e.message));
    // bias=False is read (issue 14); these tensors have biases, so they do not match it.
    await assert.rejects(withModules([a.modules[0]!, { ...a.modules[1]!, bias: false }, a.modules[2]!]), (e) => e instanceof FormatError && /unexpected rnn\.bias_hh_l0/.test(e.message));
    await assert.rejects(withModules([a.modules[0]!, { ...a.modules[1]!, hidden_size: 6 }, a.modules[2]!]), FormatError);
    await assert.rejects(withModules([a.modules[0]!, { ...a.modules[1]!, bidirectional: false }, a.modules[2]!]), FormatError);
  } finally {
    source.dispose();
  }
}));
