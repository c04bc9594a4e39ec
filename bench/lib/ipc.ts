/** Messages between the runner and its child processes. */
import type { TimingOptions } from './stats.js';
import type { Measurement, SubjectInfo, SubjectSpec } from './types.js';

export interface ChildJob {
  workload: string;
  subject: SubjectSpec;
  timing: TimingOptions;
  caseFilter: string[];
  caseExact: boolean;
  quick: boolean;
}

export type ChildMessage =
  | { type: 'result'; info: SubjectInfo; measurements: Measurement[] }
  | { type: 'error'; message: string };
