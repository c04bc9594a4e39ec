/** Building report rows from measurements: one row per (variant, ours, peer) pairing. */
import { digestsAgree } from './data.js';
import type { Timing } from './stats.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectSpec } from './types.js';

/** Which measurements a row compares, and how it is labelled. */
export interface Pairing {
  variant: string;
  caseId: string;
  threads: number;
  ours: { subject: string; mode: string };
  peer: { subject: string; mode: string; label: string };
}

/** Rows for `pairings` that have at least one side measured; `ratio > 1`: ours better. */
export function pairRows(workload: string, ms: Measurement[], pairings: Pairing[]): PrintedRow[] {
  const find = (caseId: string, subject: string, mode: string): Measurement | undefined =>
    ms.find((x) => x.caseId === caseId && x.subject === subject && x.mode === mode);
  const out: PrintedRow[] = [];
  for (const p of pairings) {
    const o = find(p.caseId, p.ours.subject, p.ours.mode);
    const q = find(p.caseId, p.peer.subject, p.peer.mode);
    if (!o && !q) continue;
    const unit = o?.unit ?? q?.unit ?? '';
    const better = o?.better ?? q?.better ?? 'higher';
    let ratio: number | null = null;
    if (o && q && o.value > 0 && q.value > 0) ratio = better === 'higher' ? o.value / q.value : q.value / o.value;
    const n = Math.min(...[o, q].filter((x): x is Measurement => x !== undefined).map((x) => x.samples));
    const row: PrintedRow = {
      workload,
      variant: p.variant,
      threads: p.threads,
      unit,
      ours: o ? o.value : null,
      peer: p.peer.label,
      peerValue: q ? q.value : null,
      ratio,
    };
    const note = [Number.isFinite(n) && n < 10 ? `n=${n}` : undefined, o?.note, q?.note].filter((x) => x).join('; ');
    if (note) row.note = note;
    out.push(row);
  }
  return out;
}

/** Notes for every measurement whose digest differs from the reference subject's for the same case. */
export function digestNotes(workload: string, ms: Measurement[], tol: number, refOrder: string[]): string[] {
  const notes: string[] = [];
  const cases = [...new Set(ms.map((m) => m.caseId))];
  for (const c of cases) {
    const withCheck = ms.filter((m) => m.caseId === c && m.check);
    const ref = refOrder.map((s) => withCheck.find((m) => m.subject === s)).find((m) => m !== undefined) ?? withCheck[0];
    if (!ref?.check) continue;
    for (const m of withCheck) {
      if (m.check && !digestsAgree(m.check, ref.check, tol)) {
        notes.push(`${workload} ${c}: ${m.subject}/${m.mode} result differs from ${ref.subject}'s (digest ${m.check.map((x) => x.toPrecision(6)).join(', ')} vs ${ref.check.map((x) => x.toPrecision(6)).join(', ')})`);
      }
    }
  }
  return notes;
}

/** A measurement record from a timing; `value` converts the median (ms) to the unit. */
export function record(
  o: {
    workload: string;
    caseId: string;
    spec: SubjectSpec;
    mode: string;
    unit: string;
    better: 'higher' | 'lower';
    value: (medianMs: number) => number;
    check?: number[] | undefined;
  },
  t: Timing,
  ctx: MeasureContext,
): Measurement {
  const value = o.value(t.medianMs);
  ctx.log(
    `  ${o.workload} ${o.spec.id.padEnd(11)} ${o.mode.padEnd(10)} ${o.caseId.padEnd(16)} ${fmtValue(value).padStart(10)} ${o.unit}` +
      `  (median ${t.medianMs.toFixed(3)} ms, ${t.samples} samples x ${t.reps})`,
  );
  const m: Measurement = {
    workload: o.workload,
    caseId: o.caseId,
    subject: o.spec.id,
    mode: o.mode,
    unit: o.unit,
    better: o.better,
    value,
    medianMs: t.medianMs,
    minMs: t.minMs,
    calls: t.calls,
    samples: t.samples,
    spread: t.spread,
  };
  if (o.check) m.check = o.check;
  return m;
}

function fmtValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** Keeps the cases whose id contains one of the filters, or is one with `caseExact` (all when there are none). */
export function pick<T extends { id: string }>(cases: readonly T[], ctx: Pick<MeasureContext, 'caseFilter' | 'caseExact'>): T[] {
  if (ctx.caseFilter.length === 0) return [...cases];
  return cases.filter((c) => ctx.caseFilter.some((f) => (ctx.caseExact ? c.id === f : c.id.includes(f))));
}
