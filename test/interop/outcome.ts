/** An interop case's verdict and its one-line summary, set on the test for the interop reporter. */
import type { Comparison } from '../parity/tolerance.js';

export interface InteropOutcome {
  ok: boolean;
  line: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Set by each interop test for the interop reporter. */
    interop?: InteropOutcome;
  }
}

/** Passes when every comparison is within the default tier (usage <= 1) and none has a problem. */
export function interopOutcome(checks: Comparison[], extra: string[] = [], extraOk = true): InteropOutcome {
  const worst = checks.reduce<Comparison | undefined>((w, c) => (w === undefined || c.usage > w.usage ? c : w), undefined);
  const ok = extraOk && checks.length > 0 && checks.every((c) => c.usage <= 1 && c.problem === undefined);
  const w = worst ? `worst ${worst.name} usage ${worst.usage.toExponential(2)} (|err| ${worst.maxAbs.toExponential(2)})${worst.problem ? ` ${worst.problem}` : ''}` : 'no output compared';
  return { ok, line: [`${checks.length} output tensors compared, ${w}`, ...extra].join('; ') };
}
