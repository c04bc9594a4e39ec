/** A parity case's verdict and its one-line summary (worst forward and gradient errors). */
import type { Comparison } from './tolerance.js';

export interface ParityOutcome {
  ok: boolean;
  line: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Set by each parity test for the parity reporter. */
    parity?: ParityOutcome;
  }
}

function worst(list: Comparison[]): Comparison | undefined {
  return list.reduce<Comparison | undefined>((w, c) => (w === undefined || c.usage > w.usage ? c : w), undefined);
}

function fmt(c: Comparison | undefined): string {
  if (!c) return '-';
  return `${c.name} usage ${c.usage.toExponential(2)} (|err| ${c.maxAbs.toExponential(2)})${c.problem ? ` ${c.problem}` : ''}`;
}

/** Passes when every comparison is within its tier (usage <= 1) and none has a problem. */
export function parityOutcome(result: { forward: Comparison[]; gradients: Comparison[] }): ParityOutcome {
  const all = [...result.forward, ...result.gradients];
  return {
    ok: all.length > 0 && all.every((x) => x.usage <= 1 && x.problem === undefined),
    line: `forward: ${fmt(worst(result.forward))}; gradients: ${fmt(worst(result.gradients))}`,
  };
}
