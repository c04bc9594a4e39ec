/**
 * Tokenizers of the d2l book (`d2l.tokenize`): characters, or words split on whitespace.
 * Each is a small stateless object: `tokenize` text into tokens, `join` tokens back.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../validate/index.js';

/** Splits text into tokens and joins them back. */
export interface Tokenizer {
  /** `'char'` or `'word'`. */
  readonly level: 'char' | 'word';
  /** The tokens of `text`, in order. */
  tokenize(text: string): string[];
  /** Text from tokens: characters joined with nothing, words with one space. */
  join(tokens: readonly string[]): string;
}

/**
 * One token per character. Characters are Unicode code points, like Python's `list(text)`
 * (an emoji is one token, not two UTF-16 halves).
 */
export const charTokenizer: Tokenizer = Object.freeze({
  level: 'char' as const,
  tokenize(text: string): string[] {
    return Array.from(checkText('charTokenizer.tokenize', text));
  },
  join(tokens: readonly string[]): string {
    return checkTokens('charTokenizer.join', tokens).join('');
  },
});

/**
 * One token per run of non-whitespace, like Python's `text.split()` (no empty tokens).
 * Whitespace is JavaScript's `\s`; it differs from Python's only on rare control characters
 * (`\x1c`-`\x1f`, `\x85`, `\ufeff`), none of which survive `preprocessTimeMachine`.
 */
export const wordTokenizer: Tokenizer = Object.freeze({
  level: 'word' as const,
  tokenize(text: string): string[] {
    return checkText('wordTokenizer.tokenize', text).split(/\s+/).filter((token) => token.length > 0);
  },
  join(tokens: readonly string[]): string {
    return checkTokens('wordTokenizer.join', tokens).join(' ');
  },
});

function checkText(op: string, text: unknown): string {
  if (typeof text !== 'string') throw new InvalidArgumentError(`${op}: argument \`text\` expected a string, got ${describe(text)}`);
  return text;
}

function checkTokens(op: string, tokens: unknown): readonly string[] {
  if (!Array.isArray(tokens)) throw new InvalidArgumentError(`${op}: argument \`tokens\` expected an array of strings, got ${describe(tokens)}`);
  const bad = tokens.findIndex((t) => typeof t !== 'string');
  if (bad >= 0) throw new InvalidArgumentError(`${op}: argument \`tokens\` expected an array of strings, got ${describe(tokens[bad])} at index ${bad}`);
  return tokens as readonly string[];
}
