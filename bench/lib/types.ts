/**
 * The shapes every part of the bench agrees on: who is measured (subjects), what one timed
 * quantity is (measurements), what the report shows (rows), and what a workload provides.
 */
import type { OursHandle } from '../ours/recurrent.js';
import type { BrainHandle } from '../peers/brain.js';
import type { OrtHandle } from '../peers/ort.js';
import type { TfjsCpuHandle } from '../peers/tfjs-cpu.js';
import type { TfjsWasmHandle } from '../peers/tfjs-wasm.js';
import type { TorchHandle } from '../peers/torch.js';
import type { TimingOptions } from './stats.js';

/** Engines the bench knows how to start: ours, and each peer. */
export type SubjectKind = 'ours' | 'tfjs-wasm' | 'tfjs-cpu' | 'ort-web' | 'ort-node' | 'brain' | 'torch';

/** One engine configuration, run in its own child process. */
export interface SubjectSpec {
  /** Stable id, e.g. `ours-1t`, `ours-2t`, `tfjs-wasm`. */
  id: string;
  kind: SubjectKind;
  /** Threads asked for (peers report what they really got in their info). */
  threads: number;
  /**
   * Kind `ours` only: a baseline checkout whose built package runs the same workload code
   * instead of the workspace's `recurrent` (ids `base-1t`, `base-2t`; see `lib/baseline.ts`).
   */
  baseline?: string;
  /** Kind `ours` only: `init({ simd })` (default: the loader's choice for the runtime). */
  simd?: 'relaxed' | 'baseline';
  /** The Node binary of the child process (default: the bench's own), e.g. Node 24. */
  node?: string | undefined;
}

/** A started engine, handed to a workload's `measure` inside the child. */
export type SubjectHandle = OursHandle | TfjsWasmHandle | TfjsCpuHandle | OrtHandle | BrainHandle | TorchHandle;

/** What a child reports about the engine it ran (build, versions, thread mode). */
export type SubjectInfo = Record<string, string | number | boolean>;

/** One timed quantity, e.g. GEMM 512^3 on ours-1t with buffers resident in wasm. */
export interface Measurement {
  workload: string;
  caseId: string;
  subject: string;
  /** What is inside the timed region, e.g. `resident` or `copy` (workload-specific). */
  mode: string;
  unit: string;
  better: 'higher' | 'lower';
  value: number;
  medianMs: number;
  minMs: number;
  /** Timed calls (samples x repetitions). */
  calls: number;
  samples: number;
  /** Interquartile range of the samples over their median. */
  spread: number;
  /** A small digest of the result, to check that engines computed the same thing. */
  check?: number[];
  /** With `--rounds N`: which round (0-based) of ours/baseline children measured it. */
  round?: number;
  /** A caveat every row showing this figure repeats in its note (e.g. PyTorch on the reference BLAS). */
  note?: string;
}

/** One line of the report and of `results/latest.json`. `ratio > 1` means ours is better. */
export interface Row {
  workload: string;
  variant: string;
  threads: number;
  unit: string;
  ours: number | null;
  peer: string;
  peerValue: number | null;
  ratio: number | null;
}

/** A row plus what only the printed table shows. */
export interface PrintedRow extends Row {
  note?: string;
  /** `--baseline` rows over several rounds: the lowest and highest per-round ratio. */
  rounds?: { min: number; max: number };
}

export interface MeasureContext {
  timing: TimingOptions;
  /** Substrings of case ids to keep; empty keeps all. */
  caseFilter: string[];
  /** The filters are whole case ids (one child per case, as with `--baseline`), not substrings. */
  caseExact: boolean;
  /** `--quick`: fewer samples for the slow workloads too (a smoke run). */
  quick: boolean;
  /** Progress line for the console (stderr). */
  log(line: string): void;
}

/** A workload: one file in `workloads/`, registered in `workloads/index.ts`. */
export interface Workload {
  name: string;
  title: string;
  /** Ids of its cases, for `--list` and filtering; an id may be followed by two spaces and a description (see `caseId` in `lib/args.ts`). */
  caseIds(): string[];
  /** The engine configurations it runs, given the `--threads` list for ours. */
  subjects(threads: number[]): SubjectSpec[];
  /** Runs in the child: times every selected case on the started subject. */
  measure(subject: SubjectHandle, spec: SubjectSpec, ctx: MeasureContext): Promise<Measurement[]>;
  /** Runs in the parent: turns all subjects' measurements into report rows and notes. */
  rows(measurements: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] };
}
