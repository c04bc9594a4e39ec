// Soak run: 100,000 streaming steps and 5,000 training steps on small models, measuring wasm
// linear memory and the JS heap after a warm-up and at the end. Run in its own process with
// `--expose-gc` (test/unit/reliability-soak.test.ts does) so heap figures are taken after full
// collections; prints one JSON line with the figures.
import * as v8 from 'node:v8';

import { adam, dense, dispose, embedding, engine, gru, init, lstm, Optimizer, sequential, type SequenceBatch } from 'recurrent';

const STREAM_STEPS = Number(process.env.SOAK_STREAM_STEPS ?? 100_000);
const TRAIN_STEPS = Number(process.env.SOAK_TRAIN_STEPS ?? 5_000);
/**
 * Steps run before the first measurement, as a fraction of the measured ones: the first tens of
 * thousands of calls still grow the heap in steps of a few kilobytes (JIT tiers, inline caches,
 * feedback), then it stays flat; wasm scratch reaches its largest size in the first batches.
 */
const WARMUP = 1;
const V = 32;

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Heap bytes holding data after full collections (the smallest of a few readings). The spaces
 * that hold compiled code are left out: V8 keeps optimising and deoptimising hot functions long
 * after a warm-up, and the code it makes comes and goes in steps of tens of kilobytes (about 1%
 * of this heap) whatever the number of steps, while a leak of data grows with the steps.
 */
async function heapUsed(): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
    gc?.();
    const data = v8.getHeapSpaceStatistics().filter((s) => !s.space_name.includes('code'));
    best = Math.min(best, data.reduce((n, s) => n + s.space_used_size, 0));
  }
  return best;
}

interface Figures {
  wasmBytes: number;
  heapBytes: number;
  liveBuffers: number;
}

async function measure(): Promise<Figures> {
  return { heapBytes: await heapUsed(), wasmBytes: engine().memoryBytes, liveBuffers: engine().wasm.buffer_live_count() };
}

function batchOf(step: number, seqLen: number, batchSize: number): SequenceBatch {
  const x = new Array<number>(seqLen * batchSize);
  const y = new Array<number>(seqLen * batchSize);
  for (let i = 0; i < x.length; i++) {
    x[i] = (step * 31 + i * 7) % V;
    y[i] = (step * 17 + i * 5 + 1) % V;
  }
  return { x, y, seqLen, batchSize };
}

/** Builds and uses `n` models and states, and drops them without dispose(). */
function dropModels(n: number): void {
  for (let i = 0; i < n; i++) {
    const m = sequential([embedding({ vocabSize: V, dim: 8 }), lstm({ units: 8 }), dense({ units: V })], { seed: i });
    m.step([1, 2], m.zeroState(2));
    m.predict([1, 2], { seqLen: 1, batchSize: 2 });
  }
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  await init({ threads: 1 });
  await measure(); // warms the measuring code itself
  const started = performance.now();

  // Streaming: one token per step with the state carried, as a chat UI or a game would run it,
  // with a generation and a batch prediction now and then.
  const lm = sequential([embedding({ vocabSize: V, dim: 16 }), lstm({ units: 32 }), dense({ units: V })], { seed: 1 });
  let state = lm.zeroState(1);
  let checksum = 0;
  let streamWarm: Figures | undefined;
  const streamWarmup = Math.round(STREAM_STEPS * WARMUP);
  for (let i = -streamWarmup; i < STREAM_STEPS; i++) {
    if (i === 0) streamWarm = await measure();
    const out = lm.step([((i + streamWarmup) * 7) % V], state, { logSoftmax: i % 2 === 0 });
    checksum += out[(i + streamWarmup) % V]!;
    if ((i + streamWarmup) % 5000 === 4999) {
      checksum += lm.generate([1, 2, 3], { length: 20, seed: i + streamWarmup, temperature: 0.8, topK: 5 }).length;
      checksum += lm.predict(batchOf(i + streamWarmup, 8, 2).x, { seqLen: 8, batchSize: 2 })[0]!;
      state.dispose();
      state = lm.zeroState(1);
    }
  }
  const streamEnd = await measure();
  const streamSeconds = (performance.now() - started) / 1000;

  // Training: truncated BPTT with Adam and clipping, two sequence lengths in turn, evaluation now and then.
  const t0 = performance.now();
  const model = sequential([embedding({ vocabSize: V, dim: 16 }), gru({ units: 32, layers: 2, dropout: 0.1 }), dense({ units: V })], { seed: 2 });
  const optimizer = new Optimizer(adam({ lr: 0.003 }), model.groups(), model.engine);
  let trainWarm: Figures | undefined;
  let loss = 0;
  const trainWarmup = Math.round(TRAIN_STEPS * WARMUP);
  for (let i = -trainWarmup; i < TRAIN_STEPS; i++) {
    if (i === 0) trainWarm = await measure();
    const r = model.trainStep(batchOf(i + trainWarmup, i % 2 === 0 ? 16 : 12, 8), { loss: 'crossEntropy', optimizer, clipNorm: 1, carryState: true });
    loss = r.loss;
    if ((i + trainWarmup) % 100 === 99) checksum += model.evaluate(batchOf(i + trainWarmup, 16, 8)).loss;
  }
  const trainEnd = await measure();
  const trainSeconds = (performance.now() - t0) / 1000;

  // Everything disposed: every buffer returned.
  state.dispose();
  lm.dispose();
  optimizer.dispose();
  model.dispose();
  const disposed = await measure();

  // The safety net: models and states dropped without dispose() are freed by the
  // FinalizationRegistry once collected.
  const before = engine().wasm.buffer_live_count();
  dropModels(20);
  const leakedBeforeGc = engine().wasm.buffer_live_count() - before;
  let rounds = 0;
  while (engine().wasm.buffer_live_count() > before && rounds++ < 100) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const finalizer = { droppedBuffers: leakedBeforeGc, leftAfterGc: engine().wasm.buffer_live_count() - before, rounds };
  const growth = (a: number, b: number) => ((b - a) / a) * 100;
  const result = {
    streamSteps: STREAM_STEPS,
    trainSteps: TRAIN_STEPS,
    stream: { warm: streamWarm!, end: streamEnd, wasmGrowthPct: growth(streamWarm!.wasmBytes, streamEnd.wasmBytes), heapGrowthPct: growth(streamWarm!.heapBytes, streamEnd.heapBytes), seconds: streamSeconds },
    train: { warm: trainWarm!, end: trainEnd, wasmGrowthPct: growth(trainWarm!.wasmBytes, trainEnd.wasmBytes), heapGrowthPct: growth(trainWarm!.heapBytes, trainEnd.heapBytes), seconds: trainSeconds, finalLoss: loss },
    disposedLiveBuffers: disposed.liveBuffers,
    finalizer,
    checksum,
  };
  console.log(JSON.stringify(result));
  await dispose();
}

await main();
