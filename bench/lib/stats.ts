/**
 * Timing: warm-up, then samples until enough runs or the time box is used, reported as the
 * median. Fast calls are repeated inside a sample so the clock's resolution and the loop's
 * overhead stay small against what is measured.
 */
export interface TimingOptions {
  /** Time box for one measurement (warm-up excluded), in ms. */
  budgetMs: number;
  /** Samples wanted before stopping early. */
  minSamples: number;
  /** Sampling time wanted before stopping early, in ms (so tiny calls get many samples). */
  minTimeMs: number;
  /** Fewest samples taken even past the time box (unless one call alone exceeds it). */
  floorSamples: number;
  maxSamples: number;
  /** Target duration of one sample; calls shorter than this are repeated. */
  targetSampleMs: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  budgetMs: 2000,
  minSamples: 10,
  minTimeMs: 500,
  floorSamples: 3,
  maxSamples: 200,
  targetSampleMs: 2,
};

/** Shorter time boxes for a smoke run (`--quick`): same shape of result, noisier. */
export const QUICK_TIMING: TimingOptions = {
  ...DEFAULT_TIMING,
  budgetMs: 400,
  minSamples: 5,
  minTimeMs: 100,
  floorSamples: 1,
};

export interface Timing {
  medianMs: number;
  minMs: number;
  p25Ms: number;
  p75Ms: number;
  samples: number;
  /** Calls per sample. */
  reps: number;
  /** Timed calls in all. */
  calls: number;
  /** (p75 - p25) / median. */
  spread: number;
}

const now = (): number => performance.now();

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((x, y) => x - y), 0.5);
}

function summarise(samples: number[], reps: number): Timing {
  const sorted = [...samples].sort((x, y) => x - y);
  const med = quantile(sorted, 0.5);
  const p25 = quantile(sorted, 0.25);
  const p75 = quantile(sorted, 0.75);
  return {
    medianMs: med,
    minMs: sorted[0] ?? NaN,
    p25Ms: p25,
    p75Ms: p75,
    samples: sorted.length,
    reps,
    calls: sorted.length * reps,
    spread: med > 0 ? (p75 - p25) / med : 0,
  };
}

/**
 * Times `fn` (synchronous). The first call is the start of the warm-up; when that call alone
 * takes longer than the time box it is the only sample (so a very slow kernel costs one call,
 * not ten), and the result says `samples: 1`.
 */
export function measure(fn: () => void, opts: TimingOptions): Timing {
  let t = now();
  fn();
  const first = now() - t;
  if (first >= opts.budgetMs) return summarise([first], 1);

  // Warm-up: at least 3 calls or a quarter of the time box, whichever comes first, after
  // the first call (JIT tiers, page faults, caches of packed operands).
  const warmStart = now();
  let last = first;
  for (let i = 0; i < 3 && now() - warmStart < opts.budgetMs / 4; i++) {
    t = now();
    fn();
    last = now() - t;
  }

  const reps = Math.max(1, Math.min(10_000, Math.floor(opts.targetSampleMs / Math.max(last, 1e-4))));
  const samples: number[] = [];
  const start = now();
  for (;;) {
    t = now();
    for (let r = 0; r < reps; r++) fn();
    samples.push((now() - t) / reps);
    const elapsed = now() - start;
    const n = samples.length;
    if (n >= opts.maxSamples) break;
    if (n >= opts.minSamples && elapsed >= opts.minTimeMs) break;
    if (elapsed >= opts.budgetMs && n >= opts.floorSamples) break;
  }
  return summarise(samples, reps);
}

/**
 * [`measure`] for an asynchronous call (ONNX Runtime's `session.run`): the same warm-up,
 * samples and stopping rules, each call awaited (so its promise's resolution is included, as
 * a caller would pay it).
 */
export async function measureAsync(fn: () => Promise<void>, opts: TimingOptions): Promise<Timing> {
  let t = now();
  await fn();
  const first = now() - t;
  if (first >= opts.budgetMs) return summarise([first], 1);
  const warmStart = now();
  let last = first;
  for (let i = 0; i < 3 && now() - warmStart < opts.budgetMs / 4; i++) {
    t = now();
    await fn();
    last = now() - t;
  }
  const reps = Math.max(1, Math.min(10_000, Math.floor(opts.targetSampleMs / Math.max(last, 1e-4))));
  const samples: number[] = [];
  const start = now();
  for (;;) {
    t = now();
    for (let r = 0; r < reps; r++) await fn();
    samples.push((now() - t) / reps);
    const elapsed = now() - start;
    const n = samples.length;
    if (n >= opts.maxSamples) break;
    if (n >= opts.minSamples && elapsed >= opts.minTimeMs) break;
    if (elapsed >= opts.budgetMs && n >= opts.floorSamples) break;
  }
  return summarise(samples, reps);
}

/**
 * Times `steps` calls of `step` one by one after `warmup` untimed ones: for latencies of
 * tens of microseconds, where every call is its own sample (W2: median of 2,000 steps).
 */
export async function measureSteps(step: () => void | Promise<void>, steps: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const samples = new Array<number>(steps);
  for (let i = 0; i < steps; i++) {
    const t = now();
    const p = step();
    if (p) await p;
    samples[i] = now() - t;
  }
  return summarise(samples, 1);
}

/** Timing options for calls that must each be a sample, at least `n` of them (W1: >= 20 steps). */
export function perCall(opts: TimingOptions, n: number, budgetMs: number): TimingOptions {
  return { ...opts, minSamples: n, floorSamples: n, maxSamples: Math.max(n, opts.maxSamples), targetSampleMs: 0, budgetMs: Math.max(opts.budgetMs, budgetMs) };
}
