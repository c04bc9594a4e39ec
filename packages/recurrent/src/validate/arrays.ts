/**
 * Rules for arrays of numbers: finite values, exact lengths, token ids, sequence lengths.
 * Each failure is an {@link InvalidArgumentError} naming the argument, the expected shape or
 * range and the first offending value with its index.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkInt, describe } from './values.js';

/** The index of the first NaN or infinity in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Throws unless every value is finite, naming `what` and the first value that is not. */
export function checkFinite(op: string, what: string, values: ArrayLike<number>): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new InvalidArgumentError(`${op}: ${what} expected finite values, got ${values[i]} at index ${i} (a non-finite value)`);
}

/** Throws unless `value` is an object with an integer `length` (an array or a typed array). */
export function checkArrayLike(op: string, name: string, value: unknown, expected: string): asserts value is ArrayLike<unknown> {
  if (typeof value !== 'object' || value === null || !Number.isSafeInteger((value as { length?: unknown }).length)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected ${expected}, got ${describe(value)}`);
  }
}

/** Whether `buffer` was detached (its memory moved or transferred): then it can no longer back a view. */
export function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  const flag = (buffer as { detached?: unknown }).detached;
  if (typeof flag === 'boolean') return flag;
  // Runtimes without `ArrayBuffer.prototype.detached` (Node 20): only a detached buffer refuses a new view.
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * Throws when `value` is a view whose buffer is gone: wasm memory that grew since the view was
 * taken (which detaches views in the single-threaded build), or a buffer transferred away.
 */
export function checkAttached(op: string, name: string, value: unknown): void {
  if (ArrayBuffer.isView(value) && isDetached(value.buffer)) {
    throw new InvalidArgumentError(
      `${op}: argument \`${name}\` is a view of memory that is gone (wasm memory grew since the view was taken, ` +
        'which detaches views in the single-threaded build); take a new view() or pass a copy',
    );
  }
}

/**
 * `length` finite numbers given as one of `kinds` (typed-array classes) or a plain array;
 * `shape` names the expected shape in messages. Returns `value` as it was given.
 */
export function checkVector(
  op: string,
  name: string,
  value: unknown,
  length: number,
  shape: string,
  kinds: readonly (abstract new (...args: never[]) => ArrayLike<number>)[],
): ArrayLike<number> {
  if (!Array.isArray(value) && !kinds.some((k) => value instanceof k)) {
    const accepted = [...kinds.map((k) => k.name), 'number array'];
    const list = accepted.length > 2 ? `${accepted.slice(0, -1).join(', ')} or ${accepted.at(-1)}` : accepted.join(' or ');
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a ${list} of shape ${shape} (${length} values), got ${describe(value)}`);
  }
  const v = value as ArrayLike<unknown>;
  if (v.length !== length) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected shape ${shape} (${length} values), got ${v.length} values`);
  }
  for (let i = 0; i < length; i++) {
    const e = v[i];
    if (typeof e !== 'number' || !Number.isFinite(e)) {
      throw new InvalidArgumentError(`${op}: argument \`${name}\` expected finite values, got ${describe(e)} at index ${i} (a non-finite value)`);
    }
  }
  return v as ArrayLike<number>;
}

/** A Float32Array (or number array) of exactly `length` finite elements, as a Float32Array. */
export function checkFloats(op: string, name: string, value: unknown, length: number, shape: string): Float32Array {
  const v = checkVector(op, name, value, length, shape, [Float32Array]);
  if (v instanceof Float32Array) return v;
  const floats = Float32Array.from(v);
  // A number array may hold values beyond f32's range: they become infinite here.
  checkFinite(op, `argument \`${name}\``, floats);
  return floats;
}

/**
 * Valid steps of each of `batch` sequences, integers in [1, seqLen], as the kernels take them;
 * `undefined` (every sequence is `seqLen` long) gives an empty array.
 */
export function checkLengths(op: string, lengths: unknown, batch: number, seqLen: number): Uint32Array {
  if (lengths === undefined) return new Uint32Array(0);
  if (typeof lengths !== 'object' || lengths === null || (lengths as { length?: unknown }).length !== batch) {
    const got = typeof lengths === 'object' && lengths !== null ? `${String((lengths as { length?: unknown }).length)} values` : describe(lengths);
    throw new InvalidArgumentError(`${op}: argument \`lengths\` expected ${batch} integers in [1, ${seqLen}] (one per sequence), got ${got}`);
  }
  const given = lengths as ArrayLike<unknown>;
  const out = new Uint32Array(batch);
  for (let b = 0; b < batch; b++) out[b] = checkInt(op, `lengths[${b}]`, given[b], 1, seqLen);
  return out;
}

/**
 * Token ids in [0, vocabSize) as the kernels take them. `what` names the array (`step x`,
 * `Seq2Seq.trainStep source`); `skip(i)` marks entries not read (padding), stored as 0.
 */
export function checkTokenIds(what: string, tokens: ArrayLike<unknown>, vocabSize: number, skip?: (i: number) => boolean): Uint32Array {
  const out = new Uint32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    if (skip?.(i)) continue;
    const t = tokens[i];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new InvalidArgumentError(`${what}: token id at index ${i} expected an integer in [0, ${vocabSize - 1}] (the vocabulary), got ${String(t)}`);
    }
    out[i] = t;
  }
  return out;
}
