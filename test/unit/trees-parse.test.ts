// Issue 16: bracketed trees (Penn Treebank / SST style), their errors with line and column,
// the vocabulary over the leaves, and batching trees into a forest (children before parents).
import { test } from 'vitest';

import { batchTrees, FormatError, leafWords, NO_INPUT, parseTrees, treeToString, Vocab } from 'recurrent';

import assert from '../support/assert.js';

test('parseTrees: SST trees, a label on every node, words at the leaves; printing gives the text back', () => {
  const text = '(3 (2 a) (3 (3 good) (2 movie)))\n(1 (1 bad))';
  const trees = parseTrees(text);
  assert.equal(trees.length, 2);
  const t = trees[0]!;
  assert.equal(t.label, 3);
  assert.equal(t.children.length, 2);
  assert.deepEqual(t.children[0], { label: 2, word: 'a', children: [] });
  assert.equal(t.children[1]!.children[1]!.word, 'movie');
  assert.deepEqual(leafWords(trees), [['a', 'good', 'movie'], ['bad']]);
  assert.equal(trees.map(treeToString).join('\n'), text);
});

test('parseTrees: malformed input is a FormatError giving line and column', () => {
  const cases: [string, RegExp][] = [
    ['(3 (2 a) (2 b)', /line 1, column 15: unbalanced '\(': the node opened at line 1, column 1 is not closed/],
    ['(3 (2 a)))', /line 1, column 10: unbalanced '\)'/],
    ['', /line 1, column 1: no tree/],
    ['  \n ', /line 2, column 2: no tree/],
    ['(3 (2 a)\n (x b))', /line 2, column 3: expected an integer label >= 0, got 'x'/],
    ['(3 )', /line 1, column 4: the node opened at line 1, column 1 has neither a word nor children/],
    ['(3 a b)', /line 1, column 6: a second word in a leaf/],
    ['(3 (2 a) b)', /line 1, column 10: a word after child nodes/],
    ['(3 a (2 b))', /line 1, column 6: a leaf .* cannot have children/],
    ['word', /line 1, column 1: expected '\(' to start a tree/],
    ['(', /line 1, column 2: expected a label after '\(', got the end of the text/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseTrees(text), (e: unknown) => e instanceof FormatError && message.test((e as Error).message), text);
  assert.throws(() => parseTrees('(1 (1 a) (1 b))', { maxNodes: 2 }), /more than 2 nodes/);
});

test('parseTrees and batchTrees: a tree 10^6 nodes deep, without recursion', () => {
  const depth = 1_000_000;
  const text = '(1 '.repeat(depth - 1) + '(0 w)' + ')'.repeat(depth - 1);
  const [tree] = parseTrees(text);
  const batch = batchTrees([tree!], () => 0);
  assert.equal(batch.nodes, depth);
  assert.equal(batch.roots[0], depth - 1);
  assert.equal(batch.childOffsets[depth], depth - 1);
  assert.equal(treeToString(tree!).length, text.length);
});

test('batchTrees: post-order, trees one after the other, leaves get input rows, labels and roots', () => {
  const trees = parseTrees('(3 (2 a) (3 (3 good) (2 movie)))\n(1 (0 bad) (1 (1 x) (2 y)) (0 z))');
  const vocab = new Vocab(leafWords(trees));
  const b = batchTrees(trees, (w) => vocab.idOf(w));
  assert.equal(b.nodes, 5 + 6);
  assert.deepEqual([...b.roots], [4, 10]);
  assert.deepEqual([...b.labels], [2, 3, 2, 3, 3, 0, 1, 2, 1, 0, 1]);
  // node 3 = (3 good movie) has children 1, 2; node 4 the root: 0, 3; the second root has 3 children.
  const kids = (j: number): number[] => [...b.children.subarray(b.childOffsets[j]!, b.childOffsets[j + 1]!)];
  assert.deepEqual(kids(3), [1, 2]);
  assert.deepEqual(kids(4), [0, 3]);
  assert.deepEqual(kids(10), [5, 8, 9]);
  assert.deepEqual([...b.xRows].map((r) => (r === NO_INPUT ? -1 : r)), [0, 1, 2, -1, -1, 3, 4, 5, -1, 6, -1]);
  assert.deepEqual(vocab.decode(b.tokens), ['a', 'good', 'movie', 'bad', 'x', 'y', 'z']);
});

test('batchTrees: an internal node with a word (an operator) gets an input row of its own', () => {
  const tree = { label: 7, word: '+', children: [{ label: 3, word: '3', children: [] }, { label: 4, word: '4', children: [] }] };
  const b = batchTrees([tree], (w) => '+34'.indexOf(w));
  assert.deepEqual([...b.xRows], [0, 1, 2]);
  assert.deepEqual([...b.tokens], [1, 2, 0]);
  assert.deepEqual([...b.children], [0, 1]);
});
