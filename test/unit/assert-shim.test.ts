// The node:assert/strict shim (test/support/assert.ts) that lets the same files run in pages:
// a table of calls with the verdict Node's strict assert gives, checked against the shim
// everywhere and, in Node, against node:assert/strict itself, so the two cannot drift apart.
import * as nodeAssertModule from 'node:assert/strict';
import { describe, test } from 'vitest';

import assert, { type Assert } from '../support/assert.js';
import { inNode } from '../support/env.js';

class CustomError extends Error {
  override name = 'CustomError';
}

const f32 = (...v: number[]) => Float32Array.of(...v);
const nanA = new Float32Array(new Uint32Array([0x7fc00000]).buffer);
const nanB = new Float32Array(new Uint32Array([0x7fc00001]).buffer);
const thrower = (e: unknown) => () => {
  throw e;
};

/** [description, the call, whether it passes]. */
type Case = [string, (a: Assert) => unknown, boolean];

const cases: Case[] = [
  ['ok(1)', (a) => a.ok(1), true],
  ['ok(0)', (a) => a.ok(0), false],
  ['ok("")', (a) => a.ok(''), false],
  ['equal(1, 1)', (a) => a.equal(1, 1), true],
  ['equal(1, "1") is strict', (a) => a.equal(1, '1'), false],
  ['equal(NaN, NaN)', (a) => a.equal(Number.NaN, Number.NaN), true],
  ['equal(0, -0) is Object.is', (a) => a.equal(0, -0), false],
  ['notEqual(1, 2)', (a) => a.notEqual(1, 2), true],
  ['notEqual(1, 1)', (a) => a.notEqual(1, 1), false],
  ['deepEqual of equal objects', (a) => a.deepEqual({ x: [1, { y: 'z' }] }, { x: [1, { y: 'z' }] }), true],
  ['deepEqual with a missing key', (a) => a.deepEqual({ x: 1 }, { x: 1, y: undefined }), false],
  ['deepEqual of different prototypes', (a) => a.deepEqual(Object.create(null), {}), false],
  ['deepEqual of an array and a typed array', (a) => a.deepEqual([1, 2], Int32Array.of(1, 2)), false],
  ['deepEqual of equal Float32Arrays', (a) => a.deepEqual(f32(1, -2.5), f32(1, -2.5)), true],
  ['deepEqual of Float32Arrays with 0 and -0', (a) => a.deepEqual(f32(0), f32(-0)), false],
  ['deepEqual of Float32Arrays with one NaN', (a) => a.deepEqual(nanA, nanA.slice()), true],
  ['deepEqual of Float32Arrays with different NaN payloads', (a) => a.deepEqual(nanA, nanB), false],
  ['deepEqual of Float32Array and Float64Array', (a) => a.deepEqual(f32(1), Float64Array.of(1)), false],
  ['deepEqual of typed arrays nested in objects', (a) => a.deepEqual({ w: f32(1, 2) }, { w: f32(1, 2) }), true],
  ['deepEqual of nested typed arrays that differ', (a) => a.deepEqual({ w: f32(1, 2) }, { w: f32(1, 3) }), false],
  ['deepEqual of Maps', (a) => a.deepEqual(new Map([['a', f32(1)]]), new Map([['a', f32(1)]])), true],
  ['deepEqual of Maps that differ', (a) => a.deepEqual(new Map([['a', 1]]), new Map([['a', 2]])), false],
  ['deepEqual of Sets', (a) => a.deepEqual(new Set([1, 2]), new Set([2, 1])), true],
  ['deepEqual of -0 and 0', (a) => a.deepEqual([-0], [0]), false],
  ['notDeepEqual of [1] and [2]', (a) => a.notDeepEqual([1], [2]), true],
  ['notDeepEqual of [1] and [1]', (a) => a.notDeepEqual([1], [1]), false],
  ['match', (a) => a.match('abc', /b/), true],
  ['match fails', (a) => a.match('abc', /d/), false],
  ['doesNotMatch', (a) => a.doesNotMatch('abc', /d/), true],
  ['doesNotMatch fails', (a) => a.doesNotMatch('abc', /b/), false],
  ['match of a non-string', (a) => a.match(5 as never, /5/), false],
  ['fail', (a) => a.fail('no'), false],
  ['throws with no expectation', (a) => a.throws(thrower(new Error('x'))), true],
  ['throws when nothing is thrown', (a) => a.throws(() => 1), false],
  ['throws with a class', (a) => a.throws(thrower(new CustomError('x')), CustomError), true],
  ['throws with the wrong class', (a) => a.throws(thrower(new Error('x')), CustomError), false],
  ['throws with a RegExp on String(error)', (a) => a.throws(thrower(new CustomError('bad size')), /CustomError: bad/), true],
  ['throws with a RegExp that does not match', (a) => a.throws(thrower(new Error('x')), /y/), false],
  ['throws with a validation function returning true', (a) => a.throws(thrower(new Error('x')), (e) => e instanceof Error), true],
  ['throws with a validation function returning a truthy non-true', (a) => a.throws(thrower(new Error('x')), (() => 1) as never), false],
  ['throws with an object of properties', (a) => a.throws(thrower(new CustomError('abc')), { name: 'CustomError', message: /b/ }), true],
  ['throws with an object whose property differs', (a) => a.throws(thrower(new CustomError('abc')), { name: 'Error' }), false],
  ['doesNotThrow', (a) => a.doesNotThrow(() => 1), true],
  ['doesNotThrow when it throws', (a) => a.doesNotThrow(thrower(new Error('x'))), false],
];

const asyncCases: [string, (a: Assert) => Promise<unknown>, boolean][] = [
  ['rejects with a class', (a) => a.rejects(Promise.reject(new CustomError('x')), CustomError), true],
  ['rejects when it resolves', (a) => a.rejects(Promise.resolve(1)), false],
  ['rejects with a function', (a) => a.rejects(async () => Promise.reject(new Error('late'))), true],
  ['rejects with a RegExp', (a) => a.rejects(Promise.reject(new Error('no file')), /no file/), true],
  ['rejects with a RegExp that does not match', (a) => a.rejects(Promise.reject(new Error('no file')), /nope/), false],
  ['rejects with the identity check', (a) => { const r = new Error('r'); return a.rejects(Promise.reject(r), (e) => e === r); }, true],
  ['doesNotReject', (a) => a.doesNotReject(Promise.resolve(1)), true],
  ['doesNotReject when it rejects', (a) => a.doesNotReject(Promise.reject(new Error('x'))), false],
];

function verdict(call: () => unknown): boolean {
  try {
    call();
    return true;
  } catch {
    return false;
  }
}

async function asyncVerdict(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch {
    return false;
  }
}

describe('the node:assert/strict shim', () => {
  test.each(cases)('%s', (_, call, passes) => {
    assert.equal(verdict(() => call(assert)), passes, 'the shim');
    if (inNode) assert.equal(verdict(() => call(nodeAssertModule.default as unknown as Assert)), passes, 'node:assert/strict');
  });

  test.each(asyncCases)('%s', async (_, call, passes) => {
    assert.equal(await asyncVerdict(() => call(assert)), passes, 'the shim');
    if (inNode) assert.equal(await asyncVerdict(() => call(nodeAssertModule.default as unknown as Assert)), passes, 'node:assert/strict');
  });
});
