/**
 * A token <-> id table built the way the d2l book's `Vocab` (chapter 8, the edition the
 * fixtures follow) builds it:
 *
 *   id 0            `<unk>` (every unknown token encodes to it)
 *   ids 1..r        `reservedTokens`, in the order given
 *   then            every other token seen at least `minFreq` times, by descending frequency,
 *                   ties in order of first appearance (Python's stable `sorted(...,
 *                   reverse=True)` over a `Counter`, which keeps insertion order)
 *
 * On the preprocessed Time Machine at the character level this gives the fixtures' 28 tokens
 * `["<unk>", " ", "e", "t", "a", "i", ...]`.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../validate/index.js';

/** The unknown token, always id 0. */
export const UNK_TOKEN = '<unk>';

/** Options of the {@link Vocab} constructor. */
export interface VocabOptions {
  /** Tokens seen fewer times than this are left out (they encode to `<unk>`). Default `0`. */
  minFreq?: number;
  /** Tokens given ids 1, 2, ... right after `<unk>`, e.g. `['<pad>', '<bos>', '<eos>']`. Default `[]`. */
  reservedTokens?: readonly string[];
}

/** What {@link Vocab.toJSON} returns and {@link Vocab.fromJSON} reads: the tokens by id. */
export interface VocabJSON {
  tokens: string[];
}

/**
 * Every distinct token of `tokens` with its count, by descending count, ties in order of
 * first appearance. `tokens` is a flat sequence of tokens or a sequence of lines of tokens
 * (d2l's `count_corpus` accepts both).
 */
export function tokenFrequencies(tokens: Iterable<string | readonly string[]>): [token: string, count: number][] {
  return countTokens(tokens, 'tokenFrequencies');
}

/** Whitespace between two other characters: a string holding it is several words, not one token. */
const SEVERAL_WORDS = /\S\s+\S/;

function countTokens(tokens: Iterable<string | readonly string[]>, caller: string): [token: string, count: number][] {
  const counts = new Map<string, number>();
  let index = 0;
  const add = (token: unknown): void => {
    if (typeof token !== 'string') {
      throw new InvalidArgumentError(`${caller}: argument \`tokens\` expected strings or arrays of strings, got ${describe(token)}`);
    }
    if (SEVERAL_WORDS.test(token)) {
      // Almost always lines of text passed where tokens were meant: each line would become one
      // token, and encoding any text would then give only <unk>.
      throw new InvalidArgumentError(
        `${caller}: argument \`tokens\` expected tokens, got ${describe(token)} (item ${index}), which holds several words: ` +
          'a line of text is not a token. For a character vocabulary pass the text itself (a string: new Vocab(lines.join(\'\\n\'))) ' +
          'or lines split into characters (lines.map((l) => [...l])); for a word vocabulary pass lines split into words ' +
          '(lines.map((l) => wordTokenizer.tokenize(l)))',
      );
    }
    counts.set(token, (counts.get(token) ?? 0) + 1);
  };
  const value: unknown = tokens;
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null || !(Symbol.iterator in value))) {
    throw new InvalidArgumentError(`${caller}: argument \`tokens\` expected an iterable of tokens, got ${describe(value)}`);
  }
  for (const item of tokens) {
    if (typeof item === 'string') add(item);
    else if (Array.isArray(item)) for (const token of item) add(token);
    else add(item);
    index++;
  }
  // Map iteration order is insertion order (first appearance); Array.prototype.sort is stable.
  return Array.from(counts).sort((a, b) => b[1] - a[1]);
}

export class Vocab {
  #tokens: string[];
  #ids: Map<string, number>;

  /**
   * Builds the vocabulary of `tokens`: a flat sequence of tokens, or lines of tokens (arrays).
   * Each element of an array is one token, so a word vocabulary is built from words
   * (`new Vocab(wordTokenizer.tokenize(text))`); a string argument counts as its characters,
   * so `new Vocab(text)` is a character vocabulary.
   *
   * Lines of text are not tokens: an element holding several words (whitespace between two
   * other characters, e.g. `'the time machine'`) is refused, because each line would become
   * one token and encoding any text would give only `<unk>`. Pass `new Vocab(lines.join('\n'))`
   * or `lines.map((l) => [...l])` for characters, `lines.map((l) => wordTokenizer.tokenize(l))`
   * for words.
   *
   * Throws {@link InvalidArgumentError} on such an element or a non-string one, when
   * `minFreq` is not a number >= 0, or when `reservedTokens` repeats a token or contains `<unk>`.
   */
  constructor(tokens: Iterable<string | readonly string[]> = [], options: VocabOptions = {}) {
    const minFreq = options.minFreq ?? 0;
    if (typeof minFreq !== 'number' || !(minFreq >= 0)) {
      throw new InvalidArgumentError(`Vocab: option \`minFreq\` expected a number >= 0, got ${describe(minFreq)}`);
    }
    const reserved = options.reservedTokens ?? [];
    if (!Array.isArray(reserved)) {
      throw new InvalidArgumentError(`Vocab: option \`reservedTokens\` expected an array of strings, got ${describe(reserved)}`);
    }
    const list = [UNK_TOKEN];
    const ids = new Map<string, number>([[UNK_TOKEN, 0]]);
    for (const token of reserved as unknown[]) {
      if (typeof token !== 'string') {
        throw new InvalidArgumentError(`Vocab: option \`reservedTokens\` expected strings, got ${describe(token)}`);
      }
      if (token === UNK_TOKEN) {
        throw new InvalidArgumentError(`Vocab: option \`reservedTokens\` expected tokens other than '${UNK_TOKEN}' (always id 0), got '${UNK_TOKEN}'`);
      }
      if (ids.has(token)) {
        throw new InvalidArgumentError(`Vocab: option \`reservedTokens\` expected distinct tokens, got ${JSON.stringify(token)} twice`);
      }
      ids.set(token, list.length);
      list.push(token);
    }
    for (const [token, count] of countTokens(tokens, 'Vocab')) {
      if (count < minFreq) break;
      if (!ids.has(token)) {
        ids.set(token, list.length);
        list.push(token);
      }
    }
    this.#tokens = list;
    this.#ids = ids;
  }

  /**
   * A vocabulary from its tokens by id: a {@link VocabJSON} (`{ tokens }`) or a plain array
   * (like the `vocab` field of a PyTorch model's `meta.json`). Token 0 must be `<unk>` and
   * tokens must be distinct strings.
   */
  static fromJSON(json: VocabJSON | readonly string[]): Vocab {
    const value: unknown = json;
    const tokens: unknown = Array.isArray(value)
      ? value
      : typeof value === 'object' && value !== null && Object.hasOwn(value, 'tokens')
        ? (value as { tokens: unknown }).tokens
        : undefined;
    if (!Array.isArray(tokens)) {
      throw new InvalidArgumentError(`Vocab.fromJSON: argument \`json\` expected { tokens: string[] } or string[], got ${describe(value)}`);
    }
    if (tokens[0] !== UNK_TOKEN) {
      throw new InvalidArgumentError(`Vocab.fromJSON: expected token 0 to be '${UNK_TOKEN}', got ${describe(tokens[0])}`);
    }
    const ids = new Map<string, number>();
    tokens.forEach((token: unknown, id) => {
      if (typeof token !== 'string') {
        throw new InvalidArgumentError(`Vocab.fromJSON: expected token ${id} to be a string, got ${describe(token)}`);
      }
      if (ids.has(token)) {
        throw new InvalidArgumentError(
          `Vocab.fromJSON: expected distinct tokens, got ${JSON.stringify(token)} at ids ${ids.get(token)} and ${id}`,
        );
      }
      ids.set(token, id);
    });
    const vocab = new Vocab();
    vocab.#tokens = (tokens as string[]).slice();
    vocab.#ids = ids;
    return vocab;
  }

  /** Number of tokens, `<unk>` included. */
  get size(): number {
    return this.#tokens.length;
  }

  /** The id of `<unk>`: 0. */
  get unkId(): number {
    return 0;
  }

  /** The tokens by id (a copy). */
  get tokens(): string[] {
    return this.#tokens.slice();
  }

  /** Whether `token` has its own id (`<unk>` has). */
  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** The id of `token`, or 0 (`<unk>`) when it has none. */
  idOf(token: string): number {
    return this.#ids.get(token) ?? 0;
  }

  /** The token of `id`. Throws {@link InvalidArgumentError} unless 0 <= id < size. */
  tokenOf(id: number): string {
    const token = Number.isInteger(id) ? this.#tokens[id] : undefined;
    if (token === undefined) {
      throw new InvalidArgumentError(`Vocab.tokenOf: argument \`id\` expected an integer in [0, ${this.size}), got ${describe(id)}`);
    }
    return token;
  }

  /**
   * The ids of `tokens` (unknown tokens give 0). A string argument counts as its characters
   * (for a word vocabulary, tokenize first).
   */
  encode(tokens: Iterable<string>): Int32Array {
    const value: unknown = tokens;
    if (typeof value !== 'string' && (typeof value !== 'object' || value === null || !(Symbol.iterator in value))) {
      throw new InvalidArgumentError(`Vocab.encode: argument \`tokens\` expected a string or an iterable of string tokens, got ${describe(value)}`);
    }
    const id = (token: unknown, i: number): number => {
      if (typeof token !== 'string') {
        throw new InvalidArgumentError(`Vocab.encode: argument \`tokens\` expected string tokens, got ${describe(token)} at index ${i}`);
      }
      return this.#ids.get(token) ?? 0;
    };
    if (Array.isArray(tokens)) {
      const out = new Int32Array(tokens.length);
      for (let i = 0; i < tokens.length; i++) out[i] = id(tokens[i], i);
      return out;
    }
    const out: number[] = [];
    for (const token of tokens) out.push(id(token, out.length));
    return Int32Array.from(out);
  }

  /** The tokens of `ids`. Throws {@link InvalidArgumentError} on an id outside [0, size). */
  decode(ids: Iterable<number> | ArrayLike<number>): string[] {
    const value: unknown = ids;
    const iterable = typeof value === 'object' && value !== null && Symbol.iterator in value;
    const arrayLike = typeof value === 'object' && value !== null && Number.isSafeInteger((value as { length?: unknown }).length);
    if (!iterable && !arrayLike) {
      throw new InvalidArgumentError(`Vocab.decode: argument \`ids\` expected an array or iterable of integer ids, got ${describe(value)}`);
    }
    const list = iterable ? Array.from(ids as Iterable<number>) : Array.from(ids as ArrayLike<number>);
    const out = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      const id = list[i] as number;
      const token = Number.isInteger(id) ? this.#tokens[id] : undefined;
      if (token === undefined) {
        throw new InvalidArgumentError(
          `Vocab.decode: argument \`ids\` expected integers in [0, ${this.size}), got ${describe(id)} at index ${i}`,
        );
      }
      out[i] = token;
    }
    return out;
  }

  /** `{ tokens }`: the tokens by id, for saving with a model (read back by {@link Vocab.fromJSON}). */
  toJSON(): VocabJSON {
    return { tokens: this.#tokens.slice() };
  }
}
