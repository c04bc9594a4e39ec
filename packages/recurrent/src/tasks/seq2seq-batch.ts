/**
 * Pairs of an encoder-decoder into a teacher-forced, time-major batch: the source ids (padded
 * with 0, or with `sourcePad`), the decoder's input `[bos, y...]` and labels `[y..., eos]`,
 * the lengths the encoder runs for and the lengths attention may look at.
 */
import type { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import { checkTokenIds } from '../validate/index.js';

/** One source sequence and its target (without `bos` / `eos`). */
export interface Seq2SeqPair {
  source: ArrayLike<number>;
  target: ArrayLike<number>;
}

/** A teacher-forced batch, time-major, ready for the kernels. */
export interface Prepared {
  b: number;
  srcLen: number;
  srcIds: Uint32Array;
  /** Steps the encoder runs per sequence: its own length, or all `srcLen` with `sourcePad`. */
  srcLengths: Uint32Array;
  /** Source positions attention may look at: up to the first `sourcePad` (or the end). */
  maskLengths: Uint32Array;
  tgtLen: number;
  inIds: Uint32Array;
  outIds: Uint32Array;
  tgtLengths: Uint32Array;
}

/** What a batch is checked against. */
export interface BatchRules {
  bos: number;
  eos: number;
  sourceVocab: number;
  targetVocab: number;
  /** The padding id of the d2l convention (the encoder reads padding, attention skips it). */
  sourcePad: number | undefined;
}

/** Pads a list of pairs into a teacher-forced, time-major batch. */
export function prepareBatch(pairs: readonly Seq2SeqPair[], what: string, rules: BatchRules): Prepared {
  if (!Array.isArray(pairs) || pairs.length === 0) throw new InvalidArgumentError(`${what}: expected a non-empty array of { source, target } pairs`);
  const b = pairs.length;
  const srcLengths = new Uint32Array(b);
  const maskLengths = new Uint32Array(b);
  const tgtLengths = new Uint32Array(b);
  const pad = rules.sourcePad;
  pairs.forEach((p, i) => {
    if (!p?.source?.length) throw new InvalidArgumentError(`${what}: pair ${i} expected a non-empty source`);
    if (!p.target || typeof p.target.length !== 'number') throw new InvalidArgumentError(`${what}: pair ${i} expected a target array`);
    srcLengths[i] = p.source.length;
    let valid = p.source.length;
    if (pad !== undefined) {
      valid = Array.prototype.indexOf.call(p.source, pad) as number;
      if (valid === 0) throw new InvalidArgumentError(`${what}: pair ${i}: the source starts with \`sourcePad\` (${pad}); it needs at least one token`);
      if (valid < 0) valid = p.source.length;
    }
    maskLengths[i] = valid;
    tgtLengths[i] = p.target.length + 1;
  });
  const srcLen = Math.max(...srcLengths);
  // With `sourcePad` the encoder reads every step, padding included (d2l's convention).
  if (pad !== undefined) srcLengths.fill(srcLen);
  const tgtLen = Math.max(...tgtLengths);
  const src = new Float64Array(srcLen * b).fill(pad ?? 0);
  const inTokens = new Float64Array(tgtLen * b);
  const outTokens = new Float64Array(tgtLen * b);
  pairs.forEach((p, i) => {
    for (let t = 0; t < p.source.length; t++) src[t * b + i] = p.source[t]!;
    inTokens[i] = rules.bos;
    for (let t = 0; t < p.target.length; t++) {
      inTokens[(t + 1) * b + i] = p.target[t]!;
      outTokens[t * b + i] = p.target[t]!;
    }
    outTokens[p.target.length * b + i] = rules.eos;
  });
  const srcIds = checkTokenIds(`${what} source`, src, rules.sourceVocab);
  const inIds = checkTokenIds(`${what} target`, inTokens, rules.targetVocab);
  const outIds = checkTokenIds(`${what} target`, outTokens, rules.targetVocab);
  return { b, srcLen, srcIds, srcLengths, maskLengths, tgtLen, inIds, outIds, tgtLengths };
}

/** The pairs in `batchSize` chunks, in an order shuffled by `rng`. */
export function* shuffledBatches<T>(items: readonly T[], batchSize: number, rng: Random): Generator<T[]> {
  const order = rng.shuffle(Array.from({ length: items.length }, (_, i) => i));
  for (let i = 0; i < order.length; i += batchSize) yield order.slice(i, i + batchSize).map((k) => items[k]!);
}
