// `fit`: the three BPTT modes (with the carried state checked against evaluate), callbacks,
// cancellation, learning-rate schedules, and the optimisers' updates against a JS reference.
import { afterAll, beforeAll, test } from 'vitest';

import {
  adam,
  adamw,
  type BatchInfo,
  charTokenizer,
  dense,
  dispose,
  embedding,
  type EpochInfo,
  type FitOptions,
  fit,
  gru,
  init,
  lstm,
  type Model,
  NonFiniteError,
  oneHot,
  Random,
  randomBatches,
  sequential,
  sequentialBatches,
  type SequenceBatch,
  sgd,
  Vocab,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

const TEXT =
  'it was at ten oclock to day that the first of all time machines began its career ' +
  'i gave it a last tap tried all the screws again put one more drop of oil on the quartz rod ' +
  'and sat myself in the saddle i suppose a suicide who holds a pistol to his skull feels much ' +
  'the same wonder at what will come next as i felt then';
const tokens = charTokenizer.tokenize(TEXT);
const vocab = new Vocab(tokens);
const corpus = vocab.encode(tokens);
const V = vocab.size;

function charModel(seed = 1, units = 16): Model {
  return sequential([oneHot({ vocabSize: V }), gru({ units }), dense({ units: V })], { seed, vocab });
}

/** Sequential batches of the corpus from offset 0 (consecutive batches continue each other). */
function seqBatches(B = 4, T = 10): SequenceBatch[] {
  return [...sequentialBatches(corpus, { batchSize: B, seqLen: T, offset: 0 })];
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

// ---------------------------------------------------------------------------------------------
// BPTT modes

test("bptt 'full': every batch starts from zeros (lr 0: each loss is evaluate's from a zero state)", async () => {
  const model = charModel();
  try {
    const batches = seqBatches();
    const losses: number[] = [];
    await fit(model, batches, { bptt: 'full', optimizer: sgd({ lr: 0 }), onBatchEnd: (i) => void losses.push(i.loss) });
    assert.equal(losses.length, batches.length);
    batches.forEach((b, i) => close(losses[i]!, model.evaluate(b).loss, 1e-6, `batch ${i}`));
  } finally {
    model.dispose();
  }
});

test("bptt 'truncated': the final state of each batch starts the next (lr 0: losses match a carried evaluate)", async () => {
  const model = charModel();
  try {
    const batches = seqBatches();
    assert.ok(batches.length >= 4);
    const losses: number[] = [];
    await fit(model, batches, { bptt: 'truncated', optimizer: sgd({ lr: 0 }), onBatchEnd: (i) => void losses.push(i.loss) });
    const state = model.zeroState(4);
    try {
      let differs = 0;
      batches.forEach((b, i) => {
        const carried = model.evaluate(b, 'crossEntropy', { state }).loss; // state receives the final state
        close(losses[i]!, carried, 1e-6, `batch ${i} (carried)`);
        const fresh = model.evaluate(b).loss;
        if (i > 0 && Math.abs(fresh - carried) > 1e-4) differs++;
      });
      // The carried state changes the outputs: from batch 1 on, a zero start gives other losses.
      assert.equal(differs, batches.length - 1);
      // After fit, the model still holds the carried state: the next batch continues from it.
      const next = batches[0]!;
      assert.equal(model.evaluate(next, 'crossEntropy', { carryState: true }).loss, model.evaluate(next, 'crossEntropy', { state }).loss);
      model.resetState();
      assert.equal(model.evaluate(next, 'crossEntropy', { carryState: true }).loss, model.evaluate(next).loss);
    } finally {
      state.dispose();
    }
  } finally {
    model.dispose();
  }
});

test("bptt 'truncated' learns what 'full' cannot see: a token that depends on the previous batch", async () => {
  // A stream of periods of 8 tokens: a random letter (1..4), a filler (0), the same letter
  // again, five fillers. Batches have T = 4, so half of the repeated letters have their first
  // occurrence in the previous batch: 'full' starts every batch from zeros and cannot know
  // them (nor the phase of the period); 'truncated' carries the state across. The first
  // letter of each period is random: the best accuracy is 1 - 1/8 * 3/4 = 0.906.
  const rng = new Random(4);
  const stream: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const letter = 1 + rng.nextInt(4);
    for (let k = 0; k < 8; k++) stream.push(k === 0 || k === 2 ? letter : 0);
  }
  const data = Int32Array.from(stream);
  const run = async (mode: 'full' | 'truncated'): Promise<number> => {
    const model = sequential([oneHot({ vocabSize: 5 }), gru({ units: 16 }), dense({ units: 5 })], { seed: 2 });
    try {
      const h = await fit(model, () => sequentialBatches(data, { batchSize: 8, seqLen: 4, offset: 0 }), {
        epochs: 3, bptt: mode, optimizer: adam({ lr: 0.02 }), clipNorm: 1, yieldEvery: 1000,
      });
      return h.epochs.at(-1)!.accuracy!;
    } finally {
      model.dispose();
    }
  };
  const full = await run('full');
  const truncated = await run('truncated');
  // Measured: full 0.78, truncated 0.90.
  assert.ok(truncated > 0.89, `truncated accuracy ${truncated}`);
  assert.ok(full < truncated - 0.08, `full accuracy ${full}, truncated ${truncated}`);
});

test("bptt 'random': segments with the state carried (lr 0: same epoch loss as truncated), more updates", async () => {
  const batches = seqBatches(4, 20);
  const epochLoss = async (mode: 'truncated' | 'random'): Promise<{ loss: number; steps: number; infos: BatchInfo[] }> => {
    const model = charModel();
    let steps = 0;
    const infos: BatchInfo[] = [];
    try {
      const h = await fit(model, batches, {
        bptt: mode === 'random' ? { mode, meanLength: 5 } : mode,
        optimizer: sgd({ lr: ({ step }) => ((steps = step), 0) }),
        seed: 3,
        onBatchEnd: (i) => void infos.push(i),
      });
      return { loss: h.epochs[0]!.loss, steps, infos };
    } finally {
      model.dispose();
    }
  };
  const t = await epochLoss('truncated');
  const r = await epochLoss('random');
  close(r.loss, t.loss, 1e-5, 'epoch loss');
  // Each batch reports its own loss over all its segments.
  r.infos.forEach((info, i) => close(info.loss, t.infos[i]!.loss, 1e-5, `batch ${i} loss`));
  assert.equal(t.steps, batches.length);
  assert.equal(r.infos.length, batches.length);
  // Geometric lengths with mean 5 over 20 steps: about 4 segments per batch.
  assert.ok(r.steps >= 2 * batches.length && r.steps <= 8 * batches.length, `${r.steps} steps for ${batches.length} batches`);
  // Random truncation also trains.
  const model = charModel();
  try {
    const h = await fit(model, () => sequentialBatches(corpus, { batchSize: 4, seqLen: 20, seed: 1 }), {
      epochs: 15, bptt: { mode: 'random', meanLength: 8 }, optimizer: adam({ lr: 0.02 }), clipNorm: 1, yieldEvery: 1000,
    });
    assert.ok(h.epochs.at(-1)!.loss < h.epochs[0]!.loss - 0.5, `${h.epochs[0]!.loss} -> ${h.epochs.at(-1)!.loss}`);
  } finally {
    model.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// callbacks, schedule, cancellation

test('callbacks: loss, perplexity, gradient norm, clipping and tokens/s per batch and per epoch', async () => {
  const model = charModel();
  try {
    const batches: BatchInfo[] = [];
    const epochs: EpochInfo[] = [];
    const h = await fit(model, () => randomBatches(corpus, { batchSize: 4, seqLen: 10, seed: 2 }), {
      epochs: 2,
      optimizer: adam({ lr: 0.01 }),
      clipNorm: 1e-3, // tiny: every step is clipped
      onBatchEnd: (i) => void batches.push(i),
      onEpochEnd: (i) => void epochs.push(i),
    });
    assert.deepEqual(h.epochs, epochs);
    assert.equal(epochs.length, 2);
    const perEpoch = epochs[0]!.batches;
    assert.ok(perEpoch >= 4);
    assert.equal(batches.length, 2 * perEpoch);
    batches.forEach((b, i) => {
      assert.equal(b.epoch, Math.floor(i / perEpoch) + 1);
      assert.equal(b.batch, i % perEpoch);
      assert.ok(b.loss > 0 && b.loss < 5);
      close(b.perplexity!, Math.exp(b.loss), 1e-12, 'perplexity');
      assert.ok(b.gradNorm > 1e-3 && Number.isFinite(b.gradNorm));
      assert.equal(b.clipped, true);
      assert.equal(b.skipped, false);
      assert.ok(b.tokensPerSecond > 0 && Number.isFinite(b.tokensPerSecond));
    });
    for (const e of epochs) {
      // Same-size batches: the epoch loss is the mean of the batch losses.
      const mine = batches.filter((b) => b.epoch === e.epoch);
      close(e.loss, mine.reduce((a, b) => a + b.loss, 0) / mine.length, 1e-6, 'epoch loss');
      close(e.perplexity!, Math.exp(e.loss), 1e-12, 'epoch perplexity');
      assert.ok(e.accuracy! >= 0 && e.accuracy! <= 1);
      assert.ok(e.tokensPerSecond > 0 && e.seconds > 0);
      assert.equal(e.skippedBatches, 0);
    }
    // Returning false from onBatchEnd stops training.
    let seen = 0;
    const stopped = await fit(model, seqBatches(), { onBatchEnd: () => ++seen < 2 });
    assert.equal(seen, 2);
    assert.equal(stopped.epochs.length, 0);
  } finally {
    model.dispose();
  }
});

test('a learning-rate schedule is called with step (from 1) and epoch (from 1), and its rate is used', async () => {
  const model = charModel();
  try {
    const calls: { step: number; epoch: number }[] = [];
    const batches = seqBatches();
    const n = batches.length;
    const snapshots: Float32Array[] = [];
    await fit(model, batches, {
      epochs: 3,
      bptt: 'truncated',
      // Warm-up then zero: steps of epoch 3 must leave the parameters alone.
      optimizer: sgd({ lr: (info) => (calls.push(info), info.epoch < 3 ? 0.5 : 0) }),
      onBatchEnd: (i) => {
        if (i.epoch === 3) snapshots.push(model.stateDict().get('fc.weight')!);
      },
    });
    assert.deepEqual(
      calls,
      Array.from({ length: 3 * n }, (_, i) => ({ step: i + 1, epoch: Math.floor(i / n) + 1 })),
    );
    for (const s of snapshots) assert.deepEqual(s, snapshots[0]);
  } finally {
    model.dispose();
  }
});

test('AbortSignal: fit stops after the current batch and rejects with the reason', async () => {
  const model = charModel();
  try {
    const controller = new AbortController();
    let seen = 0;
    const reason = new Error('stop now');
    await assert.rejects(
      fit(model, () => randomBatches(corpus, { batchSize: 2, seqLen: 8, seed: 1 }), {
        epochs: 5,
        signal: controller.signal,
        onBatchEnd: () => {
          if (++seen === 3) controller.abort(reason);
        },
      }),
      (e) => e === reason,
    );
    assert.equal(seen, 3);
    // Aborted from outside while fit waits between batches.
    const c2 = new AbortController();
    let seen2 = 0;
    const p = fit(model, () => randomBatches(corpus, { batchSize: 2, seqLen: 8, seed: 1 }), { epochs: 100, signal: c2.signal, onBatchEnd: () => void seen2++ });
    setTimeout(() => c2.abort(), 5);
    await assert.rejects(p, { name: 'AbortError' });
    assert.ok(seen2 >= 1 && seen2 < 100 * 10, `${seen2} batches`);
    // Already aborted: no batch runs.
    let none = 0;
    await assert.rejects(fit(model, seqBatches(), { signal: AbortSignal.abort(), onBatchEnd: () => void none++ }));
    assert.equal(none, 0);
  } finally {
    model.dispose();
  }
});

test("non-finite steps: 'stop' throws NonFiniteError, 'skip' skips the batch and leaves the parameters", async () => {
  const model = sequential([embedding({ vocabSize: V, dim: 4 }), lstm({ units: 8 }), dense({ units: V })], { seed: 1 });
  try {
    const good = seqBatches()[0]!;
    // Huge output weights: the logits overflow, so the loss cannot be finite.
    const w = model.stateDict().get('fc.weight')!.map((x) => (x >= 0 ? 3e38 : -3e38));
    model.loadStateDict(new Map([['fc.weight', w]]), { strict: false });
    const before = model.stateDict();
    await assert.rejects(fit(model, [good], { optimizer: sgd({ lr: 0.1 }) }), NonFiniteError);
    const infos: BatchInfo[] = [];
    const h = await fit(model, [good, good], { onNonFinite: 'skip', bptt: 'truncated', onBatchEnd: (i) => void infos.push(i) });
    assert.deepEqual(infos.map((i) => i.skipped), [true, true]);
    assert.equal(h.epochs[0]!.skippedBatches, 2);
    assert.ok(Number.isNaN(h.epochs[0]!.loss));
    for (const [name, v] of model.stateDict()) assert.deepEqual(v, before.get(name), name);
    // The carried state was left as it was (zeros) by the skipped steps.
    const s = model.carriedState(good.batchSize).get(0);
    assert.ok(s.h[0]!.every((x) => x === 0) && s.c[0]!.every((x) => x === 0));
  } finally {
    model.dispose();
  }
});

test('a one-shot iterator passed for several epochs is an error in the epoch it runs dry, not NaN', async () => {
  const model = charModel();
  try {
    const once = sequentialBatches(corpus, { batchSize: 4, seqLen: 10, seed: 1 });
    await assert.rejects(fit(model, once, { epochs: 2 }), { name: 'InvalidArgumentError', message: /no batch in epoch 2/ });
    // A function of the epoch gives fresh batches each time.
    const h = await fit(model, () => sequentialBatches(corpus, { batchSize: 4, seqLen: 10, seed: 1 }), { epochs: 2 });
    assert.ok(h.epochs.every((e) => Number.isFinite(e.loss) && e.batches > 0));
  } finally {
    model.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// optimisers against a reference

/** Parameters and gradients after each batch (the gradient of that batch is still in place). */
async function trace(model: Model, batches: SequenceBatch[], options: FitOptions): Promise<{ p: Map<string, Float32Array>[]; g: Map<string, Float32Array>[] }> {
  const p = [model.stateDict()];
  const g: Map<string, Float32Array>[] = [];
  await fit(model, batches, {
    ...options,
    onBatchEnd: () => {
      p.push(model.stateDict());
      g.push(new Map(model.parameters().map((q) => [q.name, q.readGrad()])));
    },
  });
  return { p, g };
}

function maxDiff(a: Float32Array, b: Float64Array | Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('SGD with momentum (and Nesterov) follows PyTorch\'s update rule', async () => {
  const batches = seqBatches().slice(0, 3);
  for (const nesterov of [false, true]) {
    const lr = 0.3;
    const mom = 0.9;
    const wd = 0.01;
    const model = charModel(7);
    try {
      const { p, g } = await trace(model, batches, { optimizer: sgd({ lr, momentum: mom, nesterov, weightDecay: wd }) });
      for (const name of p[0]!.keys()) {
        let param = Float64Array.from(p[0]!.get(name)!);
        const buf = new Float64Array(param.length);
        for (let s = 0; s < batches.length; s++) {
          const grad = g[s]!.get(name)!;
          const next = new Float64Array(param.length);
          for (let i = 0; i < param.length; i++) {
            const gi = grad[i]! + wd * param[i]!;
            buf[i] = s === 0 ? gi : mom * buf[i]! + gi;
            next[i] = param[i]! - lr * (nesterov ? gi + mom * buf[i]! : buf[i]!);
          }
          param = next;
          const d = maxDiff(p[s + 1]!.get(name)!, param);
          assert.ok(d < 1e-5, `${nesterov ? 'nesterov' : 'momentum'} ${name} step ${s + 1}: max diff ${d}`);
          param = Float64Array.from(p[s + 1]!.get(name)!); // continue from the actual values
        }
      }
    } finally {
      model.dispose();
    }
  }
});

test('Adam and AdamW follow PyTorch\'s update rules (decoupled decay for AdamW)', async () => {
  const batches = seqBatches().slice(0, 3);
  for (const kind of ['adam', 'adamw'] as const) {
    const lr = 0.01;
    const wd = 0.1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const model = charModel(9);
    try {
      const config = kind === 'adam' ? adam({ lr, weightDecay: wd }) : adamw({ lr, weightDecay: wd });
      const { p, g } = await trace(model, batches, { optimizer: config });
      for (const name of p[0]!.keys()) {
        const n = p[0]!.get(name)!.length;
        const m = new Float64Array(n);
        const v = new Float64Array(n);
        for (let s = 0; s < batches.length; s++) {
          const prev = p[s]!.get(name)!;
          const grad = g[s]!.get(name)!;
          const want = new Float64Array(n);
          const t = s + 1;
          for (let i = 0; i < n; i++) {
            let param = prev[i]!;
            let gi = grad[i]!;
            if (kind === 'adam') gi += wd * param;
            else param *= 1 - lr * wd;
            m[i] = b1 * m[i]! + (1 - b1) * gi;
            v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
            const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
            want[i] = param - (lr / (1 - b1 ** t)) * (m[i]! / denom);
          }
          const d = maxDiff(p[s + 1]!.get(name)!, want);
          assert.ok(d < 2e-6, `${kind} ${name} step ${t}: max diff ${d}`);
        }
      }
      // And both train.
      const h = await fit(model, () => randomBatches(corpus, { batchSize: 4, seqLen: 10, seed: 5 }), { epochs: 8, optimizer: config, clipNorm: 1, yieldEvery: 1000 });
      assert.ok(h.epochs.at(-1)!.loss < h.epochs[0]!.loss - 0.3, `${kind}: ${h.epochs[0]!.loss} -> ${h.epochs.at(-1)!.loss}`);
    } finally {
      model.dispose();
    }
  }
});

test('clipNorm: the update uses the gradient scaled to the threshold', async () => {
  const model = charModel(3);
  try {
    const batch = seqBatches()[0]!;
    const { p, g } = await trace(model, [batch], { optimizer: sgd({ lr: 1 }), clipNorm: 0.05 });
    let sq = 0;
    for (const v of g[0]!.values()) for (const x of v) sq += x * x;
    const norm = Math.sqrt(sq);
    assert.ok(norm > 0.05);
    for (const [name, before] of p[0]!) {
      const want = Float64Array.from(before, (x, i) => x - (0.05 / norm) * g[0]!.get(name)![i]!);
      assert.ok(maxDiff(p[1]!.get(name)!, want) < 1e-6, name);
    }
  } finally {
    model.dispose();
  }
});
