/**
 * Issue 15's bench: training throughput (target tokens/s) of an attention encoder-decoder
 * (`Seq2Seq` with `attention`): GRU encoder and decoder, hidden 128, embeddings 32, batch 32,
 * sources and targets of 30 tokens (vocabularies 40 / 42), one timed step = `trainStep` (the
 * encoder, the fused attention decoder over every target step and its BPTT into the encoder,
 * the loss, an SGD update). Additive and dot-product attention, each against the same
 * encoder-decoder without attention in the same process (what attention costs).
 */
import { rng } from '../lib/data.js';
import { pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure } from '../lib/stats.js';
import { oursOnlyWorkload } from '../lib/ours-only.js';
import { oursSpec, subjectLabel } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';

const WORKLOAD = 'attention';
const UNIT = 'tokens/s';
const SHAPE = { hidden: 128, embed: 32, batch: 32, srcLen: 30, tgtLen: 30, srcVocab: 40, tgtVocab: 42 } as const;
const CASES = [{ id: 'gru H128 B32 S30 T30' }];
const MODES = ['additive', 'dot', 'none'] as const;

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { Seq2Seq, gru, sgd } = h.lib;
  const s = SHAPE;
  const r = rng(15);
  const pairs = Array.from({ length: s.batch }, () => ({
    source: Array.from({ length: s.srcLen }, () => Math.floor(r() * s.srcVocab)),
    target: Array.from({ length: s.tgtLen - 1 }, () => Math.floor(r() * (s.tgtVocab - 2))),
  }));
  const tokens = s.batch * s.tgtLen;
  const out: Measurement[] = [];
  for (const c of pick(CASES, ctx)) {
    for (const mode of MODES) {
      const model = new Seq2Seq({
        sourceVocabSize: s.srcVocab,
        targetVocabSize: s.tgtVocab,
        bos: s.tgtVocab - 2,
        eos: s.tgtVocab - 1,
        cell: gru({ units: s.hidden }),
        embeddingDim: s.embed,
        seed: 1,
        ...(mode !== 'none' && { attention: mode }),
      });
      const optimizer = model.optimizer(sgd({ lr: 0.01 }));
      const t = measure(() => void model.trainStep(pairs, { optimizer }), ctx.timing);
      out.push(record({ workload: WORKLOAD, caseId: c.id, spec, unit: UNIT, better: 'higher', value: (ms: number) => tokens / (ms / 1000), mode }, t, ctx));
      ctx.log(`    ${c.id} ${mode}: ${t.medianMs.toFixed(2)} ms/step = ${(tokens / (t.medianMs / 1000)).toFixed(0)} tokens/s`);
      optimizer.dispose();
      model.dispose();
    }
  }
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  for (const c of CASES) {
    for (const t of threads) {
      const o = oursSpec(t);
      for (const mode of ['additive', 'dot'] as const) {
        pairings.push({ variant: `${c.id} ${mode} attention vs none`, caseId: c.id, threads: t, ours: { subject: o.id, mode }, peer: { subject: o.id, mode: 'none', label: `${subjectLabel(o)} without attention` } });
      }
    }
  }
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: [] };
}

export const attentionWorkload: Workload = oursOnlyWorkload({
  name: WORKLOAD,
  title: `Attention encoder-decoder training, GRU hidden ${SHAPE.hidden}, batch ${SHAPE.batch}, ${SHAPE.srcLen} -> ${SHAPE.tgtLen} tokens: additive and dot attention vs none (target tokens/s)`,
  caseIds: () => CASES.map((c) => c.id),
  measureOurs,
  rows,
});
