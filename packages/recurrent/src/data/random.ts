/**
 * A small seeded pseudo-random generator (mulberry32: 32 bits of state, period 2^32) for
 * everything in `data/` that draws numbers: the batch iterators' random offsets and shuffles.
 * The same seed gives the same sequence on every runtime. Not for cryptography.
 */
import { InvalidArgumentError } from '../errors.js';

const TWO_POW_32 = 4294967296;

/** What {@link Random.shuffle} accepts: a plain array or a numeric typed array. */
export type ShuffleableArray =
  | unknown[]
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export class Random {
  #state: number;

  /**
   * A generator started from `seed`, any safe integer (negative and values of more than
   * 32 bits are folded into the 32-bit state, so different seeds can meet only beyond 2^32).
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(`Random: argument \`seed\` expected a safe integer, got ${String(seed)}`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    this.#state = (low ^ Math.imul(high, 0x9e3779b9)) >>> 0;
  }

  /** A generator seeded from `Math.random()`: not reproducible. */
  static unseeded(): Random {
    return new Random(Math.floor(Math.random() * TWO_POW_32));
  }

  /** The next 32-bit unsigned integer, uniform in [0, 2^32). */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float uniform in [0, 1), with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /**
   * An integer uniform in [0, n), without modulo bias (rejection sampling). `n` is an
   * integer in [1, 2^32].
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new InvalidArgumentError(`Random.nextInt: argument \`n\` expected an integer in [1, 2^32], got ${String(n)}`);
    }
    // The largest multiple of n that fits in 32 bits; draws at or above it are redrawn.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /**
   * Shuffles `array` in place (Fisher-Yates from the end, as Python's `random.shuffle`:
   * for i = n-1 down to 1, swap i with `nextInt(i + 1)`) and returns it.
   */
  shuffle<A extends ShuffleableArray>(array: A): A {
    const a = array as unknown as { [index: number]: unknown; length: number };
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return array;
  }
}
