/**
 * Ours against a baseline checkout (`--baseline DIR`, usually the previous commit): the
 * rounds of interleaved children are reduced to medians, and every ours measurement with a
 * baseline counterpart becomes a row `ours vs base` (ratio > 1: ours better). The machines
 * are shared and noisy, so the two sides are measured alternately (ours, base, base, ours,
 * ...) and close together in time: load that comes and goes affects both alike.
 */
import { oursSpec } from './subjects.js';
import type { Measurement, PrintedRow, SubjectSpec } from './types.js';

/** Ratios below this are flagged in the summary (issue 13: no row more than 5% slower). */
export const SLOWER_FLAG = 0.95;

const key = (m: Measurement): string => `${m.caseId}\u0000${m.subject}\u0000${m.mode}`;

/** One child process to run: a subject, its round, and the cases it measures. */
export interface Job {
  spec: SubjectSpec;
  round: number;
  /** Case filters as given (substrings), or one whole case id when `caseExact`. */
  caseFilter: string[];
  caseExact: boolean;
}

/**
 * The children of one workload in run order. With a baseline: for each selected case, for
 * each round, for each ours subject, the pair (ours, base), one child each for that case
 * alone, ours first in even rounds and base first in odd ones so that neither side always
 * runs second; so the two figures of a row are taken seconds apart. Without: each ours
 * subject once per round over all the cases. Then every other subject once.
 */
export function schedule(
  specs: SubjectSpec[],
  o: { rounds: number; cases: string[]; caseFilter: string[]; base: ((threads: number) => SubjectSpec) | undefined },
): Job[] {
  const ours = specs.filter((s) => s.kind === 'ours');
  const others = specs.filter((s) => s.kind !== 'ours');
  const out: Job[] = [];
  const all = { caseFilter: o.caseFilter, caseExact: false };
  const slices = o.base ? o.cases.map((c) => ({ caseFilter: [c], caseExact: true })) : [all];
  for (const slice of slices) {
    for (let round = 0; round < o.rounds; round++) {
      for (const s of ours) {
        const pair = o.base ? [s, o.base(s.threads)] : [s];
        if (round % 2 === 1) pair.reverse();
        for (const spec of pair) out.push({ spec, round, ...slice });
      }
    }
  }
  for (const spec of others) out.push({ spec, round: 0, ...all });
  return out;
}

/**
 * One measurement per (case, subject, mode): the median of the rounds' values (the mean of
 * the two middle ones for an even count); the other fields are those of the middle round.
 */
export function mergeRounds(ms: Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) groups.set(key(m), [...(groups.get(key(m)) ?? []), m]);
  return [...groups.values()].map((g) => {
    if (g.length === 1) return g[0]!;
    const sorted = [...g].sort((a, b) => a.value - b.value);
    const mid = Math.floor((sorted.length - 1) / 2);
    const value = sorted.length % 2 === 1 ? sorted[mid]!.value : (sorted[mid]!.value + sorted[mid + 1]!.value) / 2;
    const { round: _round, ...rest } = sorted[mid]!;
    return { ...rest, value };
  });
}

const ratioOf = (o: Measurement, b: Measurement): number | null =>
  o.value > 0 && b.value > 0 ? (o.better === 'higher' ? o.value / b.value : b.value / o.value) : null;

/**
 * Rows `ours NT vs base NT` for every case and mode ours measured in `merged` (medians) that
 * the baseline measured too. `all` holds every round's measurements, for the note: the range
 * of the per-round ratios (each round's ours and base children ran next to each other).
 */
export function baselineRows(workload: string, merged: Measurement[], all: Measurement[], threads: number[], name: string): PrintedRow[] {
  const ours = (t: number) => oursSpec(t).id;
  const base = (t: number) => `base-${t}t`;
  const mine = merged.filter((m) => threads.some((t) => m.subject === ours(t)));
  const multiMode = new Set(mine.map((m) => m.mode)).size > 1;
  const cases = [...new Set(mine.map((m) => m.caseId))];
  const modes = [...new Set(mine.map((m) => m.mode))];
  const find = (ms: Measurement[], caseId: string, subject: string, mode: string, round?: number) =>
    ms.find((m) => m.caseId === caseId && m.subject === subject && m.mode === mode && (round === undefined || m.round === round));
  const out: PrintedRow[] = [];
  for (const c of cases) {
    for (const mode of modes) {
      for (const t of threads) {
        const o = find(merged, c, ours(t), mode);
        if (!o) continue;
        const b = find(merged, c, base(t), mode);
        const row: PrintedRow = {
          workload,
          variant: multiMode ? `${c} (${mode})` : c,
          threads: t,
          unit: o.unit,
          ours: o.value,
          peer: `${name} ${t}T`,
          peerValue: b ? b.value : null,
          ratio: b ? ratioOf(o, b) : null,
        };
        const notes: string[] = [];
        const n = Math.min(o.samples, b?.samples ?? Infinity);
        if (n < 10) notes.push(`n=${n}`);
        const perRound = [...new Set(all.map((m) => m.round ?? 0))]
          .map((r) => {
            const or = find(all, c, ours(t), mode, r);
            const br = find(all, c, base(t), mode, r);
            return or && br ? ratioOf(or, br) : null;
          })
          .filter((r): r is number => r !== null);
        if (perRound.length > 1) notes.push(`rounds ${Math.min(...perRound).toFixed(2)}..${Math.max(...perRound).toFixed(2)}`);
        if (notes.length > 0) row.note = notes.join('; ');
        out.push(row);
      }
    }
  }
  return out;
}

/** Per (workload, threads): geometric mean of the `ours vs base` ratios, the worst row, and how many are below {@link SLOWER_FLAG}. */
export function baselineSummary(rows: PrintedRow[], name: string): string[] {
  const groups = new Map<string, PrintedRow[]>();
  for (const r of rows) {
    if (!r.peer.startsWith(`${name} `) || r.ratio === null || !(r.ratio > 0)) continue;
    const k = `${r.workload}: ours ${r.threads}T vs ${r.peer}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups].map(([k, rs]) => {
    const ratios = rs.map((r) => r.ratio!);
    const geo = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
    const worst = rs.reduce((a, b) => (b.ratio! < a.ratio! ? b : a));
    const slow = ratios.filter((x) => x < SLOWER_FLAG).length;
    return `  ${k}: geomean ${geo.toFixed(3)}x over ${rs.length}, worst ${worst.ratio!.toFixed(3)}x (${worst.variant}), ${slow} below ${SLOWER_FLAG}`;
  });
}
