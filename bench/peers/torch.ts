/**
 * PyTorch as a peer of W1, W2, W3 and GEMM (issue 18): what a user training RNNs would
 * otherwise pick. Debian's `python3-torch` runs under `/usr/bin/python3` (`TORCH_PYTHON`
 * overrides); the `python3` first on PATH may be another Python without torch, so it is not
 * used. Each measurement is one run of `peers/torch_rnn.py` with the workload's cases as JSON
 * on stdin, from the bench's child process for `torch-<n>t`; where torch is absent the
 * subjects are left out and the rows say so.
 *
 * Debian's torch does its GEMMs through `libblas.so.3`, whichever BLAS the system's alternatives
 * select (the reference BLAS unless OpenBLAS is installed: an order of magnitude slower;
 * `bench/setup-peers.sh` installs OpenBLAS's OpenMP variant).
 * `TORCH_BLAS_DIR=<folder holding a libblas.so.3>` puts that folder first on the Python
 * process's `LD_LIBRARY_PATH` (e.g. OpenBLAS unpacked from `apt-get download
 * libopenblas0-openmp`, without installing it). The script reports the BLAS it really loaded
 * (`info.blas`: the file its `sgemm_` binds to; `info.blasKind`); on the reference BLAS every
 * PyTorch row says so.
 *
 * Threads (`torchEnv`): torch's intra-op pool is OpenMP (libgomp), sized by
 * `torch.set_num_threads(n)` in the script and by `OMP_NUM_THREADS`; OpenBLAS's OpenMP
 * variant runs its GEMMs on that same pool, so n threads are n threads (1 is 1: the script
 * reports the process's thread count, `info.osThreads`). OpenBLAS's pthread variant keeps a
 * pool of its own (`OPENBLAS_NUM_THREADS`) beside torch's, both spinning: at 2 threads three
 * threads compete for 2 cores, which a note says.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { Measurement, MeasureContext, SubjectInfo, SubjectSpec } from '../lib/types.js';

export interface TorchHandle {
  kind: 'torch';
  python: string;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./torch_rnn.py', import.meta.url));

function pythonPath(): string {
  return process.env['TORCH_PYTHON'] ?? '/usr/bin/python3';
}

let available: { version: string } | null | undefined;

/** PyTorch's version where `pythonPath()` imports torch, else `null` (checked once). */
export function torchVersion(): string | null {
  if (available === undefined) {
    const r = spawnSync(pythonPath(), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    available = r.status === 0 ? { version: r.stdout.trim() } : null;
  }
  return available?.version ?? null;
}

/** The note the rows print where PyTorch is absent. */
export function torchMissingNote(workload: string): string {
  return `${workload}: PyTorch rows skipped: ${pythonPath()} cannot import torch (Debian: apt-get install python3-torch; TORCH_PYTHON=<python> to use another)`;
}

export function openTorch(threads: number): TorchHandle {
  const version = torchVersion();
  if (version === null) throw new Error(torchMissingNote('torch'));
  const blasDir = process.env['TORCH_BLAS_DIR'] ?? 'none (the system libblas.so.3)';
  // `blas` and `blasKind` are replaced by what the script loaded when it runs.
  return { kind: 'torch', python: pythonPath(), threads, info: { engine: 'pytorch', version, python: pythonPath(), threads, blasDir, blas: 'not run' }, close: async () => undefined };
}

/** The environment of a PyTorch process at `threads` (TORCH_BLAS_DIR first on its library path). */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const dir = process.env['TORCH_BLAS_DIR'];
  return {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    ...(dir ? { LD_LIBRARY_PATH: [dir, process.env['LD_LIBRARY_PATH']].filter((x) => x).join(':') } : {}),
  };
}

/** What torch_rnn.py reports about the BLAS it loaded (see its doc). */
export interface TorchBlas {
  kind: 'reference' | 'openblas-openmp' | 'openblas-pthread' | 'openblas-serial' | 'openblas' | 'blis' | 'mkl' | 'unknown';
  /** The file torch's `sgemm_` binds to. */
  provider: string | null;
  /** Every BLAS file mapped into the process. */
  paths: string[];
}

/** The row note of every PyTorch figure on the reference BLAS. */
export const REFERENCE_BLAS_NOTE = 'PyTorch on the reference BLAS: run bench/setup-peers.sh';

/** A warning about the BLAS torch loaded at `threads`, or `undefined` where it is fine. */
export function blasWarning(blas: TorchBlas, threads: number): string | undefined {
  if (blas.kind === 'reference') return `${REFERENCE_BLAS_NOTE} (as root; or TORCH_BLAS_DIR=<OpenBLAS folder>): its GEMMs are about 10x slower than OpenBLAS's, so these PyTorch figures mean nothing`;
  if (blas.kind === 'unknown') return `PyTorch's sgemm_ is in ${blas.provider ?? 'no file found'}, a BLAS this bench does not recognise (mapped: ${blas.paths.join(', ') || 'none'})`;
  if (blas.kind === 'openblas-pthread' && threads > 1) return `PyTorch on OpenBLAS's pthread variant: its own ${threads}-thread pool and torch's OpenMP pool compete for the cores (bench/setup-peers.sh selects the openmp variant)`;
  return undefined;
}

/** One case of a torch job: the workload's description of it (`id` first). */
export type TorchCase = { id: string } & Record<string, string | number | boolean>;

/**
 * Runs `cases` of `workload` in PyTorch at the handle's thread count; `value` turns a median
 * time (ms) of a case into the workload's unit.
 */
export function measureTorch(
  workload: string,
  cases: TorchCase[],
  h: TorchHandle,
  spec: SubjectSpec,
  ctx: MeasureContext,
  o: { mode: string; unit: string; better: 'higher' | 'lower'; value: (c: TorchCase, ms: number) => number },
): Measurement[] {
  if (cases.length === 0) return [];
  const job = { workload, cases, threads: h.threads, budget_ms: ctx.timing.budgetMs, quick: ctx.quick };
  const r = spawnSync(h.python, [SCRIPT], { input: JSON.stringify(job), encoding: 'utf8', timeout: 900_000, maxBuffer: 16 * 2 ** 20, env: torchEnv(h.threads) });
  if (r.status !== 0) throw new Error(`torch_rnn.py failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    torch: string;
    threads: number;
    blas: TorchBlas;
    os_threads: number;
    results: { case: string; median_ms: number; min_ms: number; samples: number }[];
  };
  h.info['realThreads'] = out.threads;
  h.info['osThreads'] = out.os_threads;
  h.info['blasKind'] = out.blas.kind;
  h.info['blas'] = out.blas.provider ?? 'not found';
  h.info['blasMapped'] = out.blas.paths.join(' ');
  const warning = blasWarning(out.blas, out.threads);
  if (warning !== undefined) h.info['warning'] = warning;
  const note = out.blas.kind === 'reference' ? REFERENCE_BLAS_NOTE : undefined;
  return out.results.map((x) => {
    const c = cases.find((c) => c.id === x.case)!;
    const value = o.value(c, x.median_ms);
    ctx.log(`  ${workload} ${spec.id.padEnd(11)} ${o.mode.padEnd(10)} ${x.case.padEnd(16)} ${value.toFixed(value >= 100 ? 0 : 2).padStart(10)} ${o.unit}  (median ${x.median_ms.toFixed(3)} ms, ${x.samples} samples; PyTorch ${out.torch}, ${out.threads} threads, ${out.os_threads} OS threads, BLAS ${out.blas.kind})`);
    const m: Measurement = { workload, caseId: x.case, subject: spec.id, mode: o.mode, unit: o.unit, better: o.better, value, medianMs: x.median_ms, minMs: x.min_ms, calls: x.samples, samples: x.samples, spread: 0 };
    if (note !== undefined) m.note = note;
    return m;
  });
}
