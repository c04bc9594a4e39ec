/**
 * Issue 18's contention row: W1 (LSTM training step) and W3 (the bidirectional encoder) with
 * one other core-bound process running, 1 vs 2 threads. A browser tab or a Node server always
 * shares its cores: 2 threads must never be slower than 1 there.
 *
 * Each child (ours at 1 thread, ours at 2) measures every case twice on the same engine,
 * back to back: `quiet` (nothing of the bench besides it) and `busy` (while a child Node
 * process spins `for (;;) {}` on one core, started 300 ms before and killed after). The W1 and
 * W3 code is their workloads' own (`train.ts`, `encode.ts`); the rows are 2T over 1T per mode.
 * On a machine shared with other work "quiet" is only as quiet as the machine: the summary's
 * load averages say how busy it was.
 */
import { spawn } from 'node:child_process';

import { pairRows, type Pairing } from '../lib/rows.js';
import { oursSpec } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectHandle, SubjectSpec, Workload } from '../lib/types.js';
import { encodeWorkload } from './encode.js';
import { trainWorkload } from './train.js';

const WORKLOAD = 'contention';
const CASES = [
  { id: 'w1 lstm', from: trainWorkload, caseId: 'lstm' },
  { id: 'w3 bilstm 2x256', from: encodeWorkload, caseId: 'bilstm 2x256' },
] as const;
const MODES = ['quiet', 'busy'] as const;

/** Runs `fn` while one other process keeps a core busy. */
async function whileBusy<T>(fn: () => Promise<T>): Promise<T> {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  try {
    return await fn();
  } finally {
    hog.kill('SIGKILL');
  }
}

async function measure(subject: SubjectHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]> {
  if (subject.kind !== 'ours') throw new Error(`${WORKLOAD}: no runner for ${subject.kind}`);
  const out: Measurement[] = [];
  for (const c of CASES) {
    if (ctx.caseFilter.length > 0 && !ctx.caseFilter.some((f) => (ctx.caseExact ? c.id === f : c.id.includes(f)))) continue;
    for (const mode of MODES) {
      ctx.log(`  ${WORKLOAD} ${spec.id} ${c.id}: ${mode === 'busy' ? 'with one core-bound process running' : 'without another process of the bench'}`);
      const inner = { ...ctx, caseFilter: [c.caseId], caseExact: true };
      const run = () => c.from.measure(subject, spec, inner);
      const ms = mode === 'busy' ? await whileBusy(run) : await run();
      out.push(...ms.map((m) => ({ ...m, workload: WORKLOAD, caseId: c.id, mode, check: undefined })).map(({ check: _c, ...m }) => m));
    }
  }
  return out;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  const one = oursSpec(1);
  for (const c of CASES) {
    for (const t of threads.filter((t) => t > 1)) {
      for (const mode of MODES) {
        const label = `recurrent 1T (${mode === 'busy' ? 'busy: 1 core-bound process' : 'quiet'})`;
        pairings.push({ variant: `${c.id} ${mode}`, caseId: c.id, threads: t, ours: { subject: oursSpec(t).id, mode }, peer: { subject: one.id, mode, label } });
      }
    }
  }
  return { rows: pairRows(WORKLOAD, ms, pairings), notes: [] };
}

export const contentionWorkload: Workload = {
  name: WORKLOAD,
  title: 'Contention: W1 LSTM step and W3 encoder, 2 threads over 1, with and without one other core-bound process (tokens/s)',
  caseIds: () => CASES.map((c) => c.id),
  subjects: (threads) => threads.map(oursSpec),
  measure,
  rows,
};
