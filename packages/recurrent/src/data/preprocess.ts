/**
 * The d2l book's text preprocessing for "The Time Machine" (`d2l.read_time_machine`): each
 * line becomes `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`.
 */
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../validate/index.js';

/** Options of {@link preprocessTimeMachine}. */
export interface PreprocessOptions {
  /**
   * Put between consecutive lines. Default `''`: lines are concatenated with no separator,
   * as d2l's character corpus is (and the fixtures and the shipped PyTorch model were built).
   * Use `' '` or `'\n'` to keep words of consecutive lines apart (the word level does).
   */
  separator?: string;
}

/**
 * The lines of `text` after d2l's preprocessing: every run of characters outside `[A-Za-z]`
 * (digits, punctuation, whitespace, non-ASCII letters) becomes one space, each line is
 * stripped and lowercased. Lines are split the way Python's `readlines()` splits a text file
 * (universal newlines: `\n`, `\r\n`, `\r`; no empty line after a final newline). Blank lines
 * are kept as `''`.
 */
export function preprocessLines(text: string): string[] {
  return linesOf('preprocessLines', text);
}

function linesOf(op: string, text: unknown): string[] {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`${op}: argument \`text\` expected a string (the text of the file), got ${describe(text)}`);
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => line.replace(/[^A-Za-z]+/g, ' ').trim().toLowerCase());
}

/**
 * d2l's preprocessing of "The Time Machine" applied to `text`, lines joined by
 * `options.separator` (default none). On the shipped `timemachine.txt` the result has
 * 170,580 characters from an alphabet of 27 (a space and `a`-`z`).
 */
export function preprocessTimeMachine(text: string, options: PreprocessOptions = {}): string {
  const op = 'preprocessTimeMachine';
  const lines = linesOf(op, text);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${op}: argument \`options\` expected an options object { separator? }, got ${describe(options)}`);
  }
  const separator: unknown = options.separator ?? '';
  if (typeof separator !== 'string') {
    throw new InvalidArgumentError(`${op}: option \`separator\` expected a string, got ${describe(separator)}`);
  }
  return lines.join(separator);
}
