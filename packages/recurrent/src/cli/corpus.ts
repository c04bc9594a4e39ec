/**
 * The training text: the Time Machine shipped with the package, or a user's file given the
 * same d2l preprocessing (letters only, lowercased, one space for every other run) and a
 * vocabulary built from it.
 */
import { fileURLToPath } from 'node:url';
import { loadTimeMachine } from '../data/timemachine.js';
import { preprocessTimeMachine } from '../data/preprocess.js';
import { charTokenizer, wordTokenizer } from '../data/tokenizer.js';
import { Vocab } from '../data/vocab.js';
import { CliError } from './errors.js';
import { kindOf, readFileBytes } from './files.js';

/** The Time Machine shipped with the package (read when no corpus is given; outputs must not be it). */
export const SHIPPED_CORPUS = fileURLToPath(new URL('../../datasets/timemachine.txt', import.meta.url));

export interface Corpus {
  /** Shown in messages: the file name, or "The Time Machine". */
  name: string;
  corpus: Int32Array;
  vocab: Vocab;
  level: 'char' | 'word';
}

/** Loads `path` (or the shipped Time Machine when undefined) at the given token level. */
export async function loadCorpus(path: string | undefined, level: 'char' | 'word'): Promise<Corpus> {
  if (path === undefined) {
    const tm = await loadTimeMachine({ level, source: SHIPPED_CORPUS }); // the file prepareOutputs checked
    return { name: 'The Time Machine (H. G. Wells)', corpus: tm.corpus, vocab: tm.vocab, level };
  }
  if ((await kindOf(path, 'corpus')) !== 'file') throw new CliError(`cannot read corpus ${JSON.stringify(path)}: it is a directory, expected a text file`);
  const bytes = await readFileBytes(path, 'corpus');
  let raw: string;
  try {
    raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`cannot read corpus ${JSON.stringify(path)}: it is not UTF-8 text`);
  }
  const text = preprocessTimeMachine(raw, { separator: level === 'char' ? '' : ' ' });
  const tokens = (level === 'char' ? charTokenizer : wordTokenizer).tokenize(text);
  if (tokens.length === 0) throw new CliError(`corpus ${JSON.stringify(path)} has no letters left after preprocessing (only A-Z and a-z are kept)`);
  const vocab = new Vocab(tokens);
  return { name: path, corpus: vocab.encode(tokens), vocab, level };
}
