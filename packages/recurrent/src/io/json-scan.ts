/**
 * One pass over JSON text for what `JSON.parse` hides or handles badly: keys repeated within an
 * object (`JSON.parse` silently keeps the last), the nesting depth (a reviver recurses per
 * level and overflows the stack on deep input), and the number of keys of the outer object
 * (so a huge header can be refused before it is parsed). The scan is iterative, linear, and
 * stops at the first limit it passes; on text that is not valid JSON its findings are
 * meaningless, so callers report a parse failure first where the order matters.
 */

/** Limits of {@link scanJson}; each is off when not given. */
export interface ScanLimits {
  /** Stop once the outer object has more keys than this (not counting `ignoreKey`). */
  maxOuterKeys?: number;
  /** Stop once arrays and objects nest deeper than this (the outer value is depth 1). */
  maxDepth?: number;
  /** An outer key not counted by `maxOuterKeys` (the metadata map of safetensors). */
  ignoreKey?: string;
}

/** What {@link scanJson} found. */
export interface ScanResult {
  /** The outer object has more keys than `maxOuterKeys` (the scan stopped there). */
  tooManyKeys: boolean;
  /** The nesting passed `maxDepth` (the scan stopped there). */
  tooDeep: boolean;
  /** The first key repeated within one object, with the keys leading to that object. */
  duplicate?: { key: string; path: string[] };
}

interface Frame {
  keys: Set<string> | undefined; // undefined for arrays
  /** The key that holds this value in its parent object (undefined under arrays and at the top). */
  key: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Scans `text` (see the module comment). */
export function scanJson(text: string, limits: ScanLimits = {}): ScanResult {
  const maxOuterKeys = limits.maxOuterKeys ?? Infinity;
  const maxDepth = limits.maxDepth ?? Infinity;
  const result: ScanResult = { tooManyKeys: false, tooDeep: false };
  const stack: Frame[] = [];
  let expectKey = false;
  let lastKey: string | undefined; // the latest key of the innermost object
  let outerKeys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return result; // unterminated: JSON.parse will say so
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        let key: string;
        try {
          key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        } catch {
          return result;
        }
        const frame = stack[stack.length - 1];
        if (frame?.keys) {
          if (frame.keys.has(key) && result.duplicate === undefined) {
            result.duplicate = { key, path: stack.slice(1).map((f) => f.key ?? '[]') };
          }
          frame.keys.add(key);
          if (stack.length === 1 && key !== limits.ignoreKey && ++outerKeys > maxOuterKeys) {
            result.tooManyKeys = true;
            return result;
          }
        }
        lastKey = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === 0x7b ? new Set() : undefined, key: parent?.keys ? lastKey : undefined });
      if (stack.length > maxDepth) {
        result.tooDeep = true;
        return result;
      }
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    }
  }
  return result;
}

/** The index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const q = text.indexOf('"', at);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    at = q + 1;
  }
}
