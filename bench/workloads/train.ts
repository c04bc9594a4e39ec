/**
 * W1, training: a char LM (vocab 28 one-hot, one recurrent layer of 256, dense to 28,
 * softmax cross-entropy), batch 32 x 35 steps, SGD lr 1 with global-norm clipping at 1, for
 * LSTM, GRU and the vanilla (tanh) RNN. Figure: tokens/s = 32 * 35 / (median time of one
 * training step), over >= 20 steps after warm-up.
 *
 * What one timed step is, per engine:
 * - ours: `model.trainStep(batch, { loss: 'crossEntropy', optimizer: SGD(lr 1), clipNorm: 1 })`
 *   on the token ids (one-hot, forward, loss, BPTT, clipping, update; returns the loss).
 * - tfjs (wasm; cpu for the LSTM only, a reduced row of 3 steps): a `tf.sequential` of
 *   `tf.layers.lstm|gru|simpleRNN` (returnSequences, sigmoid recurrent activation) and
 *   `tf.layers.dense`, one `tf.variableGrads` of `tf.losses.softmaxCrossEntropy` on one-hot
 *   tensors already in the backend, global-norm clipping by tf ops, `sgd(1).applyGradients`,
 *   and the loss read back (`dataSync`).
 * - brain.js: `brain.recurrent.LSTM|GRU|RNN` with `hiddenLayers: [256]`, one `trainPattern`
 *   of one 35-token sequence (brain.js has no batching; its update is its own RMSProp with
 *   per-element clipping at 5). tokens/s = 35 / time of one call.
 */
import { rng } from '../lib/data.js';
import { pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure, perCall } from '../lib/stats.js';
import { oursSpec, peerSpec, subjectLabel, tfjsWasmSpec } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectHandle, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import type { BrainHandle } from '../peers/brain.js';
import type { TfjsCpuHandle } from '../peers/tfjs-cpu.js';
import type { TfjsWasmHandle } from '../peers/tfjs-wasm.js';
import { W1, W1_KINDS, type W1Kind } from './shapes.js';
import { moreNotes, moreRows, node24PeerSpecs, relaxedSpecs, torchSpecs } from '../lib/more-subjects.js';
import { measureTorch } from '../peers/torch.js';

const WORKLOAD = 'w1-train';
const UNIT = 'tokens/s';
const TOKENS = W1.batch * W1.seqLen;
const CASES = W1_KINDS.map((k) => ({ id: k, kind: k }));
/** Steps timed per figure (the issue asks for >= 20) and the time box that allows them. */
const STEPS = 20;
const BUDGET_MS = 120_000;

/** The same token ids and targets for every engine: `[T, B]` time-major. */
function batchIds(): { x: Uint32Array; y: Uint32Array } {
  const next = rng(4242);
  const n = W1.seqLen * W1.batch;
  const stream = Array.from({ length: n + W1.batch }, () => Math.floor(next() * W1.vocab));
  return { x: Uint32Array.from(stream.slice(0, n)), y: Uint32Array.from(stream.slice(W1.batch, n + W1.batch)) };
}

function timing(ctx: MeasureContext, steps = STEPS) {
  return perCall(ctx.timing, ctx.quick ? 3 : steps, ctx.quick ? 5_000 : BUDGET_MS);
}

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { sequential, oneHot, lstm, gru, rnn, dense, Optimizer, sgd } = h.lib;
  const out: Measurement[] = [];
  const { x, y } = batchIds();
  const batch = { x, y, seqLen: W1.seqLen, batchSize: W1.batch };
  for (const c of pick(CASES, ctx)) {
    const layer = { lstm, gru, rnn }[c.kind]({ units: W1.hidden });
    const model = sequential([oneHot({ vocabSize: W1.vocab }), layer, dense({ units: W1.vocab })], { seed: 1 });
    const optimizer = new Optimizer(sgd({ lr: W1.lr }), model.groups(), model.engine);
    const opts = { loss: 'crossEntropy' as const, optimizer, clipNorm: W1.clipNorm };
    let loss = 0;
    const t = measure(() => {
      loss = model.trainStep(batch, opts).loss;
    }, timing(ctx));
    if (!Number.isFinite(loss)) ctx.log(`  warning: ours ${c.kind} loss is ${loss}`);
    out.push(record({ workload: WORKLOAD, caseId: c.id, spec, mode: 'step', unit: UNIT, better: 'higher', value: (ms) => TOKENS / (ms / 1000) }, t, ctx));
    model.dispose();
  }
  return out;
}

async function measureTfjs(h: TfjsWasmHandle | TfjsCpuHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  const { tf } = h;
  const tfl = await import('@tensorflow/tfjs-layers');
  const out: Measurement[] = [];
  const { x, y } = batchIds();
  // Batch-major one-hot tensors [B, T, V], created once (resident in the backend).
  const oneHot = (ids: Uint32Array) => {
    const v = new Float32Array(W1.batch * W1.seqLen * W1.vocab);
    for (let t = 0; t < W1.seqLen; t++) for (let b = 0; b < W1.batch; b++) v[(b * W1.seqLen + t) * W1.vocab + ids[t * W1.batch + b]!] = 1;
    return tf.tensor3d(v, [W1.batch, W1.seqLen, W1.vocab]);
  };
  const xt = oneHot(x);
  const yt = oneHot(y);
  const cases = h.kind === 'tfjs-cpu' ? CASES.filter((c) => c.kind === 'lstm') : CASES;
  for (const c of pick(cases, ctx)) {
    const common = { units: W1.hidden, returnSequences: true, inputShape: [W1.seqLen, W1.vocab], recurrentInitializer: 'glorotUniform' as const };
    const rec =
      c.kind === 'lstm'
        ? tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
        : c.kind === 'gru'
          ? tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid' })
          : tfl.layers.simpleRNN({ ...common, activation: 'tanh' });
    const model = tfl.sequential({ layers: [rec, tfl.layers.dense({ units: W1.vocab })] });
    const optimizer = tf.train.sgd(W1.lr);
    const step = (): number => {
      const vars = model.trainableWeights.map((w) => w.read() as unknown as import('@tensorflow/tfjs-core').Variable);
      const lossValue = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(yt, model.apply(xt, { training: true }) as import('@tensorflow/tfjs-core').Tensor) as import('@tensorflow/tfjs-core').Scalar,
          vars,
        );
        const names = Object.keys(grads);
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
        // Global-norm clipping at clipNorm: scale = min(1, clip / norm).
        const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(W1.clipNorm), norm));
        const clipped: Record<string, import('@tensorflow/tfjs-core').Tensor> = {};
        for (const n of names) clipped[n] = tf.mul(grads[n]!, scale);
        optimizer.applyGradients(clipped);
        return value.dataSync()[0]!;
      });
      return lossValue;
    };
    let loss = 0;
    const before = tf.memory().numTensors;
    const steps = h.kind === 'tfjs-cpu' ? 3 : STEPS;
    const t = measure(() => {
      loss = step();
    }, timing(ctx, steps));
    if (tf.memory().numTensors > before + 2) ctx.log(`  warning: tfjs leaked ${tf.memory().numTensors - before} tensors in ${c.kind}`);
    if (!Number.isFinite(loss)) ctx.log(`  warning: tfjs ${c.kind} loss is ${loss}`);
    out.push(record({ workload: WORKLOAD, caseId: c.id, spec, mode: 'step', unit: UNIT, better: 'higher', value: (ms) => TOKENS / (ms / 1000) }, t, ctx));
    model.dispose();
    optimizer.dispose();
  }
  xt.dispose();
  yt.dispose();
  return out;
}

function measureBrain(h: BrainHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const out: Measurement[] = [];
  const { x } = batchIds();
  // One sequence: batch column 0 of the same ids (brain.js trains one sequence per call).
  const seq = Array.from({ length: W1.seqLen }, (_, t) => x[t * W1.batch]!);
  const cls = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const;
  for (const c of pick(CASES, ctx)) {
    const net = new h.brain.recurrent[cls[c.kind]]({ inputSize: W1.vocab, inputRange: W1.vocab, hiddenLayers: [W1.hidden], outputSize: W1.vocab });
    net.initialize();
    const t = measure(() => {
      net.trainPattern(seq);
    }, timing(ctx));
    out.push(record({ workload: WORKLOAD, caseId: c.id, spec, mode: 'step', unit: UNIT, better: 'higher', value: (ms) => W1.seqLen / (ms / 1000) }, t, ctx));
  }
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  const o1 = oursSpec(1);
  const peers = [tfjsWasmSpec(), peerSpec('tfjs-cpu'), peerSpec('brain')];
  for (const c of CASES) {
    for (const p of peers) {
      if (p.kind === 'tfjs-cpu' && c.kind !== 'lstm') continue;
      pairings.push({ variant: c.id, caseId: c.id, threads: 1, ours: { subject: o1.id, mode: 'step' }, peer: { subject: p.id, mode: 'step', label: `${subjectLabel(p)}${p.kind === 'tfjs-cpu' ? ' (3 steps)' : ''}` } });
    }
    for (const t of threads.filter((t) => t > 1)) {
      pairings.push({ variant: c.id, caseId: c.id, threads: t, ours: { subject: oursSpec(t).id, mode: 'step' }, peer: { subject: o1.id, mode: 'step', label: subjectLabel(o1) } });
    }
  }
  for (const c of CASES) pairings.push(...moreRows(c.id, 'step', threads, (t) => (t === 1 ? [tfjsWasmSpec()] : [])));
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: moreNotes(WORKLOAD, ms) };
}

export const trainWorkload: Workload = {
  name: WORKLOAD,
  title: `W1 training: char LM, one-hot ${W1.vocab}, hidden ${W1.hidden}, batch ${W1.batch} x ${W1.seqLen} steps, SGD lr ${W1.lr}, clip ${W1.clipNorm} (tokens/s)`,
  caseIds: () => CASES.map((c) => `${c.id}  (${c.kind === 'rnn' ? 'vanilla tanh RNN' : c.kind.toUpperCase()})`),
  subjects: (threads) => [
    ...threads.map(oursSpec),
    ...relaxedSpecs(threads),
    tfjsWasmSpec(),
    peerSpec('tfjs-cpu'),
    peerSpec('brain'),
    ...node24PeerSpecs(threads, ['tfjs-wasm']),
    ...torchSpecs(threads),
  ],
  async measure(subject: SubjectHandle, spec: SubjectSpec, ctx: MeasureContext) {
    switch (subject.kind) {
      case 'ours':
        return measureOurs(subject, spec, ctx);
      case 'tfjs-wasm':
      case 'tfjs-cpu':
        return measureTfjs(subject, spec, ctx);
      case 'brain':
        return measureBrain(subject, spec, ctx);
      case 'torch': {
        const cases = pick(CASES, ctx).map((c) => ({ id: c.id, kind: c.kind, vocab: W1.vocab, hidden: W1.hidden, batch: W1.batch, seq_len: W1.seqLen, lr: W1.lr, clip_norm: W1.clipNorm }));
        return measureTorch(WORKLOAD, cases, subject, spec, ctx, { mode: 'step', unit: UNIT, better: 'higher', value: (_c, ms) => TOKENS / (ms / 1000) });
      }
      default:
        throw new Error(`${WORKLOAD}: no runner for ${subject.kind}`);
    }
  },
  rows,
};

export type { W1Kind };
