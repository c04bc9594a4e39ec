/**
 * brain.js (`brain.recurrent.LSTM` / `GRU` / `RNN`): plain JavaScript, one sequence at a time
 * (no batching), its own matrix objects per step. Version 1.6.1 is npm's `latest`; it depends
 * on gpu.js 1.x, which is pure JavaScript (no native build: installs anywhere). The 2.0 betas
 * need gpu.js 2, whose `gl` dependency is a native build (headless-gl) and is not used here.
 */
import { createRequire } from 'node:module';

import type { SubjectInfo } from '../lib/types.js';

/** The parts of brain.js's recurrent nets the bench uses. */
export interface BrainNet {
  initialize(): void;
  /** Forward, BPTT and weight update over one sequence of token ids. */
  trainPattern(input: number[], logErrorRate?: boolean): number | undefined;
}
export interface BrainApi {
  recurrent: Record<'LSTM' | 'GRU' | 'RNN', new (options: Record<string, unknown>) => BrainNet>;
}

export interface BrainHandle {
  kind: 'brain';
  brain: BrainApi;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

export async function openBrain(): Promise<BrainHandle> {
  const require = createRequire(import.meta.url);
  const brain = require('brain.js') as BrainApi;
  const version = (require('brain.js/package.json') as { version: string }).version;
  return {
    kind: 'brain',
    brain,
    threads: 1,
    info: { engine: 'brain.js', version, threads: 1 },
    close: async () => {},
  };
}
