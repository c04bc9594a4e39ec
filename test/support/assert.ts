/**
 * The part of `node:assert/strict` the tests use, built on vitest's `expect`, so the same test
 * files run in Node and in browsers (where `node:assert` does not exist). Same semantics as
 * Node's strict mode: `equal` is `Object.is`, `deepEqual` is a strict deep comparison (types,
 * prototypes, `-0` vs `0`, `NaN` equal to itself), and `throws`/`rejects` validate the error
 * with a class, a RegExp (against `String(error)`), an object of expected properties, or a
 * function that must return `true`.
 *
 * A file written for node:test switches by changing its import:
 * `import assert from '../support/assert.js'` (see test/README.md).
 */
import { expect } from 'vitest';

/**
 * What `throws` and `rejects` accept to validate the error (as Node's types: an error class, a
 * RegExp, a function returning `true`, or an object of expected properties).
 */
export type ErrorExpectation = RegExp | (abstract new (...args: never[]) => unknown) | ((thrown: unknown) => boolean) | object;

/** Thrown when an assertion fails; vitest shows its message (and actual/expected, when set). */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly actual: unknown;
  readonly expected: unknown;
  constructor(message: string, details: { actual?: unknown; expected?: unknown } = {}) {
    super(message);
    this.actual = details.actual;
    this.expected = details.expected;
  }
}

export interface Assert {
  /** Truthiness. */
  ok(value: unknown, message?: string): asserts value;
  /** `Object.is(actual, expected)`. */
  equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notEqual(actual: unknown, expected: unknown, message?: string): void;
  /** Strict deep equality (Node's `deepStrictEqual`). */
  deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notDeepEqual(actual: unknown, expected: unknown, message?: string): void;
  match(value: string, pattern: RegExp, message?: string): void;
  doesNotMatch(value: string, pattern: RegExp, message?: string): void;
  fail(message?: string): never;
  /** `fn` must throw, and the error must meet `expected` when given. */
  throws(fn: () => unknown, expected?: ErrorExpectation, message?: string): void;
  /** The promise (or the promise `fn` returns) must reject, and the error meet `expected`. */
  rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: ErrorExpectation, message?: string): Promise<void>;
  /** `fn` must not throw. */
  doesNotThrow(fn: () => unknown, message?: string): void;
  /** The promise must resolve. */
  doesNotReject(promise: Promise<unknown> | (() => Promise<unknown>), message?: string): Promise<void>;
  strictEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notStrictEqual(actual: unknown, expected: unknown, message?: string): void;
  deepStrictEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notDeepStrictEqual(actual: unknown, expected: unknown, message?: string): void;
}

function ok(value: unknown, message?: string): asserts value {
  if (!value) throw new AssertionError(message ?? `expected a truthy value, got ${show(value)}`, { actual: value, expected: true });
}

function equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  expect(actual, message).toBe(expected);
}

function notEqual(actual: unknown, expected: unknown, message?: string): void {
  expect(actual, message).not.toBe(expected);
}

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function bytesOf(view: TypedArray): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Index of the first element whose bytes differ, or -1 (same class and length assumed). */
function firstDifference(a: TypedArray, b: TypedArray): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  const width = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / width);
  return -1;
}

// Node's strict deep equality compares typed arrays by their bytes: bit-exact (NaN payloads and
// -0 count) and fast, where vitest compares element by element with Object.is (NaN payloads
// equal, and slow on arrays of a million floats). This tester applies at every nesting level.
expect.addEqualityTesters([
  function typedArrayBytes(a: unknown, b: unknown): boolean | undefined {
    if (!isTypedArray(a) || !isTypedArray(b)) return undefined;
    return a.constructor === b.constructor && a.byteLength === b.byteLength && firstDifference(a, b) === -1;
  },
]);

function deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (isTypedArray(actual) && isTypedArray(expected)) {
    // A readable verdict without a diff of every element.
    const what = `${actual.constructor.name}(${actual.length}) vs ${expected.constructor.name}(${expected.length})`;
    if (actual.constructor !== expected.constructor || actual.length !== expected.length) {
      throw new AssertionError(`${message ? `${message}: ` : ''}expected deep equality: ${what}`, { actual, expected });
    }
    const i = firstDifference(actual, expected);
    if (i >= 0) {
      throw new AssertionError(`${message ? `${message}: ` : ''}expected deep equality: ${what} differ first at index ${i}: ${actual[i]} vs ${expected[i]}`);
    }
    return;
  }
  expect(actual, message).toStrictEqual(expected);
}

function notDeepEqual(actual: unknown, expected: unknown, message?: string): void {
  expect(actual, message).not.toStrictEqual(expected);
}

function match(value: string, pattern: RegExp, message?: string): void {
  if (typeof value !== 'string') throw new AssertionError(message ?? `expected a string to match ${pattern}, got ${show(value)}`);
  expect(value, message).toMatch(pattern);
}

function doesNotMatch(value: string, pattern: RegExp, message?: string): void {
  if (typeof value !== 'string') throw new AssertionError(message ?? `expected a string not to match ${pattern}, got ${show(value)}`);
  expect(value, message).not.toMatch(pattern);
}

function fail(message = 'Failed'): never {
  throw new AssertionError(message);
}

function throws(fn: () => unknown, expected?: ErrorExpectation, message?: string): void {
  try {
    fn();
  } catch (error) {
    check(error, expected, message, 'throws');
    return;
  }
  throw new AssertionError(message ?? `Missing expected exception${describeExpected(expected)}.`);
}

async function rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: ErrorExpectation, message?: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    check(error, expected, message, 'rejects');
    return;
  }
  throw new AssertionError(message ?? `Missing expected rejection${describeExpected(expected)}.`);
}

function doesNotThrow(fn: () => unknown, message?: string): void {
  try {
    fn();
  } catch (error) {
    throw new AssertionError(`${message ?? 'Got unwanted exception'}: ${show(error)}`, { actual: error });
  }
}

async function doesNotReject(promise: Promise<unknown> | (() => Promise<unknown>), message?: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    throw new AssertionError(`${message ?? 'Got unwanted rejection'}: ${show(error)}`, { actual: error });
  }
}

/** Node's `expectedException`: the rules `throws` and `rejects` validate an error by. */
function check(error: unknown, expected: ErrorExpectation | undefined, message: string | undefined, operator: string): void {
  if (expected === undefined) return;
  const failWith = (why: string): never => {
    throw new AssertionError(message ?? `${operator}: ${why}`, { actual: error, expected });
  };
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) failWith(`the error ${show(error)} does not match ${expected}`);
    return;
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof (expected as abstract new () => unknown)) return;
    if (Object.prototype.isPrototypeOf.call(Error, expected) || expected === Error) {
      failWith(`the error ${show(error)} is not an instance of ${expected.name}`);
    }
    const verdict = (expected as (e: unknown) => unknown)(error);
    if (verdict !== true) failWith(`the validation function returned ${show(verdict)} for the error ${show(error)}`);
    return;
  }
  if (typeof error !== 'object' || error === null) failWith(`the error ${show(error)} is not an object with the expected properties`);
  const actual = error as Record<string, unknown>;
  const wanted = expected as Record<string, unknown>;
  const keys = Object.keys(wanted);
  if (expected instanceof Error) keys.push('name', 'message');
  if (keys.length === 0) throw new TypeError(`${operator}: the expected error object may not be empty`);
  for (const key of keys) {
    const want = wanted[key];
    const got = actual[key];
    if (typeof got === 'string' && want instanceof RegExp && want.test(got)) continue;
    if (!(key in actual)) failWith(`the error ${show(error)} has no property ${JSON.stringify(key)}`);
    expect(got, message ?? `${operator}: property ${JSON.stringify(key)} of the error ${show(error)}`).toStrictEqual(want);
  }
}

function describeExpected(expected: ErrorExpectation | undefined): string {
  if (typeof expected === 'function' && expected.prototype !== undefined && expected.name) return ` (${expected.name})`;
  if (expected instanceof RegExp) return ` (${expected})`;
  return '';
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const assert: Assert = {
  ok,
  equal,
  notEqual,
  deepEqual,
  notDeepEqual,
  match,
  doesNotMatch,
  fail,
  throws,
  rejects,
  doesNotThrow,
  doesNotReject,
  strictEqual: equal,
  notStrictEqual: notEqual,
  deepStrictEqual: deepEqual,
  notDeepStrictEqual: notDeepEqual,
};

export default assert;
