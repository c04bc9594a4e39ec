/**
 * W2, streaming: an LSTM (input 28, hidden 256 and 512), batch 1, advanced one step at a
 * time with its state carried, as in token-by-token generation. Figure: microseconds per
 * step, the median of 2,000 steps each timed alone (after 200 untimed ones).
 *
 * One timed step, per engine, is "input from a JS array in, new h out to a JS array":
 * - ours: write x (28 floats) into a wasm buffer, `RecurrentStack.stepInto` (the core's
 *   streaming step: two GEMVs and the fused cell pass, state updated in place in wasm
 *   memory), read h back (`Float32Buffer.read`).
 * - tfjs-wasm: `tf.basicLSTMCell` (one matMul of [x, h] with the stacked kernel, bias, gate
 *   ops) on a new x tensor, `dataSync` of the new h, dispose of the previous state.
 * - onnxruntime (web and node): `session.run` of a one-step ONNX `LSTM` node with `x`, `h0`,
 *   `c0` inputs (the previous step's output tensors) and `h`, `c` outputs, reading `h.data`.
 * Every engine starts from the same weights; after timing, each runs 16 fixed steps from a
 * zero state and the runner compares the final h (digest) across engines.
 */
import { digest } from '../lib/data.js';
import { digestNotes, pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measureSteps } from '../lib/stats.js';
import { oursSpec, peerSpec, subjectLabel, tfjsWasmSpec } from '../lib/subjects.js';
import { get, lstmWeights, permuteBlocks, TFJS_CELL_FROM_TORCH, transpose } from '../lib/weights.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectHandle, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import type { OrtHandle, OrtTensor } from '../peers/ort.js';
import type { TfjsWasmHandle } from '../peers/tfjs-wasm.js';
import { lstmModel } from '../onnx/models.js';
import { W2_CASES, W2_SEED, W2_STEPS, W2_WARMUP } from './shapes.js';
import { moreNotes, moreRows, node24PeerSpecs, relaxedSpecs, torchSpecs } from '../lib/more-subjects.js';
import { measureTorch } from '../peers/torch.js';

const WORKLOAD = 'w2-stream';
const UNIT = 'us/step';
const CHECK_STEPS = 16;
type Case = (typeof W2_CASES)[number];

const shape = (c: Case) => ({ inputSize: c.input, hiddenSize: c.hidden, layers: 1, bidirectional: false });
/** One-hot input of step i (token (7 i) mod I). */
function input(c: Case, i: number, out = new Float32Array(c.input)): Float32Array {
  out.fill(0);
  out[(7 * i) % c.input] = 1;
  return out;
}
const steps = (ctx: MeasureContext) => (ctx.quick ? 200 : W2_STEPS);
const warmup = (ctx: MeasureContext) => (ctx.quick ? 20 : W2_WARMUP);
const rec = (c: Case, spec: SubjectSpec, check: number[], t: Awaited<ReturnType<typeof measureSteps>>, ctx: MeasureContext) =>
  record({ workload: WORKLOAD, caseId: c.id, spec, mode: 'step', unit: UNIT, better: 'lower', value: (ms) => ms * 1000, check }, t, ctx);

async function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  const { RecurrentStack, Float32Buffer } = h.lib;
  const out: Measurement[] = [];
  for (const c of pick(W2_CASES, ctx)) {
    const stack = new RecurrentStack({ kind: 'lstm', inputSize: c.input, hiddenSize: c.hidden });
    for (const [name, v] of lstmWeights(shape(c), W2_SEED)) stack.setParameter(name, v);
    const x = new Float32Buffer(c.input);
    const hs = new Float32Buffer(c.hidden);
    const cs = new Float32Buffer(c.hidden);
    const y = new Float32Buffer(c.hidden);
    const xin = new Float32Array(c.input);
    let i = 0;
    let last: Float32Array = new Float32Array(0);
    const step = (): void => {
      x.write(input(c, i++, xin));
      stack.stepInto(1, x, hs, cs, y);
      last = y.read();
    };
    const t = await measureSteps(step, steps(ctx), warmup(ctx));
    hs.write(new Float32Array(c.hidden));
    cs.write(new Float32Array(c.hidden));
    i = 0;
    for (let k = 0; k < CHECK_STEPS; k++) step();
    out.push(rec(c, spec, digest(last), t, ctx));
    for (const b of [x, hs, cs, y]) b.dispose();
    stack.dispose();
  }
  return out;
}

async function measureTfjs(h: TfjsWasmHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  const { tf } = h;
  const out: Measurement[] = [];
  for (const c of pick(W2_CASES, ctx)) {
    const w = lstmWeights(shape(c), W2_SEED);
    const H = c.hidden;
    // basicLSTMCell: [x, h] [1, I+H] . kernel [I+H, 4H] + bias, gates i, j (= g), f, o.
    const wih = transpose(permuteBlocks(get(w, 'weight_ih_l0'), H, c.input, TFJS_CELL_FROM_TORCH), 4 * H, c.input);
    const whh = transpose(permuteBlocks(get(w, 'weight_hh_l0'), H, H, TFJS_CELL_FROM_TORCH), 4 * H, H);
    const kernelData = new Float32Array((c.input + H) * 4 * H);
    kernelData.set(wih, 0);
    kernelData.set(whh, c.input * 4 * H);
    const b = permuteBlocks(get(w, 'bias_ih_l0'), H, 1, TFJS_CELL_FROM_TORCH).map((v, k) => v + permuteBlocks(get(w, 'bias_hh_l0'), H, 1, TFJS_CELL_FROM_TORCH)[k]!);
    const kernel = tf.tensor2d(kernelData, [c.input + H, 4 * H]);
    const bias = tf.tensor1d(b);
    const forget = tf.scalar(0);
    let hs = tf.zeros([1, H]) as import('@tensorflow/tfjs-core').Tensor2D;
    let cs = tf.zeros([1, H]) as import('@tensorflow/tfjs-core').Tensor2D;
    const xin = new Float32Array(c.input);
    let i = 0;
    let last: Float32Array = new Float32Array(0);
    const step = (): void => {
      const x = tf.tensor2d(input(c, i++, xin), [1, c.input]);
      const [c2, h2] = tf.basicLSTMCell(forget, kernel, bias, x, cs, hs);
      last = h2!.dataSync() as Float32Array;
      x.dispose();
      hs.dispose();
      cs.dispose();
      hs = h2!;
      cs = c2!;
    };
    const t = await measureSteps(step, steps(ctx), warmup(ctx));
    hs.dispose();
    cs.dispose();
    hs = tf.zeros([1, H]);
    cs = tf.zeros([1, H]);
    i = 0;
    for (let k = 0; k < CHECK_STEPS; k++) step();
    out.push(rec(c, spec, digest(last), t, ctx));
    for (const x of [hs, cs, kernel, bias, forget]) x.dispose();
  }
  return out;
}

async function measureOrt(h: OrtHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const c of pick(W2_CASES, ctx)) {
    const session = await h.session(lstmModel({ ...shape(c), seed: W2_SEED, batch: 1, stateful: true }));
    const H = c.hidden;
    const zero = () => new h.api.Tensor('float32', new Float32Array(H), [1, 1, H]);
    let hs: OrtTensor = zero();
    let cs: OrtTensor = zero();
    let i = 0;
    let last: Float32Array = new Float32Array(0);
    const step = async (): Promise<void> => {
      const x = new h.api.Tensor('float32', input(c, i++), [1, 1, c.input]);
      const r = await session.run({ x, h0: hs, c0: cs });
      hs = r['h']!;
      cs = r['c']!;
      last = hs.data as Float32Array;
    };
    const t = await measureSteps(step, steps(ctx), warmup(ctx));
    hs = zero();
    cs = zero();
    i = 0;
    for (let k = 0; k < CHECK_STEPS; k++) await step();
    out.push(rec(c, spec, digest(last), t, ctx));
  }
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  for (const c of W2_CASES) {
    for (const t of threads) {
      const o = oursSpec(t);
      const peers = t === 1 ? [tfjsWasmSpec(), peerSpec('ort-web', 1), peerSpec('ort-node', 1)] : [peerSpec('ort-web', t), peerSpec('ort-node', t), oursSpec(1)];
      for (const p of peers) {
        pairings.push({ variant: c.id, caseId: c.id, threads: t, ours: { subject: o.id, mode: 'step' }, peer: { subject: p.id, mode: 'step', label: subjectLabel(p) } });
      }
    }
  }
  // The relaxed build (Node 24) against the wasm peers of the rows above, on Node 24 too.
  const wasmPeers = (t: number) => (t === 1 ? [tfjsWasmSpec(), peerSpec('ort-web', 1)] : [peerSpec('ort-web', t)]);
  for (const c of W2_CASES) pairings.push(...moreRows(c.id, 'step', threads, wasmPeers));
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: [...digestNotes(WORKLOAD, ms, 1e-4, ['ours-1t']), ...moreNotes(WORKLOAD, ms)] };
}

export const streamWorkload: Workload = {
  name: WORKLOAD,
  title: 'W2 streaming: LSTM input 28, batch 1, one step at a time with carried state (us/step, median of 2,000)',
  caseIds: () => W2_CASES.map((c) => `${c.id}  (LSTM ${c.input} -> ${c.hidden})`),
  subjects: (threads) => [
    ...threads.map(oursSpec),
    tfjsWasmSpec(),
    ...threads.flatMap((t) => [peerSpec('ort-web', t), peerSpec('ort-node', t)]),
    ...relaxedSpecs(threads),
    ...node24PeerSpecs(threads, ['tfjs-wasm', 'ort-web']),
    ...torchSpecs(threads),
  ],
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
        const cases = pick(W2_CASES, ctx).map((c) => ({ id: c.id, input: c.input, hidden: c.hidden, seed: W2_SEED }));
        return measureTorch(WORKLOAD, cases, subject, spec, ctx, { mode: 'step', unit: UNIT, better: 'lower', value: (_c, ms) => ms * 1000 });
      }
      default:
        throw new Error(`${WORKLOAD}: no runner for ${subject.kind}`);
    }
  },
  rows,
};
