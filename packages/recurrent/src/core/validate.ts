/** Argument checks shared by the TS API: each failure names the argument, the expected and the received value. */
import { InvalidArgumentError } from '../errors.js';

/** An integer in [min, max]. */
export function checkInt(op: string, name: string, value: unknown, min: number, max = 0x7fffffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function checkNumber(op: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a number in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A Float32Array (or number array) of exactly `length` finite elements, as a Float32Array. */
export function checkFloats(op: string, name: string, value: unknown, length: number, shape: string): Float32Array {
  if (!(value instanceof Float32Array) && !Array.isArray(value)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a Float32Array of shape ${shape} (${length} values), got ${describe(value)}`);
  }
  if (value.length !== length) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected shape ${shape} (${length} values), got ${value.length} values`);
  }
  const floats = value instanceof Float32Array ? value : Float32Array.from(value as number[]);
  const bad = floats.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected finite values, got ${floats[bad]} at index ${bad}`);
  }
  return floats;
}

/** One of the allowed strings. */
export function checkOneOf<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

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
