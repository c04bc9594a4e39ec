/**
 * Text generation with the streaming step: the prefix is fed one token at a time with the
 * state carried, then each next token is sampled (or taken greedily) and fed back. Constant
 * work per token.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkNumber, describe } from '../validate/index.js';
import type { Model } from './model.js';

/** Options of {@link generate}. */
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
  /** The logits that produced each generated token. Kept only with `keepLogits`. */
  logits?: Float32Array[];
}

/** Picks the next token from logits. */
export function sample(logits: Float32Array, temperature: number, topK: number | undefined, rng: Random): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
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
export function generateTokens(model: Model, prefix: ArrayLike<number>, options: GenerateOptions, keepLogits = false): Generated {
  const op = 'generate';
  const length = checkInt(op, 'length', options.length, 0, 1e7);
  const temperature = options.greedy ? 0 : checkNumber(op, 'temperature', options.temperature ?? 1, 0, 1e6);
  const topK = options.topK === undefined ? undefined : checkInt(op, 'topK', options.topK, 1);
  const rng = new Random(checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff));
  if (!model.takesTokens || !model.dense) throw new InvalidArgumentError(`${op}: needs a model with an embedding or oneHot input and a dense output`);
  // Each generated id is fed back as the next input: the output must be over the input's tokens.
  const inputTokens = model.input!.vocabSize;
  if (model.outputSize !== inputTokens) {
    throw new InvalidArgumentError(
      `${op}: needs a dense layer with one unit per input token (its outputs are fed back as inputs), got ${model.outputSize} units for ${inputTokens} input token ids`,
    );
  }
  if (typeof prefix !== 'object' || prefix === null || typeof prefix.length !== 'number') {
    throw new InvalidArgumentError(`${op}: argument \`prefix\` expected a string or an array of token ids, got ${describe(prefix)}`);
  }
  if (prefix.length === 0) throw new InvalidArgumentError(`${op}: the prefix must hold at least one token`);
  const exclude = (options.exclude ?? []).map((id, i) => checkInt(op, `exclude[${i}]`, id, 0, model.outputSize - 1));
  if (exclude.length >= model.outputSize) throw new InvalidArgumentError(`${op}: \`exclude\` leaves no token to generate`);
  const state = model.zeroState(1);
  try {
    let logits: Float32Array = new Float32Array(0);
    for (let i = 0; i < prefix.length; i++) logits = model.step([prefix[i]!], state);
    const ids: number[] = [];
    const kept: Float32Array[] = [];
    for (let n = 0; n < length; n++) {
      if (keepLogits) kept.push(logits.slice());
      for (const id of exclude) logits[id] = -Infinity;
      const next = sample(logits, temperature, topK, rng);
      ids.push(next);
      if (n + 1 < length) logits = model.step([next], state);
    }
    return keepLogits ? { ids, logits: kept } : { ids };
  } finally {
    state.dispose();
  }
}

/** Splits text into tokens the way the model's tokenizer does. */
export function tokenize(model: Model, text: string): string[] {
  return model.tokenizer === 'word' ? text.split(/\s+/).filter((t) => t.length > 0) : [...text];
}

/** Generates text after a text prefix with the model's vocabulary. */
export function generateText(model: Model, prefix: string, options: GenerateOptions): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('generate: argument `prefix` expected a string (or token ids)');
  const vocab = model.vocab;
  if (!vocab) throw new InvalidArgumentError('generate: the model has no vocabulary; pass token ids, or give sequential() a `vocab`');
  const ids = vocab.encode(tokenize(model, prefix));
  const out = generateTokens(model, ids, options).ids;
  return vocab.decode(out).join(model.tokenizer === 'word' ? ' ' : '');
}
