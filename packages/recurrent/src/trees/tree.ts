/**
 * Trees and the bracketed notation of the Penn Treebank as the Stanford Sentiment Treebank
 * writes it: `(3 (2 a) (3 (3 good) (2 movie)))`, a label on every node, a word at every leaf.
 * Parsing and printing are iterative (a tree a million nodes deep neither overflows the stack
 * nor hangs); every syntax error is a {@link FormatError} giving line and column.
 */
import { InvalidArgumentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';

/**
 * A node of a tree: a leaf has a word and no children, an internal node has children (and, in
 * trees made in code, may have a word too: its input, e.g. an operator; the bracketed notation
 * has words at the leaves only).
 */
export interface Tree {
  /** The node's class label (an integer >= 0), when it has one. */
  readonly label?: number | undefined;
  /** The leaf's word (an internal node's input word, in trees made in code). */
  readonly word?: string | undefined;
  /** The children, in order (empty for a leaf). */
  readonly children: readonly Tree[];
}

/** Options of {@link parseTrees}. */
export interface ParseTreesOptions {
  /** Most nodes in all trees together; more is a {@link FormatError}. Default `10_000_000`. */
  maxNodes?: number;
}

interface Open {
  label: number;
  children: Tree[];
  word?: string;
  line: number;
  column: number;
}

/**
 * Every tree of `text` (one or more bracketed trees separated by whitespace). Each node is
 * `(label word)` (a leaf) or `(label child child ...)`; labels are integers >= 0.
 */
export function parseTrees(text: string, options: ParseTreesOptions = {}): Tree[] {
  const op = 'parseTrees';
  if (typeof text !== 'string') throw new InvalidArgumentError(`${op}: argument \`text\` expected a string, got ${typeof text}`);
  for (const key of Object.keys(options)) if (key !== 'maxNodes') throw new InvalidArgumentError(`${op}: unknown option \`${key}\``);
  const maxNodes = options.maxNodes ?? 10_000_000;
  if (!Number.isSafeInteger(maxNodes) || maxNodes < 1) throw new InvalidArgumentError(`${op}: option \`maxNodes\` expected an integer >= 1, got ${String(maxNodes)}`);
  const trees: Tree[] = [];
  const stack: Open[] = [];
  let nodes = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const fail = (at: number, what: string): never => {
    throw new FormatError(`${op}: line ${line}, column ${at - lineStart + 1}: ${what}`);
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && !/[\s()]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      lineStart = ++i;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(') {
      const top = stack[stack.length - 1];
      if (top?.word !== undefined) fail(i, `a leaf (the node opened at line ${top.line}, column ${top.column}) cannot have children after its word`);
      if (++nodes > maxNodes) fail(i, `more than ${maxNodes} nodes (option maxNodes)`);
      const open = { line, column: i - lineStart + 1 };
      i++;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
      const at = i;
      const label = token();
      if (!/^\d+$/.test(label) || !Number.isSafeInteger(Number(label))) fail(at, label === '' ? `expected a label after '(', got ${whatIsAt(text, i)}` : `expected an integer label >= 0, got '${label}'`);
      stack.push({ label: Number(label), children: [], ...open });
    } else if (ch === ')') {
      const top = stack.pop() ?? fail(i, "unbalanced ')': no node is open");
      if (top.word === undefined && top.children.length === 0) fail(i, `the node opened at line ${top.line}, column ${top.column} has neither a word nor children`);
      const node: Tree = top.word !== undefined ? { label: top.label, word: top.word, children: [] } : { label: top.label, children: top.children };
      i++;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else trees.push(node);
    } else {
      const top = stack[stack.length - 1] ?? fail(i, `expected '(' to start a tree, got ${whatIsAt(text, i)}`);
      if (top.children.length > 0) fail(i, `a word after child nodes (the node opened at line ${top.line}, column ${top.column})`);
      if (top.word !== undefined) fail(i, `a second word in a leaf (the node opened at line ${top.line}, column ${top.column})`);
      top.word = token();
    }
  }
  if (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    fail(i, `unbalanced '(': the node opened at line ${top.line}, column ${top.column} is not closed (${stack.length} open)`);
  }
  if (trees.length === 0) fail(i, 'no tree (the text is empty)');
  return trees;
}

function whatIsAt(text: string, i: number): string {
  return i >= text.length ? 'the end of the text' : `'${text.slice(i, i + 12)}'`;
}

/** The bracketed notation of `tree` (a label of `undefined` is printed as 0). */
export function treeToString(tree: Tree): string {
  const out: string[] = [];
  const stack: (Tree | ')')[] = [tree];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === ')') {
      out.push(')');
      continue;
    }
    if (out.length > 0 && out[out.length - 1] !== '(') out.push(' ');
    out.push(`(${t.label ?? 0}`);
    if (t.word !== undefined) out.push(` ${t.word}`);
    stack.push(')');
    for (let k = t.children.length - 1; k >= 0; k--) stack.push(t.children[k]!);
  }
  return out.join('');
}

/** The words of the leaves of `trees`, left to right (what a vocabulary is built from). */
export function leafWords(trees: readonly Tree[]): string[][] {
  return trees.map((tree) => {
    const words: string[] = [];
    const stack: Tree[] = [tree];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.children.length === 0) {
        if (t.word !== undefined) words.push(t.word);
      } else for (let k = t.children.length - 1; k >= 0; k--) stack.push(t.children[k]!);
    }
    return words;
  });
}
