/**
 * Issue 3's bench: forward and forward+backward throughput of one recurrent layer per cell
 * kind (hidden 256, batch 32, 35 steps, input 28: the W1 shapes), and the batch-1 streaming
 * step, each next to its GEMM roofline measured in the same process (same build, same
 * threads, same moment).
 *
 * Achieved GFLOP/s counts the GEMM FLOPs the layer runs (2 m n k each; the element-wise cell
 * passes are not counted) over the measured time of the whole call. The roofline is what those
 * same GEMMs, at their exact shapes and transpositions, take when timed alone with `gemm()`
 * in this process: `roofline GFLOP/s = FLOPs / sum(count x median time of the shape)`. So
 * `ratio = achieved / roofline` is the share of the layer's time that is GEMM at full speed;
 * what is missing is element-wise work, packing, copies and synchronisation.
 *
 * Calls (ours only, on wasm buffers, no copies to JS): `forward` = `forwardInto` for
 * inference (chunked input projections), `fwd+bwd` = a training `forwardInto` then
 * `backwardInto` with no input gradient (the char-LM case: one-hot inputs need none),
 * `step b1` = `stepInto` at batch 1.
 */
import { uniform } from '../lib/data.js';
import { pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure, type Timing } from '../lib/stats.js';
import { oursOnlyWorkload } from '../lib/ours-only.js';
import { oursSpec, subjectLabel } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';

const WORKLOAD = 'cells';
const UNIT = 'GFLOP/s';
const T = 35;
const B = 32;
const I = 28;
const H = 256;
const R = T * B;

type Kind = 'rnn_tanh' | 'gru' | 'lstm';
type Op = 'forward' | 'fwd+bwd' | 'step b1';
const KINDS: Kind[] = ['rnn_tanh', 'gru', 'lstm'];
const OPS: Op[] = ['forward', 'fwd+bwd', 'step b1'];
const CASES = KINDS.flatMap((kind) => OPS.map((op) => ({ id: `${kind} ${op}`, kind, op })));

interface Shape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  count: number;
}
const g = (m: number, n: number, k: number, transA: boolean, transB: boolean, count: number): Shape => ({ m, n, k, transA, transB, count });
const shapeId = (s: Shape) => `${s.m}x${s.n}x${s.k}${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
const gates = (k: Kind) => (k === 'lstm' ? 4 : k === 'gru' ? 3 : 1);

/** The GEMMs the core's drivers run for one call (see rnn/forward.rs, backward.rs, grads.rs, stream.rs). */
function gemms(kind: Kind, op: Op): Shape[] {
  const GH = gates(kind) * H;
  if (op === 'step b1') return [g(1, GH, I, false, true, 1), g(1, GH, H, false, true, 1)];
  const recurrent = g(B, GH, H, false, true, T);
  if (op === 'forward') {
    // Inference projects chunks of ceil(256 / B) = 8 steps: 4 chunks of 8 and one of 3.
    return [g(8 * B, GH, I, false, true, 4), g(3 * B, GH, I, false, true, 1), recurrent];
  }
  const fwd = [g(R, GH, I, false, true, 1), recurrent];
  const dWih = g(GH, I, R, true, false, 1);
  if (kind === 'gru') {
    // Reset-after: dh += [dr, dz] W_hh[0:2H] and (dn * r) W_hn per step; dW_hh in two parts.
    return [...fwd, g(B, H, 2 * H, false, false, T), g(B, H, H, false, false, T), dWih, g(2 * H, H, R, true, false, 1), g(H, H, R, true, false, 1)];
  }
  return [...fwd, g(B, H, GH, false, false, T), dWih, g(GH, H, R, true, false, 1)];
}
const flops = (ss: Shape[]) => ss.reduce((f, s) => f + 2 * s.m * s.n * s.k * s.count, 0);

function timeGemm(h: OursHandle, s: Shape, ctx: MeasureContext): Timing {
  const { Float32Buffer, gemm } = h.lib;
  const a = Float32Buffer.from(uniform(s.m * s.k, 11));
  const b = Float32Buffer.from(uniform(s.k * s.n, 12));
  const c = new Float32Buffer(s.m * s.n);
  try {
    return measure(() => gemm(s.m, s.n, s.k, a, b, c, { transA: s.transA, transB: s.transB }), { ...ctx.timing, budgetMs: Math.min(ctx.timing.budgetMs, 1000) });
  } finally {
    a.dispose();
    b.dispose();
    c.dispose();
  }
}

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { RecurrentStack, Float32Buffer } = h.lib;
  const out: Measurement[] = [];
  const gemmTimes = new Map<string, number>();
  const x = Float32Buffer.from(uniform(R * I, 21));
  const gy = Float32Buffer.from(uniform(R * H, 22).map((v) => v * 0.01));
  const y = new Float32Buffer(R * H);
  const hN = new Float32Buffer(B * H);
  const cN = new Float32Buffer(B * H);
  const x1 = Float32Buffer.from(uniform(I, 23));
  const h1 = new Float32Buffer(H);
  const c1 = new Float32Buffer(H);
  const y1 = new Float32Buffer(H);
  const none = new Uint32Array(0);
  for (const c of pick(CASES, ctx)) {
    const stack = new RecurrentStack({ kind: c.kind, inputSize: I, hiddenSize: H });
    const pv = stack.paramView();
    pv.set(uniform(pv.length, 24).map((v) => v / 16));
    const cn = c.kind === 'lstm' ? cN : undefined;
    const fn =
      c.op === 'forward'
        ? () => stack.forwardInto({ training: false, seqLen: T, batch: B, x, lengths: none, y, hN, cN: cn })
        : c.op === 'fwd+bwd'
          ? () => {
              stack.forwardInto({ training: true, seqLen: T, batch: B, x, lengths: none, y, hN, cN: cn });
              stack.backwardInto({ gy });
            }
          : () => stack.stepInto(1, x1, h1, c.kind === 'lstm' ? c1 : undefined, y1);
    const t = measure(fn, ctx.timing);
    stack.dispose();
    const shapes = gemms(c.kind, c.op);
    let roofMs = 0;
    for (const s of shapes) {
      const id = shapeId(s);
      if (!gemmTimes.has(id)) gemmTimes.set(id, timeGemm(h, s, ctx).medianMs);
      roofMs += s.count * gemmTimes.get(id)!;
    }
    const f = flops(shapes);
    const base = { workload: WORKLOAD, caseId: c.id, spec, unit: UNIT, better: 'higher' as const };
    out.push(record({ ...base, mode: 'layer', value: (ms) => f / (ms * 1e6) }, t, ctx));
    out.push({ ...out[out.length - 1]!, mode: 'roofline', value: f / (roofMs * 1e6), medianMs: roofMs, minMs: roofMs });
    const tokens = c.op === 'step b1' ? 1 : R;
    ctx.log(`    ${c.id}: ${t.medianMs.toFixed(3)} ms/call = ${(tokens / (t.medianMs / 1000)).toFixed(0)} tokens/s; GEMM roofline ${roofMs.toFixed(3)} ms -> ratio ${(roofMs / t.medianMs).toFixed(2)}`);
  }
  for (const b of [x, gy, y, hN, cN, x1, h1, c1, y1]) b.dispose();
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  for (const c of CASES) {
    for (const t of threads) {
      const o = oursSpec(t);
      pairings.push({ variant: c.id, caseId: c.id, threads: t, ours: { subject: o.id, mode: 'layer' }, peer: { subject: o.id, mode: 'roofline', label: `GEMM roofline ${subjectLabel(o)}` } });
    }
  }
  const out = pairRows(WORKLOAD, ms, pairings);
  // The time per call, for reading the table as throughput too.
  for (const r of out) {
    const m = ms.find((x) => x.caseId === r.variant && x.subject === oursSpec(r.threads).id && x.mode === 'layer');
    if (m) {
      const tokens = r.variant.endsWith('step b1') ? 1 : R;
      const note = r.variant.endsWith('step b1') ? `${(m.medianMs * 1000).toFixed(1)} us/step` : `${m.medianMs.toFixed(2)} ms, ${(tokens / (m.medianMs / 1000)).toFixed(0)} tok/s`;
      r.note = r.note ? `${r.note}; ${note}` : note;
    }
  }
  return { rows: out, notes: [] };
}

export const cellsWorkload: Workload = oursOnlyWorkload({
  name: WORKLOAD,
  title: `Recurrent layers vs their GEMM roofline: hidden ${H}, batch ${B}, ${T} steps, input ${I}; and batch-1 steps (GFLOP/s of the GEMM work)`,
  caseIds: () => CASES.map((c) => c.id),
  measureOurs,
  rows,
});
