/** Every workload the runner knows, in report order. Add a file, then add it here. */
import type { Workload } from '../lib/types.js';
import { attentionWorkload } from './attention.js';
import { gemmWorkload } from './gemm.js';
import { cellsWorkload } from './cells.js';
import { contentionWorkload } from './contention.js';
import { encodeWorkload } from './encode.js';
import { familiesWorkload } from './families.js';
import { streamWorkload } from './stream.js';
import { trainWorkload } from './train.js';
import { treesWorkload } from './trees.js';

export const WORKLOADS: readonly Workload[] = [trainWorkload, streamWorkload, encodeWorkload, cellsWorkload, gemmWorkload, treesWorkload, attentionWorkload, familiesWorkload, contentionWorkload];

export function workload(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}; known: ${WORKLOADS.map((x) => x.name).join(', ')}`);
  return w;
}
