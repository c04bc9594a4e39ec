/**
 * Parsers of flag values for commander: each returns the value or throws commander's
 * InvalidArgumentError, which it reports as `option '--x <n>' argument 'y' is invalid. <why>`.
 */
import { InvalidArgumentError } from 'commander';

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `Expected an integer >= ${min}.` : `Expected an integer in [${min}, ${max}].`);
    }
    return n;
  };
}

/** A finite number in [min, max] (`minExclusive`: strictly above min). */
export function number(min: number, max = Infinity, minExclusive = false): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (minExclusive && n === min)) {
      const low = `${minExclusive ? '>' : '>='} ${min}`;
      throw new InvalidArgumentError(max === Infinity ? `Expected a number ${low}.` : `Expected a number ${low} and <= ${max}.`);
    }
    return n;
  };
}

/** `auto` or an integer thread count in [1, 256]. */
export function threads(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError("Expected 'auto' or an integer in [1, 256].");
  return n;
}

/** A file path: any non-empty string (an empty one would only fail after the work is done). */
export function filePath(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError('Expected a non-empty path.');
  return value;
}
