// Issue 11, item 17 (data part): raw TypeErrors from preprocessTimeMachine(42), vocab.encode(5)
// and vocab.decode(undefined) (and the tokenizers) are now InvalidArgumentErrors naming the
// argument and the expected type. First use: `new Vocab(lines)` made each whole line one token,
// and encoding any text then gave only <unk>, silently; an element holding several words is now
// refused with an error that says what to pass.
import { test } from 'vitest';

import { charTokenizer, InvalidArgumentError, preprocessLines, preprocessTimeMachine, tokenFrequencies, Vocab, wordTokenizer } from 'recurrent';

import assert from '../support/assert.js';

const refused = (f: () => unknown, message: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), String(message));

test('preprocessTimeMachine and preprocessLines refuse a non-string text (and a bad separator)', () => {
  refused(() => preprocessTimeMachine(42 as never), /preprocessTimeMachine: argument `text` expected a string.*got 42/);
  refused(() => preprocessTimeMachine(undefined as never), /argument `text` expected a string/);
  refused(() => preprocessTimeMachine('The Time', { separator: 5 as never }), /option `separator` expected a string, got 5/);
  refused(() => preprocessTimeMachine('The Time', null as never), /argument `options`/);
  refused(() => preprocessLines(null as never), /preprocessLines: argument `text` expected a string/);
  assert.equal(preprocessTimeMachine('The Time\nMachine!', { separator: ' ' }), 'the time machine');
});

test('vocab.encode and vocab.decode refuse what is not tokens or ids, naming the argument', () => {
  const v = new Vocab('abc');
  refused(() => v.encode(5 as never), /Vocab\.encode: argument `tokens` expected a string or an iterable of string tokens, got 5/);
  refused(() => v.encode(null as never), /argument `tokens`/);
  refused(() => v.encode(['a', 5] as never), /expected string tokens, got 5 at index 1/);
  refused(() => v.encode(new Set(['a', 7]) as never), /got 7 at index 1/);
  refused(() => v.decode(undefined as never), /Vocab\.decode: argument `ids` expected an array or iterable of integer ids, got undefined/);
  refused(() => v.decode(null as never), /argument `ids`/);
  refused(() => v.decode(5 as never), /argument `ids`/);
  assert.deepEqual(Array.from(v.encode('abz')), [1, 2, 0]);
  assert.deepEqual(v.decode(new Int32Array([1, 2, 3])), ['a', 'b', 'c']);
  assert.deepEqual(v.decode({ length: 2, 0: 3, 1: 1 } as ArrayLike<number>), ['c', 'a']);
});

test('the tokenizers refuse a non-string text', () => {
  refused(() => wordTokenizer.tokenize(42 as never), /wordTokenizer\.tokenize: argument `text` expected a string, got 42/);
  refused(() => charTokenizer.tokenize(42 as never), /charTokenizer\.tokenize: argument `text` expected a string/);
  refused(() => charTokenizer.join('ab' as never), /argument `tokens` expected an array of strings/);
});

test('new Vocab(lines) of multi-word lines is refused with what to pass; the documented alternatives work', () => {
  const lines = ['the time machine', 'by h g wells'];
  refused(() => new Vocab(lines), /Vocab: argument `tokens` expected tokens, got "the time machine" \(item 0\), which holds several words.*new Vocab\(lines\.join/);
  refused(() => new Vocab([['the', 'time machine']]), /"time machine" \(item 0\)/);
  refused(() => tokenFrequencies(['a b']), /tokenFrequencies: .*several words/);
  // A character vocabulary: every character of the text has an id.
  const chars = new Vocab(lines.join('\n'));
  assert.ok(!chars.encode('the time machine').includes(0));
  assert.deepEqual(new Vocab(lines.map((l) => [...l])).tokens.slice().sort(), chars.tokens.filter((t) => t !== '\n').sort());
  // A word vocabulary.
  const words = new Vocab(lines.map((l) => wordTokenizer.tokenize(l)));
  assert.deepEqual(Array.from(words.encode(wordTokenizer.tokenize('the machine'))), [words.idOf('the'), words.idOf('machine')]);
  assert.ok(!words.encode(['time', 'wells']).includes(0));
  // Tokens that merely start or end with whitespace (a space token, subword pieces) are tokens.
  assert.deepEqual(new Vocab([' ', ' the', 'end\n', ' ']).tokens, ['<unk>', ' ', ' the', 'end\n']);
});
