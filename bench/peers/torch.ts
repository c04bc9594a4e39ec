/**
 * PyTorch as a peer of W1, W2, W3 and GEMM (issue 18): what a user training RNNs would
 * otherwise pick. Debian's `python3-torch` runs under `/usr/bin/python3` (`TORCH_PYTHON`
 * overrides); the `python3` first on PATH may be another Python without torch, so it is not
 * used. Each measurement is one run of `peers/torch_rnn.py` with the workload's cases as JSON
 * on stdin, from the bench's child process for `torch-<n>t`; where torch is absent the
 * subjects are left out and the rows say so.
 *
 * Debian's torch does its GEMMs through `libblas.so.3`, whichever BLAS the system's alternatives
 * select (the reference BLAS unless OpenBLAS is installed: an order of magnitude slower).
 * `TORCH_BLAS_DIR=<folder holding a libblas.so.3>` puts that folder first on the Python
 * process's `LD_LIBRARY_PATH` (e.g. OpenBLAS unpacked from `apt-get download
 * libopenblas0-pthread`, without installing it); `OPENBLAS_NUM_THREADS` is the subject's
 * thread count.
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
  const blas = process.env['TORCH_BLAS_DIR'] ?? 'system libblas.so.3';
  return { kind: 'torch', python: pythonPath(), threads, info: { engine: 'pytorch', version, python: pythonPath(), threads, blas }, close: async () => undefined };
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
  const dir = process.env['TORCH_BLAS_DIR'];
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(h.threads), ...(dir ? { LD_LIBRARY_PATH: [dir, process.env['LD_LIBRARY_PATH']].filter((x) => x).join(':') } : {}) };
  const r = spawnSync(h.python, [SCRIPT], { input: JSON.stringify(job), encoding: 'utf8', timeout: 900_000, maxBuffer: 16 * 2 ** 20, env });
  if (r.status !== 0) throw new Error(`torch_rnn.py failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; threads: number; results: { case: string; median_ms: number; min_ms: number; samples: number }[] };
  h.info['realThreads'] = out.threads;
  return out.results.map((x) => {
    const c = cases.find((c) => c.id === x.case)!;
    const value = o.value(c, x.median_ms);
    ctx.log(`  ${workload} ${spec.id.padEnd(11)} ${o.mode.padEnd(10)} ${x.case.padEnd(16)} ${value.toFixed(value >= 100 ? 0 : 2).padStart(10)} ${o.unit}  (median ${x.median_ms.toFixed(3)} ms, ${x.samples} samples; PyTorch ${out.torch}, ${out.threads} threads)`);
    return { workload, caseId: x.case, subject: spec.id, mode: o.mode, unit: o.unit, better: o.better, value, medianMs: x.median_ms, minMs: x.min_ms, calls: x.samples, samples: x.samples, spread: 0 };
  });
}
