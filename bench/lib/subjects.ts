/** Starting and naming subjects (ours at n threads, each peer). */
import { openOurs } from '../ours/recurrent.js';
import { openBrain } from '../peers/brain.js';
import { openOrtNode, openOrtWeb } from '../peers/ort.js';
import { openTfjsCpu } from '../peers/tfjs-cpu.js';
import { openTfjsWasm } from '../peers/tfjs-wasm.js';
import { openTorch } from '../peers/torch.js';
import type { SubjectHandle, SubjectKind, SubjectSpec } from './types.js';

export function oursSpec(threads: number): SubjectSpec {
  return { id: `ours-${threads}t`, kind: 'ours', threads };
}

/** The same workload code on a baseline checkout's package (`--baseline DIR`). */
export function baseSpec(threads: number, dir: string): SubjectSpec {
  return { id: `base-${threads}t`, kind: 'ours', threads, baseline: dir };
}

export function tfjsWasmSpec(threads = 1): SubjectSpec {
  return { id: threads === 1 ? 'tfjs-wasm' : `tfjs-wasm-${threads}t`, kind: 'tfjs-wasm', threads };
}

/** A peer other than tfjs-wasm at `threads`: ids `ort-web-1t`, `ort-node-2t`, `brain`, `tfjs-cpu`. */
export function peerSpec(kind: Exclude<SubjectKind, 'ours' | 'tfjs-wasm'>, threads = 1): SubjectSpec {
  const single = kind === 'brain' || kind === 'tfjs-cpu';
  return { id: single ? kind : `${kind}-${threads}t`, kind, threads };
}

const LABELS: Record<SubjectKind, string> = {
  ours: 'recurrent',
  'tfjs-wasm': 'tfjs-wasm',
  'tfjs-cpu': 'tfjs-cpu',
  'ort-web': 'ort-web',
  'ort-node': 'ort-node',
  brain: 'brain.js',
  torch: 'PyTorch',
};

/** Human label for tables: `recurrent 1T`, `tfjs-wasm 1T`, `ort-node 2T`, `base 1T`. */
export function subjectLabel(spec: SubjectSpec, realThreads = spec.threads): string {
  return `${spec.baseline === undefined ? LABELS[spec.kind] : 'base'} ${realThreads}T`;
}

export async function openSubject(spec: SubjectSpec): Promise<SubjectHandle> {
  switch (spec.kind) {
    case 'ours':
      return openOurs(spec.threads, spec.baseline, spec.simd);
    case 'tfjs-wasm':
      return openTfjsWasm(spec.threads);
    case 'tfjs-cpu':
      return openTfjsCpu();
    case 'ort-web':
      return openOrtWeb(spec.threads);
    case 'ort-node':
      return openOrtNode(spec.threads);
    case 'brain':
      return openBrain();
    case 'torch':
      return openTorch(spec.threads);
  }
}
