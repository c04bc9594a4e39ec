/**
 * Sliding windows over a time series, for forecasting with `fit`: each example is `window`
 * consecutive steps, and its target the `horizon` steps after them (Keras'
 * `timeseries_dataset_from_array` with the targets taken from the series itself).
 */
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkObject, describe } from '../validate/index.js';

/** Options of {@link timeseriesWindows}. */
export interface WindowOptions {
  /** Steps per example. */
  window: number;
  /** Steps to predict after each window. Default `1`. */
  horizon?: number;
  /** Steps between the starts of consecutive windows. Default `1`. */
  stride?: number;
}

/** Windows of a series: `x` `[examples, window, features]`, `y` `[examples, horizon * features]` (a dataset for `fit`). */
export interface Windows {
  x: number[][][];
  y: number[][];
}

/**
 * The windows of `series`: numbers (one feature per step) or `[steps, features]`. Window n
 * starts at step `n * stride`; its target is the `horizon` steps after it, flattened step by step.
 */
export function timeseriesWindows(series: ArrayLike<number> | ArrayLike<ArrayLike<number>>, options: WindowOptions): Windows {
  const op = 'timeseriesWindows';
  checkObject(op, 'options', options, 'an options object { window, horizon, stride }');
  if (typeof series !== 'object' || series === null || typeof series.length !== 'number') {
    throw new InvalidArgumentError(`${op}: argument \`series\` expected an array of numbers or of feature arrays, got ${describe(series)}`);
  }
  const steps = Array.from(series as ArrayLike<number | ArrayLike<number>>, (v, t) => {
    const row = typeof v === 'number' ? [v] : Array.from(v);
    if (!row.every(Number.isFinite)) throw new InvalidArgumentError(`${op}: argument \`series[${t}]\` expected finite numbers, got ${describe(v)}`);
    return row;
  });
  const F = steps[0]?.length ?? 0;
  steps.forEach((r, t) => {
    if (r.length !== F) throw new InvalidArgumentError(`${op}: argument \`series[${t}]\` expected ${F} features (as step 0), got ${r.length}`);
  });
  const window = checkInt(op, 'window', options.window, 1);
  const horizon = checkInt(op, 'horizon', options.horizon ?? 1, 1);
  const stride = checkInt(op, 'stride', options.stride ?? 1, 1);
  if (steps.length < window + horizon) {
    throw new InvalidArgumentError(`${op}: a series of ${steps.length} steps has no window of ${window} steps followed by ${horizon}`);
  }
  const out: Windows = { x: [], y: [] };
  for (let s = 0; s + window + horizon <= steps.length; s += stride) {
    out.x.push(steps.slice(s, s + window));
    out.y.push(steps.slice(s + window, s + window + horizon).flat());
  }
  return out;
}
