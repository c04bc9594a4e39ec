/**
 * Generation over a streaming interface: anything that starts from a zero state and maps a
 * batch of token ids to scores over the same ids, one step at a time ({@link TokenStream}:
 * a language model, the decoder of an encoder-decoder). The prefix is fed one token at a
 * time with the state carried, then each next token is sampled (or taken greedily) and fed
 * back. Constant work per token: nothing before is recomputed.
 */
import { Random } from '../data/random.js';
import type { Vocab } from '../data/vocab.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkNumber, checkObject, describe } from '../validate/index.js';

/**
 * What generation needs of a model: `V = outputSize` scores per sequence for a step that
 * reads token ids in [0, V), from a state made by `zeroState`. A `Model` with a token input
 * and a dense layer over the same tokens is one.
 */
export interface TokenStream<S extends { dispose(): void }> {
  /** V: the scores `step` returns per sequence, one per token id it reads. */
  readonly outputSize: number;
  /** Names the V tokens (text in and out); optional. */
  readonly vocab?: Vocab | undefined;
  /** How text splits into tokens: `'char'` (default) or `'word'`. */
  readonly tokenizer?: 'char' | 'word';
  /** A zero state for `batchSize` sequences (disposed by the caller). */
  zeroState(batchSize: number): S;
  /** Reads one token id per sequence, advances `state`, and returns the scores `[B, V]`. */
  step(ids: ArrayLike<number>, state: S): Float32Array;
}

/** Options of {@link generateTokens}. */
export interface GenerateOptions {
  /** Tokens to generate after the prefix. */
  length: number;
  /** Softmax temperature; `0` means greedy (arg-max, first on ties). Default `1`. */
  temperature?: number;
  /** Sample only among the `topK` most likely tokens. Default: all. */
  topK?: number;
  /** Seed of the sampling. Default `0`. */
  seed?: number;
  /** Same as `temperature: 0`. Default `false`. */
  greedy?: boolean;
  /** Token ids never to generate (e.g. `<unk>`, which stands for no character). Default none. */
  exclude?: readonly number[];
}

/** What {@link generateTokens} returns. */
export interface Generated {
  /** The generated token ids (without the prefix). */
  ids: number[];
  /** The scores that produced each generated token. Kept only with `keepLogits`. */
  logits?: Float32Array[];
}

/** The first index of the largest score (ties: the first). */
function argmax(scores: ArrayLike<number>, from = 0, to = scores.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (scores[i]! > scores[best]!) best = i;
  return best - from;
}

/** Picks the next token from logits. */
export function sample(logits: Float32Array, temperature: number, topK: number | undefined, rng: Random): number {
  if (temperature === 0) return argmax(logits);
  let order = Array.from(logits.keys());
  if (topK !== undefined && topK < logits.length) {
    order.sort((a, b) => logits[b]! - logits[a]! || a - b);
    order = order.slice(0, topK);
  }
  let max = -Infinity;
  for (const i of order) max = Math.max(max, logits[i]!);
  const weights = order.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.nextFloat() * total;
  for (let j = 0; j < order.length; j++) {
    r -= weights[j]!;
    if (r < 0) return order[j]!;
  }
  return order[order.length - 1]!;
}

/** Generates `length` token ids after the prefix ids. */
export function generateTokens<S extends { dispose(): void }>(stream: TokenStream<S>, prefix: ArrayLike<number>, options: GenerateOptions, keepLogits = false): Generated {
  const op = 'generate';
  checkObject(op, 'options', options, '{ length, temperature?, topK?, seed? }');
  const length = checkInt(op, 'length', options.length, 0, 1e7);
  const temperature = options.greedy ? 0 : checkNumber(op, 'temperature', options.temperature ?? 1, 0, 1e6);
  const topK = options.topK === undefined ? undefined : checkInt(op, 'topK', options.topK, 1);
  const rng = new Random(checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff));
  if (typeof prefix !== 'object' || prefix === null || typeof prefix.length !== 'number') {
    throw new InvalidArgumentError(`${op}: argument \`prefix\` expected a string or an array of token ids, got ${describe(prefix)}`);
  }
  if (prefix.length === 0) throw new InvalidArgumentError(`${op}: the prefix must hold at least one token`);
  const V = stream.outputSize;
  const exclude = (options.exclude ?? []).map((id, i) => checkInt(op, `exclude[${i}]`, id, 0, V - 1));
  if (exclude.length >= V) throw new InvalidArgumentError(`${op}: \`exclude\` leaves no token to generate`);
  const state = stream.zeroState(1);
  try {
    let logits: Float32Array = new Float32Array(0);
    for (let i = 0; i < prefix.length; i++) logits = stream.step([prefix[i]!], state);
    const ids: number[] = [];
    const kept: Float32Array[] = [];
    for (let n = 0; n < length; n++) {
      if (keepLogits) kept.push(logits.slice());
      for (const id of exclude) logits[id] = -Infinity;
      const next = sample(logits, temperature, topK, rng);
      ids.push(next);
      if (n + 1 < length) logits = stream.step([next], state);
    }
    return keepLogits ? { ids, logits: kept } : { ids };
  } finally {
    state.dispose();
  }
}

/** Splits text into tokens the way the stream's tokenizer does. */
export function tokenize(stream: { readonly tokenizer?: 'char' | 'word' }, text: string): string[] {
  return stream.tokenizer === 'word' ? text.split(/\s+/).filter((t) => t.length > 0) : [...text];
}

/** Generates text after a text prefix with the stream's vocabulary. */
export function generateText<S extends { dispose(): void }>(stream: TokenStream<S>, prefix: string, options: GenerateOptions): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('generate: argument `prefix` expected a string (or token ids)');
  const vocab = stream.vocab;
  if (!vocab) throw new InvalidArgumentError('generate: the model has no vocabulary; pass token ids, or give sequential() a `vocab`');
  const ids = vocab.encode(tokenize(stream, prefix));
  const out = generateTokens(stream, ids, options).ids;
  return vocab.decode(out).join(stream.tokenizer === 'word' ? ' ' : '');
}

/**
 * Greedy decoding of `start.length` sequences at once from `state` (which the caller made,
 * e.g. from an encoder, and disposes): each step feeds back every sequence's arg-max, until
 * each has produced `end` (not included) or `maxLength` tokens.
 */
export function greedyDecode<S extends { dispose(): void }>(stream: TokenStream<S>, state: S, start: readonly number[], options: { maxLength: number; end?: number }): number[][] {
  const B = start.length;
  const V = stream.outputSize;
  const out: number[][] = Array.from({ length: B }, () => []);
  const done = new Uint8Array(B);
  let left = B;
  let tokens = start.slice();
  for (let t = 0; t < options.maxLength && left > 0; t++) {
    const scores = stream.step(tokens, state);
    tokens = tokens.map((_, b) => {
      const best = argmax(scores, b * V, (b + 1) * V);
      if (!done[b]) {
        if (best === options.end) {
          done[b] = 1;
          left--;
        } else {
          out[b]!.push(best);
        }
      }
      return best;
    });
  }
  return out;
}
