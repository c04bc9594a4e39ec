/**
 * W3, encoding: a 2-layer bidirectional LSTM (input 64, hidden 256 per direction, outputs of
 * both directions concatenated), batch 64 x 100 steps, forward only (inference). Figure:
 * tokens/s = 64 * 100 / (median time of one call).
 *
 * One timed call, per engine:
 * - ours: write x `[T, B, 64]` into a wasm buffer, `RecurrentStack.forwardInto` (the core's
 *   inference forward: chunked input projections, per step one recurrent GEMM and the fused
 *   cell pass, both layers and directions in one call), read y `[T, B, 512]` back.
 * - tfjs-wasm: `model.predict` of a `tf.sequential` of two
 *   `tf.layers.bidirectional(tf.layers.lstm(...))` (sigmoid recurrent activation, concat) on
 *   an input tensor already in the backend (`[B, T, 64]`), then `dataSync`.
 * - onnxruntime (web and node): `session.run` of two ONNX `LSTM` nodes (bidirectional) with a
 *   Transpose + Reshape between them, from a new input tensor; the output stays a JS array.
 * Same weights everywhere; the runner compares output digests.
 */
import { digest, uniform } from '../lib/data.js';
import { digestNotes, pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure, measureAsync, type TimingOptions } from '../lib/stats.js';
import { oursSpec, peerSpec, subjectLabel, tfjsWasmSpec } from '../lib/subjects.js';
import { get, lstmWeights, transpose } from '../lib/weights.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectHandle, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import type { OrtHandle } from '../peers/ort.js';
import type { TfjsWasmHandle } from '../peers/tfjs-wasm.js';
import { lstmModel } from '../onnx/models.js';
import { W3, W3_SEED, W3_SHAPE } from './shapes.js';
import { inferenceSpecs, moreNotes, moreRows } from '../lib/more-subjects.js';
import { measureTorch } from '../peers/torch.js';

const WORKLOAD = 'w3-encode';
const UNIT = 'tokens/s';
const TOKENS = W3.batch * W3.seqLen;
const CASES = [{ id: 'bilstm 2x256' }];
const I = W3_SHAPE.inputSize;
const H = W3_SHAPE.hiddenSize;

/** Time-major input `[T, B, I]`, the same in every engine. */
const inputTB = (): Float32Array => uniform(W3.seqLen * W3.batch * I, 7301);

function timing(ctx: MeasureContext): TimingOptions {
  return ctx.quick
    ? { ...ctx.timing, minSamples: 1, floorSamples: 1, budgetMs: 3_000, targetSampleMs: 0 }
    : { ...ctx.timing, minSamples: 5, floorSamples: 3, budgetMs: Math.max(ctx.timing.budgetMs, 12_000), targetSampleMs: 0 };
}
const rec = (spec: SubjectSpec, check: number[], t: ReturnType<typeof measure>, ctx: MeasureContext) =>
  record({ workload: WORKLOAD, caseId: CASES[0]!.id, spec, mode: 'forward', unit: UNIT, better: 'higher', value: (ms) => TOKENS / (ms / 1000), check }, t, ctx);

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  if (pick(CASES, ctx).length === 0) return [];
  const { RecurrentStack, Float32Buffer } = h.lib;
  const stack = new RecurrentStack({ kind: 'lstm', ...W3_SHAPE });
  for (const [name, v] of lstmWeights(W3_SHAPE, W3_SEED)) stack.setParameter(name, v);
  const xs = inputTB();
  const x = new Float32Buffer(xs.length);
  const y = new Float32Buffer(W3.seqLen * W3.batch * 2 * H);
  const hN = new Float32Buffer(4 * W3.batch * H);
  const cN = new Float32Buffer(4 * W3.batch * H);
  let out: Float32Array = new Float32Array(0);
  const t = measure(() => {
    x.write(xs);
    stack.forwardInto({ training: false, seqLen: W3.seqLen, batch: W3.batch, x, lengths: new Uint32Array(0), y, hN, cN });
    out = y.read();
  }, timing(ctx));
  const m = rec(spec, digest(out), t, ctx);
  for (const b of [x, y, hN, cN]) b.dispose();
  stack.dispose();
  return [m];
}

async function measureTfjs(h: TfjsWasmHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  if (pick(CASES, ctx).length === 0) return [];
  const { tf } = h;
  const tfl = await import('@tensorflow/tfjs-layers');
  const w = lstmWeights(W3_SHAPE, W3_SEED);
  const model = tfl.sequential();
  for (let l = 0; l < 2; l++) {
    const inSize = l === 0 ? I : 2 * H;
    const lstm = tfl.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' });
    model.add(tfl.layers.bidirectional({ layer: lstm as never, mergeMode: 'concat', ...(l === 0 ? { inputShape: [W3.seqLen, I] } : {}) }));
    // Keras LSTM weights: kernel [in, 4H], recurrent kernel [H, 4H], one bias; gate order
    // i, f, c, o = PyTorch's i, f, g, o. Forward layer's weights first, then the backward's.
    const weights = ['', '_reverse'].flatMap((s) => [
      tf.tensor2d(transpose(get(w, `weight_ih_l${l}${s}`), 4 * H, inSize), [inSize, 4 * H]),
      tf.tensor2d(transpose(get(w, `weight_hh_l${l}${s}`), 4 * H, H), [H, 4 * H]),
      tf.tensor1d(get(w, `bias_ih_l${l}${s}`).map((v, k) => v + get(w, `bias_hh_l${l}${s}`)[k]!)),
    ]);
    model.layers[l]!.setWeights(weights);
    weights.forEach((t) => t.dispose());
  }
  // Batch-major input [B, T, I] from the same time-major values.
  const xs = inputTB();
  const bm = new Float32Array(xs.length);
  for (let t = 0; t < W3.seqLen; t++) for (let b = 0; b < W3.batch; b++) bm.set(xs.subarray((t * W3.batch + b) * I, (t * W3.batch + b + 1) * I), (b * W3.seqLen + t) * I);
  const x = tf.tensor3d(bm, [W3.batch, W3.seqLen, I]);
  let out: Float32Array = new Float32Array(0);
  const t = measure(() => {
    const y = model.predict(x) as import('@tensorflow/tfjs-core').Tensor;
    out = y.dataSync() as Float32Array;
    y.dispose();
  }, timing(ctx));
  x.dispose();
  model.dispose();
  return [rec(spec, digest(out), t, ctx)];
}

async function measureOrt(h: OrtHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  if (pick(CASES, ctx).length === 0) return [];
  const session = await h.session(lstmModel({ ...W3_SHAPE, seed: W3_SEED }));
  const xs = inputTB();
  let out: Float32Array = new Float32Array(0);
  const t = await measureAsync(async () => {
    const r = await session.run({ x: new h.api.Tensor('float32', xs, [W3.seqLen, W3.batch, I]) });
    out = r['y']!.data as Float32Array;
  }, timing(ctx));
  return [rec(spec, digest(out), t, ctx)];
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  const id = CASES[0]!.id;
  for (const t of threads) {
    const o = oursSpec(t);
    const peers = t === 1 ? [tfjsWasmSpec(), peerSpec('ort-web', 1), peerSpec('ort-node', 1)] : [peerSpec('ort-web', t), peerSpec('ort-node', t), oursSpec(1)];
    for (const p of peers) pairings.push({ variant: id, caseId: id, threads: t, ours: { subject: o.id, mode: 'forward' }, peer: { subject: p.id, mode: 'forward', label: subjectLabel(p) } });
  }
  // The relaxed build (Node 24) against the wasm peers of the rows above, on Node 24 too.
  pairings.push(...moreRows(id, 'forward', threads, (t) => (t === 1 ? [tfjsWasmSpec(), peerSpec('ort-web', 1)] : [peerSpec('ort-web', t)])));
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: [...digestNotes(WORKLOAD, ms, 1e-4, ['ours-1t']), ...moreNotes(WORKLOAD, ms)] };
}

export const encodeWorkload: Workload = {
  name: WORKLOAD,
  title: `W3 encoding: 2-layer bidirectional LSTM, input ${I}, hidden ${H}, batch ${W3.batch} x ${W3.seqLen} steps, forward only (tokens/s)`,
  caseIds: () => CASES.map((c) => c.id),
  subjects: inferenceSpecs,
  async measure(subject: SubjectHandle, spec: SubjectSpec, ctx: MeasureContext) {
    switch (subject.kind) {
      case 'ours':
        return measureOurs(subject, spec, ctx);
      case 'tfjs-wasm':
        return measureTfjs(subject, spec, ctx);
      case 'ort-web':
      case 'ort-node':
        return measureOrt(subject, spec, ctx);
      case 'torch': {
        const cases = pick(CASES, ctx).map((c) => ({ id: c.id, input: I, hidden: H, layers: W3_SHAPE.layers, batch: W3.batch, seq_len: W3.seqLen }));
        return measureTorch(WORKLOAD, cases, subject, spec, ctx, { mode: 'forward', unit: UNIT, better: 'higher', value: (_c, ms) => TOKENS / (ms / 1000) });
      }
      default:
        throw new Error(`${WORKLOAD}: no runner for ${subject.kind}`);
    }
  },
  rows,
};
