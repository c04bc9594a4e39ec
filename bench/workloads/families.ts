/**
 * Issue 15's recurrent families at W1's sizes: training throughput (tokens/s) of the leaky RNN
 * (`rnn({ leak: 0.9 })`, fixed rates; `rnn({ leak: 'learn' })`) and the skip RNN
 * (`rnn({ skip: 5 })`, one more recurrent GEMM per step each way) against the plain tanh RNN,
 * in the same process. The model and step are W1's (`train.ts`): one-hot 28, one recurrent
 * layer of 256, dense 28, softmax cross-entropy, batch 32 x 35, SGD lr 1 with global-norm
 * clipping at 1; one timed step is `model.trainStep` (forward, loss, BPTT, clipping, update).
 * `ratio` is the variant's tokens/s over the plain RNN's: what the extra arithmetic costs.
 */
import { rng } from '../lib/data.js';
import { pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure, perCall } from '../lib/stats.js';
import { oursOnlyWorkload } from '../lib/ours-only.js';
import { oursSpec, subjectLabel } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import { W1 } from './shapes.js';

const WORKLOAD = 'families-train';
const UNIT = 'tokens/s';
const TOKENS = W1.batch * W1.seqLen;
const STEPS = 20;
const BUDGET_MS = 60_000;
const CASE = 'rnn h256';
/** The variants, each an `rnn` option set; `plain` is what the others are compared with. */
const VARIANTS = [
  { mode: 'plain', options: {} },
  { mode: 'leak 0.9', options: { leak: 0.9 } },
  { mode: "leak 'learn'", options: { leak: 'learn' as const } },
  { mode: 'skip 5', options: { skip: 5 } },
] as const;
const CASES = [{ id: CASE }];

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { sequential, oneHot, rnn, dense, Optimizer, sgd } = h.lib;
  const out: Measurement[] = [];
  if (pick(CASES, ctx).length === 0) return out;
  const next = rng(4242);
  const n = W1.seqLen * W1.batch;
  const stream = Array.from({ length: n + W1.batch }, () => Math.floor(next() * W1.vocab));
  const batch = { x: Uint32Array.from(stream.slice(0, n)), y: Uint32Array.from(stream.slice(W1.batch, n + W1.batch)), seqLen: W1.seqLen, batchSize: W1.batch };
  for (const v of VARIANTS) {
    const model = sequential([oneHot({ vocabSize: W1.vocab }), rnn({ units: W1.hidden, ...v.options }), dense({ units: W1.vocab })], { seed: 1 });
    const optimizer = new Optimizer(sgd({ lr: W1.lr }), model.groups(), model.engine);
    const opts = { loss: 'crossEntropy' as const, optimizer, clipNorm: W1.clipNorm };
    let loss = 0;
    const t = measure(() => {
      loss = model.trainStep(batch, opts).loss;
    }, perCall(ctx.timing, ctx.quick ? 3 : STEPS, ctx.quick ? 5_000 : BUDGET_MS));
    if (!Number.isFinite(loss)) ctx.log(`  warning: ours ${v.mode} loss is ${loss}`);
    out.push(record({ workload: WORKLOAD, caseId: CASE, spec, mode: v.mode, unit: UNIT, better: 'higher', value: (ms) => TOKENS / (ms / 1000) }, t, ctx));
    model.dispose();
  }
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  for (const t of threads) {
    const o = oursSpec(t);
    for (const v of VARIANTS.slice(1)) {
      pairings.push({
        variant: `${CASE} ${v.mode} vs plain`,
        caseId: CASE,
        threads: t,
        ours: { subject: o.id, mode: v.mode },
        peer: { subject: o.id, mode: 'plain', label: `${subjectLabel(o)} plain tanh RNN` },
      });
    }
  }
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: [] };
}

export const familiesWorkload: Workload = oursOnlyWorkload({
  name: WORKLOAD,
  title: `Leaky and skip RNN training at W1's sizes (hidden ${W1.hidden}, batch ${W1.batch} x ${W1.seqLen}) against the plain tanh RNN (tokens/s)`,
  caseIds: () => CASES.map((c) => c.id),
  measureOurs,
  rows,
});
