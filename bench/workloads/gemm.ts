/**
 * GEMM roofline: GFLOP/s of C[m x n] = op(A) B for square sizes and the shapes a recurrent
 * layer (hidden 256, 4 gates, batch 32, 35 steps, 28 inputs) actually runs.
 *
 * Modes (what is inside the timed region):
 * - ours `resident`: one `gemm()` call on Float32Buffers already in wasm memory.
 * - ours `copy`: write A and B from JS Float32Arrays, `gemm()`, read C back to a new array.
 * - tfjs `resident`: `tf.matMul(a, b)` on tensors already in the backend, plus `dataSync()`
 *   (which copies C out of the wasm heap), plus disposing C. B keeps its tensor id, so
 *   XNNPACK's packed-weights cache (keyed on B) stays hot for the non-transposed shapes.
 * - tfjs `upload`: create A and B tensors from the same Float32Arrays, matMul, dataSync,
 *   dispose all: the counterpart of ours `copy` (and XNNPACK repacks B every call).
 */
import { digest, digestsAgree, uniform } from '../lib/data.js';
import { pick } from '../lib/rows.js';
import { measure } from '../lib/stats.js';
import { oursSpec, subjectLabel, tfjsWasmSpec } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectHandle, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import type { TfjsWasmHandle } from '../peers/tfjs-wasm.js';
import type { OrtHandle } from '../peers/ort.js';
import { matmulModel } from '../onnx/models.js';
import { measureAsync } from '../lib/stats.js';
import { peerSpec } from '../lib/subjects.js';
import { inferenceSpecs, label, moreNotes, moreRows, node24Path, onNode24, RELAXED_TAG, relaxedSpec } from '../lib/more-subjects.js';
import { measureTorch } from '../peers/torch.js';
import { pairRows } from '../lib/rows.js';

interface GemmCase {
  id: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  what: string;
}

function gemmCase(m: number, n: number, k: number, what: string, transA = false): GemmCase {
  return { id: `${m}x${n}x${k}${transA ? ' A^T' : ''}`, m, n, k, transA, what };
}

const CASES: GemmCase[] = [
  gemmCase(128, 128, 128, 'square'),
  gemmCase(256, 256, 256, 'square'),
  gemmCase(512, 512, 512, 'square'),
  gemmCase(1024, 1024, 1024, 'square'),
  gemmCase(32, 1024, 256, 'recurrent step, batch 32: gates[32x4H] = h[32xH] W (H=256)'),
  gemmCase(1, 1024, 256, 'recurrent step, batch 1'),
  gemmCase(1120, 1024, 28, 'input projection: 35 steps x batch 32 rows, 28 inputs'),
  gemmCase(1024, 256, 1120, 'weight gradient dW = dG^T H over 1120 rows (A transposed)', true),
  gemmCase(32, 256, 1024, 'state gradient dH = dG W'),
];

const WORKLOAD = 'gemm';
const UNIT = 'GFLOP/s';

const gflops = (c: GemmCase, ms: number): number => (2 * c.m * c.n * c.k) / (ms * 1e6);

const selected = (ctx: MeasureContext): GemmCase[] => pick(CASES, ctx);

function inputs(c: GemmCase, index: number): { a: Float32Array; b: Float32Array; aShape: [number, number] } {
  return {
    a: uniform(c.m * c.k, 1000 + index),
    b: uniform(c.k * c.n, 2000 + index),
    aShape: c.transA ? [c.k, c.m] : [c.m, c.k],
  };
}

function record(
  c: GemmCase,
  spec: SubjectSpec,
  mode: string,
  timing: ReturnType<typeof measure>,
  check: number[],
  ctx: MeasureContext,
): Measurement {
  const value = gflops(c, timing.medianMs);
  ctx.log(
    `  ${WORKLOAD} ${spec.id.padEnd(10)} ${mode.padEnd(8)} ${c.id.padEnd(18)} ${value.toFixed(2).padStart(8)} ${UNIT}` +
      `  (median ${timing.medianMs.toFixed(3)} ms, ${timing.samples} samples x ${timing.reps})`,
  );
  return {
    workload: WORKLOAD,
    caseId: c.id,
    subject: spec.id,
    mode,
    unit: UNIT,
    better: 'higher',
    value,
    medianMs: timing.medianMs,
    minMs: timing.minMs,
    calls: timing.calls,
    samples: timing.samples,
    spread: timing.spread,
    check,
  };
}

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { Float32Buffer, gemm } = h.lib;
  const out: Measurement[] = [];
  for (const c of selected(ctx)) {
    const data = inputs(c, CASES.indexOf(c));
    const a = Float32Buffer.from(data.a);
    const b = Float32Buffer.from(data.b);
    const cb = new Float32Buffer(c.m * c.n);
    const opts = { transA: c.transA };
    try {
      const t = measure(() => gemm(c.m, c.n, c.k, a, b, cb, opts), ctx.timing);
      out.push(record(c, spec, 'resident', t, digest(cb.view()), ctx));
      if (h.threads === 1) {
        let result: ArrayLike<number> = [];
        const tc = measure(() => {
          a.write(data.a);
          b.write(data.b);
          gemm(c.m, c.n, c.k, a, b, cb, opts);
          result = cb.read();
        }, ctx.timing);
        out.push(record(c, spec, 'copy', tc, digest(result), ctx));
      }
    } finally {
      a.dispose();
      b.dispose();
      cb.dispose();
    }
  }
  return out;
}

function measureTfjs(h: TfjsWasmHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { tf } = h;
  const out: Measurement[] = [];
  for (const c of selected(ctx)) {
    const data = inputs(c, CASES.indexOf(c));
    const bShape: [number, number] = [c.k, c.n];
    const a = tf.tensor2d(data.a, data.aShape);
    const b = tf.tensor2d(data.b, bShape);
    let result: ArrayLike<number> = [];
    try {
      const t = measure(() => {
        const y = tf.matMul(a, b, c.transA, false);
        result = y.dataSync();
        y.dispose();
      }, ctx.timing);
      out.push(record(c, spec, 'resident', t, digest(result), ctx));
      const before = tf.memory().numTensors;
      const tu = measure(() => {
        const ta = tf.tensor2d(data.a, data.aShape);
        const tb = tf.tensor2d(data.b, bShape);
        const y = tf.matMul(ta, tb, c.transA, false);
        result = y.dataSync();
        y.dispose();
        ta.dispose();
        tb.dispose();
      }, ctx.timing);
      if (tf.memory().numTensors !== before) ctx.log(`  warning: tfjs leaked tensors in ${c.id}`);
      out.push(record(c, spec, 'upload', tu, digest(result), ctx));
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  return out;
}

/**
 * onnxruntime: a `MatMul` graph whose B is a constant initializer (so, like tfjs's cached
 * packed weights, it may be pre-packed at session creation), fed A from a JS array per run;
 * C comes back as a JS array. The transposed-A shape is left out (it would need a Transpose
 * node in the graph).
 */
async function measureOrt(h: OrtHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const c of selected(ctx).filter((c) => !c.transA)) {
    if (h.kind === 'ort-node' && !ORT_NODE_CASES.includes(c.id)) continue;
    const data = inputs(c, CASES.indexOf(c));
    const session = await h.session(matmulModel(c.m, c.n, c.k, data.b));
    let result: ArrayLike<number> = [];
    const t = await measureAsync(async () => {
      const r = await session.run({ a: new h.api.Tensor('float32', data.a, [c.m, c.k]) });
      result = r['c']!.data as Float32Array;
    }, ctx.timing);
    out.push(record(c, spec, 'resident', t, digest(result), ctx));
  }
  return out;
}

/** onnxruntime-node (native, AVX-512 FMA here) is shown for the square 1024 and the recurrent step only. */
const ORT_NODE_CASES = ['1024x1024x1024', '32x1024x256', '1x1024x256'];

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const find = (caseId: string, subject: string, mode: string): Measurement | undefined =>
    ms.find((x) => x.caseId === caseId && x.subject === subject && x.mode === mode);
  const value = (x: Measurement | undefined): number | null => (x ? x.value : null);
  const ratio = (o: Measurement | undefined, p: Measurement | undefined): number | null =>
    o && p && p.value > 0 ? o.value / p.value : null;
  const few = (...xs: (Measurement | undefined)[]): string | undefined => {
    const n = Math.min(...xs.filter((x): x is Measurement => x !== undefined).map((x) => x.samples));
    return Number.isFinite(n) && n < 10 ? `n=${n}` : undefined;
  };
  const withNote = (row: PrintedRow, note: string | undefined): PrintedRow => (note ? { ...row, note } : row);

  const tfjs = tfjsWasmSpec();
  const base = oursSpec(1);
  const tfLabel = subjectLabel(tfjs);
  const out: PrintedRow[] = [];
  const notes: string[] = [];
  for (const c of CASES) {
    if (!ms.some((x) => x.caseId === c.id)) continue;
    const o1 = find(c.id, base.id, 'resident');
    const tr = find(c.id, tfjs.id, 'resident');
    const common = { workload: WORKLOAD, unit: UNIT };
    out.push(
      withNote(
        { ...common, variant: c.id, threads: 1, ours: value(o1), peer: `${tfLabel} matMul+dataSync`, peerValue: value(tr), ratio: ratio(o1, tr) },
        few(o1, tr),
      ),
    );
    for (const t of threads.filter((t) => t > 1)) {
      const on = find(c.id, oursSpec(t).id, 'resident');
      out.push(
        withNote(
          { ...common, variant: c.id, threads: t, ours: value(on), peer: subjectLabel(base), peerValue: value(o1), ratio: ratio(on, o1) },
          few(on, o1),
        ),
      );
    }
    for (const t of threads) {
      const on = find(c.id, oursSpec(t).id, 'resident');
      for (const p of [peerSpec('ort-web', t), peerSpec('ort-node', t)]) {
        const pm = find(c.id, p.id, 'resident');
        if (!pm) continue;
        out.push(withNote({ ...common, variant: c.id, threads: t, ours: value(on), peer: `${subjectLabel(p)} MatMul (run)`, peerValue: value(pm), ratio: ratio(on, pm) }, few(on, pm)));
      }
    }
    const oc = find(c.id, base.id, 'copy');
    const tu = find(c.id, tfjs.id, 'upload');
    out.push(
      withNote(
        { ...common, variant: `${c.id} +copy`, threads: 1, ours: value(oc), peer: `${tfLabel} upload+matMul+dataSync`, peerValue: value(tu), ratio: ratio(oc, tu) },
        few(oc, tu),
      ),
    );

    // Same inputs everywhere: every engine's C must match tfjs's (or ours 1T's) digest.
    const ref = tr?.check ?? o1?.check;
    if (ref) {
      for (const x of ms.filter((x) => x.caseId === c.id && x.check)) {
        if (x.check && !digestsAgree(x.check, ref)) {
          notes.push(`gemm ${c.id}: ${x.subject}/${x.mode} result differs from the reference (digest ${x.check.join(', ')} vs ${ref.join(', ')})`);
        }
      }
    }
  }
  // The relaxed build (Node 24) against the peers of the rows above, tfjs-wasm and ort-web on
  // Node 24 too: resident (ort-web without the A^T shape, as above) and, at 1 thread, +copy.
  const wasmPeers = (c: GemmCase) => (t: number) => [...(t === 1 ? [tfjs] : []), ...(c.transA ? [] : [peerSpec('ort-web', t)])];
  const what = (p: SubjectSpec): string => (p.kind === 'tfjs-wasm' ? 'matMul+dataSync' : 'MatMul (run)');
  const more = CASES.filter((c) => ms.some((x) => x.caseId === c.id)).flatMap((c) => [
    ...(node24Path() === null
      ? []
      : [{ variant: `${c.id} +copy ${RELAXED_TAG}`, caseId: c.id, threads: 1, ours: { subject: relaxedSpec(1).id, mode: 'copy' }, peer: { subject: onNode24(tfjs).id, mode: 'upload', label: `${label(onNode24(tfjs))} upload+matMul+dataSync` } }]),
    ...moreRows(c.id, 'resident', threads, wasmPeers(c), what),
  ]);
  out.push(...pairRows(WORKLOAD, ms, more));
  return { rows: out, notes: [...notes, ...moreNotes(WORKLOAD, ms)] };
}

export const gemmWorkload: Workload = {
  name: WORKLOAD,
  title: 'GEMM GFLOP/s (C = op(A) B, row-major f32)',
  caseIds: () => CASES.map((c) => `${c.id}  (${c.what})`),
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
        const cases = selected(ctx).map((c) => ({ id: c.id, m: c.m, n: c.n, k: c.k, trans_a: c.transA }));
        return measureTorch(WORKLOAD, cases, subject, spec, ctx, { mode: 'resident', unit: UNIT, better: 'higher', value: (c, ms) => (2 * Number(c['m']) * Number(c['n']) * Number(c['k'])) / (ms * 1e6) });
      }
      default:
        throw new Error(`gemm: no runner for ${subject.kind}`);
    }
  },
  rows,
};
