/**
 * The workloads that time ours alone (attention, cells, families, trees): their subjects are
 * ours at each `--threads` count, and their `measure` refuses any other subject.
 */
import type { OursHandle } from '../ours/recurrent.js';
import { oursSpec } from './subjects.js';
import type { Measurement, MeasureContext, SubjectSpec, Workload } from './types.js';

/** What an ours-only workload gives: a {@link Workload} but for its subjects, and its measurement on ours. */
export type OursOnly = Omit<Workload, 'subjects' | 'measure'> & {
  measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[];
};

export function oursOnlyWorkload(w: OursOnly): Workload {
  const { measureOurs, ...rest } = w;
  return {
    ...rest,
    subjects: (threads) => threads.map(oursSpec),
    async measure(subject, spec, ctx) {
      if (subject.kind !== 'ours') throw new Error(`${w.name}: ours only`);
      return measureOurs(subject, spec, ctx);
    },
  };
}
