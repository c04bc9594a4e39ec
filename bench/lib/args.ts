/** Command line of `run.ts`. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { DEFAULT_TIMING, QUICK_TIMING, type TimingOptions } from './stats.js';

/**
 * A path from the command line, absolute. `pnpm bench` runs in `bench/`, so a relative path is
 * resolved from where pnpm was started (`INIT_CWD`, which pnpm sets), else from the current
 * directory (`node --import tsx run.ts` in `bench/`).
 */
function fromUserDir(path: string): string {
  return resolve(process.env['INIT_CWD'] ?? process.cwd(), path);
}

/** Rounds of ours/baseline children when `--baseline` is given without `--rounds`. */
const DEFAULT_BASELINE_ROUNDS = 5;

export interface Args {
  /** `workload` or `workload/case-substring` patterns; empty runs everything. */
  filters: string[];
  threads: number[];
  timing: TimingOptions;
  out: string;
  list: boolean;
  help: boolean;
  quick: boolean;
  /** `--baseline DIR`: also run ours' workload code on DIR's built package (subjects `base-Nt`). */
  baseline: string | undefined;
  /** Children of ours (and the baseline) per thread count, interleaved; medians are reported. */
  rounds: number;
  /** Skip the peers: only ours (and the baseline) run. */
  onlyOurs: boolean;
}

export const USAGE = `usage: pnpm bench [-- options] [filter...]

  filter / --filter F   run workloads whose name contains F; "gemm/1024" also keeps only
                        cases whose id contains "1024" (repeatable, or comma-separated)
  --threads 1,2         thread counts for ours (1 = SIMD build, n>1 = threaded build); default 1,2
  --budget SECONDS      time box of one measurement (warm-up excluded); default 2
  --quick               short time boxes, fewer samples: a smoke run, noisier figures
  --baseline DIR        also run the same workloads on DIR's recurrent (another checkout of
                        this repository with packages/recurrent/{dist,wasm} built): subjects
                        base-1t, base-2t and rows "ours vs base", children interleaved with ours'
                        (one per case and side); a relative DIR is from where pnpm was started
  --rounds N            run each ours (and base) child N times, alternating ours and base; an
                        ours-vs-base row is the round with the median ratio, other figures the
                        median over rounds; default 5 with --baseline, else 1
  --only-ours           skip the peers (with --baseline: just ours vs base)
  --out PATH            rows JSON; default results/latest.json (env beside it, *-env.json)
                        (relative paths: from where pnpm was started)
  --list                list workloads and cases, run nothing
  --help`;

export function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    // `pnpm bench -- --quick` passes the `--` through; options after it are still options.
    args: argv.filter((a) => a !== '--'),
    allowPositionals: true,
    options: {
      filter: { type: 'string', multiple: true },
      threads: { type: 'string' },
      budget: { type: 'string' },
      quick: { type: 'boolean' },
      baseline: { type: 'string' },
      rounds: { type: 'string' },
      'only-ours': { type: 'boolean' },
      out: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const filters = [...(values.filter ?? []), ...positionals]
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  const threads = (values.threads ?? '1,2').split(',').map((s) => Number(s.trim()));
  if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > 64)) {
    throw new Error(`--threads expected integers in [1, 64], got ${values.threads ?? ''}`);
  }
  // 1 thread is always measured: it is the base of every multi-thread ratio.
  const threadList = [...new Set([1, ...threads])].sort((a, b) => a - b);
  const timing = { ...(values.quick ? QUICK_TIMING : DEFAULT_TIMING) };
  if (values.budget !== undefined) {
    const s = Number(values.budget);
    if (!(s > 0)) throw new Error(`--budget expected seconds > 0, got ${values.budget}`);
    timing.budgetMs = s * 1000;
    timing.minTimeMs = Math.min(timing.minTimeMs, timing.budgetMs / 4);
  }
  const rounds = values.rounds === undefined ? (values.baseline === undefined ? 1 : DEFAULT_BASELINE_ROUNDS) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) throw new Error(`--rounds expected an integer in [1, 99], got ${values.rounds ?? ''}`);
  return {
    filters,
    threads: threadList,
    timing,
    out: values.out === undefined ? new URL('../results/latest.json', import.meta.url).pathname : fromUserDir(values.out),
    list: values.list ?? false,
    help: values.help ?? false,
    quick: values.quick ?? false,
    baseline: values.baseline === undefined ? undefined : fromUserDir(values.baseline),
    rounds,
    onlyOurs: values['only-ours'] ?? false,
  };
}

/** The workload part and the case part of the filters that select workload `name`. */
export function selection(name: string, filters: string[]): { run: boolean; cases: string[] } {
  if (filters.length === 0) return { run: true, cases: [] };
  let run = false;
  const cases: string[] = [];
  for (const f of filters) {
    const slash = f.indexOf('/');
    const wpart = slash < 0 ? f : f.slice(0, slash);
    if (!name.includes(wpart)) continue;
    if (slash < 0) return { run: true, cases: [] };
    run = true;
    cases.push(f.slice(slash + 1));
  }
  return { run, cases };
}

/** The id part of an entry of `Workload.caseIds()` (ids themselves contain single spaces only). */
export function caseId(listed: string): string {
  return listed.split('  ')[0] ?? listed;
}
