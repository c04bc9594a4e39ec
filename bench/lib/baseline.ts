/**
 * Ours against a baseline checkout (`--baseline DIR`, usually the previous commit): every
 * ours measurement with a baseline counterpart becomes a row `ours vs base` (ratio > 1: ours
 * better). The machines are shared and noisy, so the two sides are measured alternately
 * (ours, base, base, ours, ...), one case per child, close together in time: load that
 * comes and goes affects both alike; a row is the round with the median ratio.
 */
import { oursSpec } from './subjects.js';
import type { Measurement, PrintedRow, SubjectSpec } from './types.js';

/** Ratios below this are flagged in the summary (issue 13: no row more than 5% slower). */
export const SLOWER_FLAG = 0.95;
/** A row whose highest and lowest per-round ratios differ by more than this factor is counted as unsteady in the summary. */
export const UNSTEADY = 1.1;

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
 * runs second; so the two figures of a row are taken seconds apart (ours' relaxed and Node 24
 * subjects have no base twin: they run alone). Without: each ours subject once per round over
 * all the cases. Then every other subject once.
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
        // Only ours on the bench's Node has a baseline twin (`baselineRows` compares `ours-<n>t`);
        // the relaxed / Node 24 subjects run alone, so no base child's figure is taken twice.
        const pair = o.base && s.node === undefined && s.simd === undefined ? [s, o.base(s.threads)] : [s];
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
 * Rows `ours NT vs base NT` for every case and mode ours measured that the baseline measured
 * too, from every round's measurements (`all`). Each round's ours and base children ran
 * seconds apart, so a round's ratio compares like with like; the row is the round whose ratio
 * is the median (the lower of the two middle ones for an even count: the one less flattering
 * to ours). Taking each side's median separately instead could pair a figure measured while
 * the other core was free with one measured while it was busy (a 2-thread step can be 3x
 * slower then). The note gives the range of the rounds' ratios.
 */
export function baselineRows(workload: string, all: Measurement[], threads: number[], name: string): PrintedRow[] {
  const ours = (t: number) => oursSpec(t).id;
  const base = (t: number) => `base-${t}t`;
  const mine = all.filter((m) => threads.some((t) => m.subject === ours(t)));
  const multiMode = new Set(mine.map((m) => m.mode)).size > 1;
  const cases = [...new Set(mine.map((m) => m.caseId))];
  const modes = [...new Set(mine.map((m) => m.mode))];
  const rounds = [...new Set(all.map((m) => m.round ?? 0))];
  const find = (caseId: string, subject: string, mode: string, round: number) =>
    all.find((m) => m.caseId === caseId && m.subject === subject && m.mode === mode && (m.round ?? 0) === round);
  const out: PrintedRow[] = [];
  for (const c of cases) {
    for (const mode of modes) {
      for (const t of threads) {
        const pairs = rounds
          .map((r) => ({ o: find(c, ours(t), mode, r), b: find(c, base(t), mode, r) }))
          .filter((p): p is { o: Measurement; b: Measurement | undefined } => p.o !== undefined)
          .map((p) => ({ ...p, ratio: p.b ? ratioOf(p.o, p.b) : null }));
        if (pairs.length === 0) continue;
        const full = pairs.filter((p): p is { o: Measurement; b: Measurement; ratio: number } => p.b !== undefined && p.ratio !== null).sort((x, y) => x.ratio - y.ratio);
        // No round with both sides (the base children failed): ours alone, ratio unknown.
        const chosen = full[Math.floor((full.length - 1) / 2)] ?? { ...pairs[0]!, ratio: null };
        const row: PrintedRow = {
          workload,
          variant: multiMode ? `${c} (${mode})` : c,
          threads: t,
          unit: chosen.o.unit,
          ours: chosen.o.value,
          peer: `${name} ${t}T`,
          peerValue: chosen.b ? chosen.b.value : null,
          ratio: chosen.ratio,
        };
        const notes: string[] = [];
        const n = Math.min(chosen.o.samples, chosen.b?.samples ?? Infinity);
        if (n < 10) notes.push(`n=${n}`);
        if (full.length > 1) {
          row.rounds = { min: full[0]!.ratio, max: full[full.length - 1]!.ratio };
          notes.push(`rounds ${row.rounds.min.toFixed(2)}..${row.rounds.max.toFixed(2)}`);
        }
        if (notes.length > 0) row.note = notes.join('; ');
        out.push(row);
      }
    }
  }
  return out;
}

/**
 * Per (workload, threads): geometric mean of the `ours vs base` ratios, the worst row, how many
 * are below {@link SLOWER_FLAG}, and how many had rounds further apart than {@link UNSTEADY}
 * (the load changed under them: measure those again).
 */
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
    const unsteady = rs.filter((r) => r.rounds && r.rounds.max / r.rounds.min > UNSTEADY).length;
    return (
      `  ${k}: geomean ${geo.toFixed(3)}x over ${rs.length}, worst ${worst.ratio!.toFixed(3)}x (${worst.variant}), ${slow} below ${SLOWER_FLAG}` +
      (unsteady > 0 ? `; ${unsteady} with rounds more than ${Math.round((UNSTEADY - 1) * 100)}% apart` : '')
    );
  });
}
