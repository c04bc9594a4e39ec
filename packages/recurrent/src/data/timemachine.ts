/**
 * "The Time Machine" (H. G. Wells), the corpus of the d2l book's language-model chapters,
 * shipped in the package (`datasets/timemachine.txt`, public domain) and loaded the way
 * `d2l.load_corpus_time_machine` loads it.
 */
import { InvalidArgumentError } from '../errors.js';
import { type PathOrUrl, readText } from '../io/files.js';
import { preprocessTimeMachine } from './preprocess.js';
import { charTokenizer, wordTokenizer } from './tokenizer.js';
import { Vocab } from './vocab.js';

/** Options of {@link loadTimeMachine}. */
export interface TimeMachineOptions {
  /** `'char'` (default): one token per character; `'word'`: one per word. */
  level?: 'char' | 'word';
  /**
   * Keep only the first `maxTokens` ids of the corpus (d2l's `max_tokens`); the vocabulary is
   * still built from the whole text. Default: all.
   */
  maxTokens?: number;
  /** Passed to {@link Vocab}. Default `0`. */
  minFreq?: number;
  /** Passed to {@link Vocab}. Default `[]`. */
  reservedTokens?: readonly string[];
  /**
   * Where to read the text from, for apps that serve the file themselves (a path in Node, or
   * a URL). Default: the copy shipped in the package's `datasets/` folder.
   */
  source?: PathOrUrl;
}

/** What {@link loadTimeMachine} returns. */
export interface TimeMachine {
  /**
   * The preprocessed text: letters and single spaces, lowercase; lines joined with no
   * separator at the char level (as d2l's corpus is), with one space at the word level.
   */
  text: string;
  /** The token ids of the whole text (or its first `maxTokens`). */
  corpus: Int32Array;
  /** The vocabulary the ids refer to. */
  vocab: Vocab;
}

/**
 * Reads and prepares "The Time Machine": d2l's preprocessing (see `preprocessTimeMachine`),
 * tokenized by character (default) or word, a {@link Vocab} of the tokens, and the corpus of
 * their ids. At the char level the corpus has 170,580 ids and the vocabulary 28 tokens
 * (`<unk>`, space, `e`, `t`, `a`, `i`, ...); at the word level 32,775 ids and 4,580 tokens.
 *
 * In Node the file is read from the package folder; in browsers it is fetched from
 * `new URL('../../datasets/timemachine.txt', import.meta.url)` (bundlers that handle this
 * pattern, like Vite, copy the file), or from `options.source`.
 */
export async function loadTimeMachine(options: TimeMachineOptions = {}): Promise<TimeMachine> {
  const level = options.level ?? 'char';
  if (level !== 'char' && level !== 'word') {
    throw new InvalidArgumentError(`loadTimeMachine: option \`level\` expected 'char' or 'word', got ${String(level)}`);
  }
  const maxTokens = options.maxTokens;
  if (maxTokens !== undefined && (!Number.isSafeInteger(maxTokens) || maxTokens < 0)) {
    throw new InvalidArgumentError(`loadTimeMachine: option \`maxTokens\` expected an integer >= 0, got ${String(maxTokens)}`);
  }
  const source = options.source ?? new URL('../../datasets/timemachine.txt', import.meta.url);
  const raw = await readText(source);
  const text = preprocessTimeMachine(raw, { separator: level === 'char' ? '' : ' ' });
  const tokens = (level === 'char' ? charTokenizer : wordTokenizer).tokenize(text);
  const vocabOptions = {
    ...(options.minFreq === undefined ? {} : { minFreq: options.minFreq }),
    ...(options.reservedTokens === undefined ? {} : { reservedTokens: options.reservedTokens }),
  };
  const vocab = new Vocab(tokens, vocabOptions);
  const all = vocab.encode(tokens);
  const corpus = maxTokens === undefined || maxTokens >= all.length ? all : all.slice(0, maxTokens);
  return { text, corpus, vocab };
}
