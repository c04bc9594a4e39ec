/**
 * Free-running decoding of an encoder-decoder (`Seq2Seq.translate`): chunks of sources, each
 * encoded once (into K rows per source for a beam), then greedy or beam decoding over the
 * decoder's {@link TokenStream}: the decoder model itself, or with attention the attention
 * half's stream, whose state holds the encoder's outputs. The attention weights returned on
 * request are those of a teacher-forced pass over the decoded tokens: the same states the
 * decoding went through, so the same weights, without tracking them per beam hypothesis.
 */
import { InvalidArgumentError } from '../errors.js';
import { beamDecode } from '../model/beam.js';
import { greedyDecode } from '../model/generate.js';
import type { Model } from '../model/model.js';
import { checkInt, checkKnownKeys, checkNumber, checkObject, checkOptionalBoolean } from '../validate/index.js';
import type { AttentionHalf, Encoded } from './seq2seq-attention.js';
import type { Prepared, Seq2SeqPair } from './seq2seq-batch.js';

/** Options of `Seq2Seq.translate`. */
export interface TranslateOptions {
  /** Tokens at most per translation (`eos` not counted). Default `100`. */
  maxLength?: number;
  /** Sources per decoding batch. Default `256`. */
  batchSize?: number;
  /** Hypotheses kept per source (1: greedy). Default `1`. */
  beamWidth?: number;
  /** GNMT's length-normalisation alpha, for beams. Default `0`. */
  lengthPenalty?: number;
  /**
   * Also return each translation's attention weights (models with `attention` only): one row
   * per produced token (the weights it was produced with), one column per source token.
   * Default `false`.
   */
  returnAttention?: boolean;
}

const OPTIONS: readonly (keyof TranslateOptions)[] = ['maxLength', 'batchSize', 'beamWidth', 'lengthPenalty', 'returnAttention'];

/** What `Seq2Seq.translate` returns with `returnAttention`. */
export interface Translations {
  /** The target ids per source, as without `returnAttention`. */
  tokens: number[][];
  /** Per source, `[tokens.length][source.length]` weights; each row sums to 1 over the source. */
  attention: number[][][];
}

/** What decoding needs of a `Seq2Seq`. */
export interface TranslateParts {
  encoder: Model;
  decoder: Model;
  attention: AttentionHalf | undefined;
  bos: number;
  eos: number;
  prepare(pairs: Seq2SeqPair[]): Prepared;
}

export function translate(m: TranslateParts, sources: readonly ArrayLike<number>[], options: TranslateOptions): number[][] | Translations {
  const op = 'Seq2Seq.translate';
  if (!Array.isArray(sources)) throw new InvalidArgumentError(`${op}: argument \`sources\` expected an array of token-id arrays`);
  checkObject(op, 'options', options, 'an options object');
  checkKnownKeys(op, options, OPTIONS);
  const maxLength = checkInt(op, 'maxLength', options.maxLength ?? 100, 1);
  const chunk = checkInt(op, 'batchSize', options.batchSize ?? 256, 1);
  const beamWidth = checkInt(op, 'beamWidth', options.beamWidth ?? 1, 1, 1024);
  const lengthPenalty = checkNumber(op, 'lengthPenalty', options.lengthPenalty ?? 0, 0, 10);
  checkOptionalBoolean(op, 'returnAttention', options.returnAttention);
  const withWeights = options.returnAttention === true;
  if (withWeights && !m.attention) throw new InvalidArgumentError(`${op}: option \`returnAttention\` needs a model built with \`attention\``);
  const tokens: number[][] = [];
  const attention: number[][][] = [];
  for (let i = 0; i < sources.length; i += chunk) {
    const part = sources.slice(i, i + chunk);
    const out = decode(m, part, maxLength, beamWidth, lengthPenalty);
    tokens.push(...out);
    if (withWeights) attention.push(...weights(m, m.attention!, part, out));
  }
  return withWeights ? { tokens, attention } : tokens;
}

/** The encoder's outputs `[S, B, H]` and final state for a prepared batch (no gradient). */
function encode(m: TranslateParts, p: Prepared): { enc: Float32Array; state: Encoded } {
  const s = m.encoder.zeroState(p.b);
  try {
    const enc = m.encoder.predict(p.srcIds, { seqLen: p.srcLen, batchSize: p.b, lengths: p.srcLengths, state: s });
    return { enc, state: s.get(0) };
  } finally {
    s.dispose();
  }
}

/** Greedy (K = 1) or beam decoding of one chunk; for a beam each source is encoded into its K rows. */
function decode(m: TranslateParts, sources: readonly ArrayLike<number>[], maxLength: number, K: number, lengthPenalty: number): number[][] {
  const repeated = K === 1 ? sources : sources.flatMap((s) => new Array<ArrayLike<number>>(K).fill(s));
  const p = m.prepare(repeated.map((s) => ({ source: s, target: [] })));
  const first = new Array<number>(sources.length).fill(m.bos);
  const { enc, state } = encode(m, p);
  if (m.attention) {
    const stream = m.attention.stream();
    const s = m.attention.startState(enc, p.srcLen, p.maskLengths, state);
    try {
      if (K === 1) return greedyDecode(stream, s, first, { maxLength, end: m.eos });
      return beamDecode(stream, s, first, { beamWidth: K, maxLength, end: m.eos, lengthPenalty });
    } finally {
      m.attention.release();
    }
  }
  const decState = m.decoder.zeroState(p.b);
  try {
    decState.set(0, state);
    if (K === 1) return greedyDecode(m.decoder, decState, first, { maxLength, end: m.eos });
    return beamDecode(m.decoder, decState, first, { beamWidth: K, maxLength, end: m.eos, lengthPenalty });
  } finally {
    decState.dispose();
  }
}

/** The weights `[tokens][source]` each decoded token was produced with, per source. */
function weights(m: TranslateParts, attn: AttentionHalf, sources: readonly ArrayLike<number>[], out: number[][]): number[][][] {
  const p = m.prepare(sources.map((source, i) => ({ source, target: out[i]! })));
  const { enc, state } = encode(m, p);
  const { alpha } = attn.forced(p, enc, state);
  const [B, S] = [p.b, p.srcLen];
  return out.map((tokens, b) =>
    tokens.map((_, t) => Array.from(alpha.subarray((t * B + b) * S, (t * B + b) * S + sources[b]!.length))),
  );
}

/** What `Seq2Seq.teacherForced` returns: time-major outputs of every target step. */
export interface TeacherForced {
  /** Target steps T (the longest target + 1, for `eos`), sources B, source steps S. */
  tgtLen: number;
  batch: number;
  srcLen: number;
  /** `[T, B, V]` the decoder's logits at every step. */
  logits: Float32Array;
  /** `[T, B, S]` the attention weights of every step (attention models). */
  attention?: Float32Array;
}

/** The decoder's outputs over `pairs` with teacher forcing (no gradient). */
export function teacherForced(m: TranslateParts, pairs: Seq2SeqPair[]): TeacherForced {
  const p = m.prepare(pairs);
  const { enc, state } = encode(m, p);
  const shape = { tgtLen: p.tgtLen, batch: p.b, srcLen: p.srcLen };
  if (m.attention) {
    const { logits, alpha } = m.attention.forced(p, enc, state);
    return { ...shape, logits, attention: alpha };
  }
  const s = m.decoder.zeroState(p.b);
  try {
    s.set(0, state);
    return { ...shape, logits: m.decoder.predict(p.inIds, { seqLen: p.tgtLen, batchSize: p.b, lengths: p.tgtLengths, state: s }) };
  } finally {
    s.dispose();
  }
}
