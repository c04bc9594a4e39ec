/** Starting and naming subjects (ours at n threads, each peer). */
import { openOurs } from '../ours/recurrent.js';
import { openTfjsWasm } from '../peers/tfjs-wasm.js';
import type { SubjectHandle, SubjectSpec } from './types.js';

export function oursSpec(threads: number): SubjectSpec {
  return { id: `ours-${threads}t`, kind: 'ours', threads };
}

export function tfjsWasmSpec(threads = 1): SubjectSpec {
  return { id: threads === 1 ? 'tfjs-wasm' : `tfjs-wasm-${threads}t`, kind: 'tfjs-wasm', threads };
}

/** Human label for tables: `recurrent 1T`, `tfjs-wasm 1T`. */
export function subjectLabel(spec: SubjectSpec, realThreads = spec.threads): string {
  return `${spec.kind === 'ours' ? 'recurrent' : spec.kind} ${realThreads}T`;
}

export async function openSubject(spec: SubjectSpec): Promise<SubjectHandle> {
  switch (spec.kind) {
    case 'ours':
      return openOurs(spec.threads);
    case 'tfjs-wasm':
      return openTfjsWasm(spec.threads);
  }
}
