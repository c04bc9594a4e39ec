/**
 * Bench runner: for each selected workload, runs every engine configuration (ours at each
 * thread count, each peer) in its own child process, one after another, then prints one
 * table of ratios and writes `results/latest.json`. With `--baseline DIR`, ours' children
 * alternate with the same code on DIR's package (`lib/baseline.ts`). See README.md.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

import { caseId, parse, selection, USAGE } from './lib/args.js';
import { baselineRows, baselineSummary, mergeRounds, schedule } from './lib/baseline.js';
import { checkBuilt, commitOf } from './lib/baseline-dir.js';
import { pick } from './lib/rows.js';
import { baseSpec } from './lib/subjects.js';
import { importBaseline } from './ours/recurrent.js';
import type { ChildJob, ChildMessage } from './lib/ipc.js';
import { formatTable, toRow, writeJson } from './lib/report.js';
import type { Measurement, PrintedRow, SubjectInfo } from './lib/types.js';
import { WORKLOADS } from './workloads/index.js';

const CHILD = fileURLToPath(new URL('./lib/child.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 10 * 60_000;

interface ChildOutcome {
  info?: SubjectInfo;
  measurements: Measurement[];
  error?: string;
}

/** Runs one subject of one workload in a child process (same Node flags, so tsx too). */
function runChild(job: ChildJob): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    // A subject may run on another Node (the relaxed build on Node 24), with the same flags (tsx).
    const child = fork(CHILD, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(job.subject.node ? { execPath: job.subject.node } : {}) });
    let outcome: ChildOutcome | undefined;
    const timer = setTimeout(() => {
      outcome ??= { measurements: [], error: `timed out after ${CHILD_TIMEOUT_MS / 1000} s` };
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('message', (m: ChildMessage) => {
      outcome = m.type === 'result' ? { info: m.info, measurements: m.measurements } : { measurements: [], error: m.message };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(outcome ?? { measurements: [], error: `child exited with ${signal ?? `code ${String(code)}`} and no result` });
    });
  });
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/** One line per (workload, threads, peer): the geometric mean of the ratios. */
function summary(rows: PrintedRow[]): string[] {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    if (r.ratio === null || !(r.ratio > 0)) continue;
    const key = `${r.workload}: ours ${r.threads}T${r.variant.includes(' +copy') ? ' +copy' : ''}${r.variant.includes('[relaxed') ? ' relaxed (Node 24)' : ''} vs ${r.peer}`;
    groups.set(key, [...(groups.get(key) ?? []), r.ratio]);
  }
  return [...groups].map(([k, v]) => `  ${k}: geomean ${geomean(v).toFixed(2)}x over ${v.length}`);
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.list) {
    for (const w of WORKLOADS) {
      console.log(`${w.name}: ${w.title}`);
      for (const c of w.caseIds()) console.log(`  ${c}`);
    }
    return;
  }
  const selected = WORKLOADS.map((w) => ({ w, sel: selection(w.name, args.filters) })).filter((x) => x.sel.run);
  if (selected.length === 0) throw new Error(`no workload matches ${args.filters.join(', ')}; try --list`);

  const started = Date.now();
  const notes: string[] = [];
  const root = fileURLToPath(new URL('..', import.meta.url));
  const commits: Record<string, string | null> = { ours: commitOf(root) };
  // The baseline is checked before anything runs: a missing build or a different API fails
  // here, naming what differs, not after minutes of measuring.
  const baseline = args.baseline;
  if (baseline !== undefined) {
    notes.push(...checkBuilt(root, 'this checkout'), ...checkBuilt(baseline, `--baseline ${baseline}`));
    await importBaseline(baseline);
    commits['base'] = commitOf(baseline);
  }
  const baseName = `base ${commits['base'] ?? ''}`.trimEnd();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `recurrent bench: node ${process.version}, ${cpu}, ${os.availableParallelism()} logical cpus; ` +
      `time box ${args.timing.budgetMs / 1000} s per measurement, ours at ${args.threads.join(',')} thread(s)` +
      `${args.rounds > 1 ? `, ${args.rounds} rounds` : ''}${args.onlyOurs ? ', peers skipped' : ''}; ours = ${commits['ours'] ?? 'this checkout'}` +
      `${baseline === undefined ? '' : `, base = ${commits['base'] ?? '?'} (${baseline})`}`,
  );
  console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const rows: PrintedRow[] = [];
  const subjects: Record<string, SubjectInfo> = {};
  const measurements: Measurement[] = [];
  const loads: number[] = [];
  for (const { w, sel } of selected) {
    console.error(`\n${w.title}`);
    const ms: Measurement[] = [];
    const specs = w.subjects(args.threads).filter((s) => !args.onlyOurs || s.kind === 'ours');
    const base = baseline === undefined ? undefined : (t: number) => baseSpec(t, baseline);
    const cases = pick(w.caseIds().map((c) => ({ id: caseId(c) })), { caseFilter: sel.cases, caseExact: false }).map((c) => c.id);
    for (const { spec, round, caseFilter, caseExact } of schedule(specs, { rounds: args.rounds, cases, caseFilter: sel.cases, base })) {
      const t0 = Date.now();
      const what = [caseExact ? caseFilter[0] : '', args.rounds > 1 && spec.kind === 'ours' ? `round ${round + 1}/${args.rounds}` : ''].filter((x) => x).join(', ');
      console.error(`- ${spec.id}${what ? ` (${what})` : ''} (child process)`);
      loads.push(os.loadavg()[0] ?? 0);
      const r = await runChild({ workload: w.name, subject: spec, timing: args.timing, caseFilter, caseExact, quick: args.quick });
      if (r.error) notes.push(`${w.name} ${spec.id}: ${r.error}`);
      if (r.info) subjects[spec.id] = r.info;
      if (r.info?.['note'] && round === 0) notes.push(`${spec.id}: ${String(r.info['note'])}`);
      if (r.info?.['warning'] && round === 0) notes.push(`${spec.id}: ${String(r.info['warning'])}`);
      console.error(`  ${spec.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s${r.error ? ` with error: ${r.error}` : ''}`);
      ms.push(...r.measurements.map((m) => (args.rounds > 1 && spec.kind === 'ours' ? { ...m, round } : m)));
    }
    const merged = mergeRounds(ms);
    const out = w.rows(merged, args.threads);
    // Without the peers, their rows would be all dashes; rows between ours' own configurations stay.
    rows.push(...(args.onlyOurs ? out.rows.filter((r) => r.peerValue !== null) : out.rows));
    if (baseline !== undefined) rows.push(...baselineRows(w.name, ms, args.threads, baseName));
    notes.push(...out.notes);
    measurements.push(...ms);
  }
  loads.push(os.loadavg()[0] ?? 0);

  console.log('\nEngines:');
  for (const [id, info] of Object.entries(subjects)) {
    console.log(`  ${id.padEnd(10)} ${Object.entries(info).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  }
  console.log(`\nResults (ratio > 1: ours better; figures vary ±20% on a shared machine):\n`);
  console.log(formatTable(rows));
  console.log('\nSummary:');
  for (const line of summary(rows.filter((r) => baseline === undefined || !r.peer.startsWith(`${baseName} `)))) console.log(line);
  if (baseline !== undefined) for (const line of baselineSummary(rows, baseName)) console.log(line);
  console.log(`  1-minute load average when each child started: min ${Math.min(...loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (${os.availableParallelism()} cpus)`);
  // With a child per case (--baseline), the same engine note can come once per case.
  const uniqueNotes = [...new Set(notes)];
  if (uniqueNotes.length > 0) {
    console.log('\nNotes:');
    for (const n of uniqueNotes) console.log(`  ${n}`);
  }

  const envPath = args.out.replace(/\.json$/, '') + '-env.json';
  await writeJson(args.out, rows.map(toRow));
  await writeJson(envPath, {
    date: new Date().toISOString(),
    durationS: (Date.now() - started) / 1000,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu,
    logicalCpus: os.availableParallelism(),
    args: { filters: args.filters, threads: args.threads, timing: args.timing, baseline: args.baseline ?? null, rounds: args.rounds, onlyOurs: args.onlyOurs },
    commits,
    loadAverages: loads,
    subjects,
    notes: uniqueNotes,
    measurements,
  });
  console.log(`\nWrote ${args.out} and ${envPath} in ${((Date.now() - started) / 1000).toFixed(0)} s total.`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
