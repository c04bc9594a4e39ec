/**
 * Rules for single values: numbers, choices, flags, names, option bags. Each failure is an
 * {@link InvalidArgumentError} naming the operation, the argument, what was expected and what
 * was received (see {@link describe}).
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_SKIP } from './limits.js';

/** A short description of a received value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/** An integer in [min, max]. */
export function checkInt(op: string, name: string, value: unknown, min: number, max = 0x7fffffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/**
 * The delay of a skip connection through time (`rnn({ skip })`): an integer in [2, MAX_SKIP]
 * (1 would be the recurrent connection itself).
 */
export function checkSkip(op: string, value: unknown): number {
  return checkInt(op, 'skip', value, 2, MAX_SKIP);
}

/** A finite number in [min, max]. */
export function checkNumber(op: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a number in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A finite number > 0. */
export function checkPositive(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a finite number > 0, got ${describe(value)}`);
  }
  return value;
}

/**
 * A global-norm clipping threshold: `undefined` (no clipping) or a number > 0, where
 * `Infinity` also means no clipping. The one rule for every `clipNorm` option.
 */
export function checkClipNorm(op: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new InvalidArgumentError(`${op}: argument \`clipNorm\` expected a number > 0 (Infinity: no clipping), got ${describe(value)}`);
  }
  return value;
}

/** One of the allowed strings. */
export function checkOneOf<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** Throws unless `value` is a non-null object (options bags, batches). */
export function checkObject(op: string, name: string, value: unknown, expected: string): void {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected ${expected}, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a boolean. */
export function checkOptionalBoolean(op: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a boolean, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a function (callbacks). */
export function checkOptionalFunction(op: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a function, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a non-empty string (module names, labels). */
export function checkOptionalName(op: string, name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a non-empty string, got ${describe(value)}`);
  }
}

/**
 * Throws unless every own key of `options` is one of `known` (unknown options are errors, in
 * plain JavaScript too). `suggest` maps names people bring from other libraries to what to
 * write instead (`returnSequences` → `output: 'sequence'`), added to the message.
 */
export function checkKnownKeys(op: string, options: object, known: readonly string[], suggest: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = Object.hasOwn(suggest, key) ? ` (use ${suggest[key]})` : '';
    throw new InvalidArgumentError(`${op}: unknown option \`${key}\`${hint}; the options are ${known.join(', ')}`);
  }
}

/** A closed or open interval for {@link checkRange}. */
export interface Range {
  readonly min: number;
  readonly max: number;
  /** Excludes `min`. Default `false`. */
  readonly minOpen?: boolean;
  /** Excludes `max`. Default `false`. */
  readonly maxOpen?: boolean;
}

/** A finite number in `range` (bounds open or closed, as the range says). */
export function checkRange(op: string, name: string, value: unknown, range: Range): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) &&
    (range.minOpen ? value > range.min : value >= range.min) && (range.maxOpen ? value < range.max : value <= range.max);
  if (!ok) {
    const text = `${range.minOpen ? '(' : '['}${range.min}, ${range.max}${range.maxOpen ? ')' : ']'}`;
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a finite number in ${text}, got ${describe(value)}`);
  }
  return value as number;
}
