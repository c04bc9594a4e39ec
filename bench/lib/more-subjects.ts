/**
 * Issue 18's subjects beside ours on the bench's Node: ours with the relaxed-SIMD build under
 * Node 24 (`ours-relaxed-<n>t`), ours with the baseline build under the same Node 24
 * (`ours-n24-1t`, so relaxed vs baseline is measured in one runtime), the wasm peers under the
 * same Node 24 (`tfjs-wasm-n24`, `ort-web-n24-<n>t`: V8 versions differ a lot, so the relaxed
 * rows compare with peers on the relaxed build's runtime, not the bench's), and PyTorch
 * (`torch-<n>t`), with the rows comparing them. Node 24 is `$NODE24`, or the project's
 * `.tools/node-24.*` (scripts/lib.sh `ensure_node24` installs it); without it (or with `NODE24`
 * naming no file, e.g. `NODE24=none` to skip them) the relaxed subjects are left out and a
 * note says so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { torchMissingNote, torchVersion } from '../peers/torch.js';
import type { Pairing } from './rows.js';
import { oursSpec, peerSpec, subjectLabel, tfjsWasmSpec } from './subjects.js';
import type { Measurement, SubjectSpec } from './types.js';

let node24: string | null | undefined;

/** A Node 24 binary, or `null`. */
export function node24Path(): string | null {
  if (node24 === undefined) {
    const env = process.env['NODE24'];
    node24 = env !== undefined && existsSync(env) ? env : null;
    if (node24 === null && env === undefined) {
      const tools = fileURLToPath(new URL('../../.tools/', import.meta.url));
      const dir = existsSync(tools) ? readdirSync(tools).filter((d) => /^node-24\./.test(d)).sort().pop() : undefined;
      const bin = dir === undefined ? undefined : `${tools}${dir}/bin/node`;
      node24 = bin !== undefined && existsSync(bin) ? bin : null;
    }
  }
  return node24;
}

export function relaxedSpec(threads: number): SubjectSpec {
  return { id: `ours-relaxed-${threads}t`, kind: 'ours', threads, simd: 'relaxed', node: node24Path() ?? undefined };
}

/** Ours, baseline SIMD128 build, under Node 24: the same runtime as the relaxed subjects. */
export function node24BaselineSpec(threads = 1): SubjectSpec {
  return { id: `ours-n24-${threads}t`, kind: 'ours', threads, simd: 'baseline', node: node24Path() ?? undefined };
}

/** The wasm peers that get a Node 24 twin (onnxruntime-node is native code: V8 does not change it). */
export type Node24PeerKind = 'tfjs-wasm' | 'ort-web';

/**
 * The twin of a wasm peer's spec under Node 24: the same engine and threads, id with `-n24`
 * before the thread suffix (`tfjs-wasm` -> `tfjs-wasm-n24`, `ort-web-2t` -> `ort-web-n24-2t`).
 */
export function onNode24(spec: SubjectSpec): SubjectSpec {
  if (spec.kind !== 'tfjs-wasm' && spec.kind !== 'ort-web') throw new Error(`${spec.id}: only the wasm peers have a Node 24 twin`);
  return { ...spec, id: spec.id.replace(/(-\d+t)?$/, '-n24$1'), node: node24Path() ?? undefined };
}

/**
 * The wasm peers' Node 24 twins a workload runs, where Node 24 exists: tfjs-wasm at 1 thread
 * (it has no threads in Node) and onnxruntime-web at each count, as `kinds` asks.
 */
export function node24PeerSpecs(threads: number[], kinds: readonly Node24PeerKind[]): SubjectSpec[] {
  if (node24Path() === null) return [];
  return [
    ...(kinds.includes('tfjs-wasm') ? [onNode24(tfjsWasmSpec())] : []),
    ...(kinds.includes('ort-web') ? threads.map((t) => onNode24(peerSpec('ort-web', t))) : []),
  ];
}

export function torchSpec(threads: number): SubjectSpec {
  return { id: `torch-${threads}t`, kind: 'torch', threads };
}

/** PyTorch at 1 and 2 threads (or every count of `threads` above 1), where torch imports. */
export function torchSpecs(threads: number[]): SubjectSpec[] {
  if (torchVersion() === null) return [];
  return [...new Set([1, ...threads])].map(torchSpec);
}

/** The relaxed subjects at each thread count and the Node 24 baseline at 1 thread, where Node 24 exists. */
export function relaxedSpecs(threads: number[]): SubjectSpec[] {
  if (node24Path() === null) return [];
  return [...threads.map(relaxedSpec), node24BaselineSpec(1)];
}

/**
 * Every engine that runs the inference workloads (W3 encoding, GEMM), in the order they are
 * run: ours at each thread count, the relaxed subjects, tfjs-wasm, ORT web and Node at each
 * thread count, tfjs-wasm and ORT web on Node 24, PyTorch.
 */
export function inferenceSpecs(threads: number[]): SubjectSpec[] {
  return [
    ...threads.map(oursSpec),
    ...relaxedSpecs(threads),
    tfjsWasmSpec(),
    ...threads.flatMap((t) => [peerSpec('ort-web', t), peerSpec('ort-node', t)]),
    ...node24PeerSpecs(threads, ['tfjs-wasm', 'ort-web']),
    ...torchSpecs(threads),
  ];
}

/** Labels of the rows' peer column. */
export function label(spec: SubjectSpec): string {
  if (spec.kind === 'torch') return `PyTorch ${spec.threads}T`;
  if (spec.kind !== 'ours') return `${subjectLabel(spec)}${spec.node !== undefined ? ' (Node 24)' : ''}`;
  if (spec.simd === 'relaxed') return `recurrent relaxed ${spec.threads}T (Node 24)`;
  if (spec.node !== undefined) return `recurrent baseline ${spec.threads}T (Node 24)`;
  return `recurrent ${spec.threads}T`;
}

/** The variant column of a row whose ours side is the relaxed build on Node 24. */
export const RELAXED_TAG = '[relaxed, Node 24]';

/**
 * Pairings of issue 18 for one case: ours-relaxed at each count against ours' baseline (Node 24
 * at 1 thread, and the bench's Node), PyTorch and the Node 24 twins (`onNode24`) of the wasm
 * peers `peersAt(t)` names (the peers of the case's rows on the bench's Node); ours (bench's
 * Node) against PyTorch. `what(peer)`, if given, follows the peer's label (e.g. GEMM's
 * `MatMul (run)`).
 */
export function moreRows(
  caseId: string,
  mode: string,
  threads: number[],
  peersAt: (t: number) => SubjectSpec[],
  what?: (peer: SubjectSpec) => string,
): Pairing[] {
  const out: Pairing[] = [];
  const pair = (t: number, ours: SubjectSpec, peer: SubjectSpec, suffix?: string): Pairing => ({
    variant: ours.simd === 'relaxed' ? `${caseId} ${RELAXED_TAG}` : caseId,
    caseId,
    threads: t,
    ours: { subject: ours.id, mode },
    peer: { subject: peer.id, mode, label: suffix ? `${label(peer)} ${suffix}` : label(peer) },
  });
  const torch = (t: number) => torchSpec(t);
  const base = (t: number): SubjectSpec => ({ id: `ours-${t}t`, kind: 'ours', threads: t });
  const torchThreads = torchVersion() === null ? [] : [...new Set([1, ...threads])];
  for (const t of node24Path() === null ? [] : threads) {
    const r = relaxedSpec(t);
    if (t === 1) out.push(pair(t, r, node24BaselineSpec(1)));
    out.push(pair(t, r, base(t)));
    if (torchThreads.includes(t)) out.push(pair(t, r, torch(t)));
    for (const p of peersAt(t)) out.push(pair(t, r, onNode24(p), what?.(p)));
    if (t > 1) out.push(pair(t, r, relaxedSpec(1)));
  }
  for (const t of torchThreads) out.push(pair(t, base(t), torch(t)));
  return out;
}

/** Notes for what could not run. */
export function moreNotes(workload: string, ms: Measurement[]): string[] {
  const notes: string[] = [];
  if (torchVersion() === null) notes.push(torchMissingNote(workload));
  if (node24Path() === null) notes.push(`${workload}: relaxed-SIMD rows and the wasm peers on Node 24 skipped: no Node 24 (set NODE24, or run scripts/test.sh once to install .tools/node-24.*)`);
  else if (!ms.some((m) => m.subject.startsWith('ours-relaxed-'))) notes.push(`${workload}: the relaxed-SIMD subjects measured nothing (see the errors above)`);
  return notes;
}
