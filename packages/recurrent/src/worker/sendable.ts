/**
 * What a call may send to the worker: structured-clone data. Checked on the client at the
 * moment a call is sent (not when it is queued: an earlier call in the queue may transfer a
 * buffer this one uses), so the error names the argument instead of surfacing as a raw
 * `DataCloneError`, or, in Node, as a call that never settles: Node posts a message whose
 * transfer list holds an already detached buffer, and the worker then fails to read it.
 */
import { InvalidArgumentError } from '../errors.js';
import { isDetached } from '../validate/index.js';

/** Objects structured clone refuses, by how they are named in the error. */
const UNCLONEABLE: readonly [string, unknown][] = [
  ['a WeakMap', globalThis.WeakMap],
  ['a WeakSet', globalThis.WeakSet],
  ['a Promise', globalThis.Promise],
  ['a WeakRef', (globalThis as { WeakRef?: unknown }).WeakRef],
  // A port crosses only in a transfer list, which no call of this API has.
  ['a MessagePort', (globalThis as { MessagePort?: unknown }).MessagePort],
];

/**
 * Throws {@link InvalidArgumentError} naming the first part of `args` (argument name to value)
 * that cannot be sent: a function, a symbol, a detached buffer, or an object structured clone
 * refuses. Walks plain objects, arrays, Maps and Sets, once per object (cycles are fine).
 */
export function checkSendable(op: string, args: Readonly<Record<string, unknown>>): void {
  const seen = new Set<object>();
  const stack: [unknown, string][] = Object.entries(args).map(([name, value]): [unknown, string] => [value, name]).reverse();
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    const what = describeUnsendable(value);
    if (what !== undefined) {
      throw new InvalidArgumentError(`${op}: argument \`${path}\` cannot be sent to the worker: ${what}`);
    }
    if (typeof value !== 'object' || value === null || seen.has(value) || ArrayBuffer.isView(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const item: unknown = value[i];
        // Numbers and strings are most of what crosses: no path string is built for them.
        if (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol') stack.push([item, `${path}[${i}]`]);
      }
    } else {
      // Pushed last to first, so the first offender in reading order is the one named.
      const children: [unknown, string][] = [];
      if (value instanceof Map) {
        for (const [k, v] of value) children.push([k, `${path} (a key)`], [v, `${path}.get(${keyText(k)})`]);
      } else if (value instanceof Set) {
        for (const v of value) children.push([v, `${path} (a member)`]);
      } else if (isPlainData(value)) {
        for (const k of Object.keys(value)) children.push([(value as Record<string, unknown>)[k], `${path}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`]);
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
}

/** Why `value` itself cannot be sent, or undefined if it can (its contents are checked apart). */
function describeUnsendable(value: unknown): string | undefined {
  if (typeof value === 'function') return 'it is a function (functions cannot cross to a worker)';
  if (typeof value === 'symbol') return 'it is a symbol (symbols cannot cross to a worker)';
  if (typeof value !== 'object' || value === null) return undefined;
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value instanceof ArrayBuffer ? value : undefined;
  if (buffer !== undefined && isDetached(buffer)) {
    return 'its buffer was transferred to the worker by an earlier call (or elsewhere), so it is detached and empty here; pass a fresh array, or keep a copy before a call with `transfer: true`';
  }
  for (const [name, Class] of UNCLONEABLE) {
    if (typeof Class === 'function' && value instanceof Class) return `it is ${name}, which cannot be copied to a worker`;
  }
  return undefined;
}

/**
 * Objects whose own properties structured clone copies one by one: plain objects and class
 * instances. Built-ins it copies whole (dates, regular expressions, errors, blobs) hold no
 * functions or buffers to find.
 */
function isPlainData(value: object): boolean {
  return !(value instanceof Date || value instanceof RegExp || value instanceof Error || value instanceof ArrayBuffer);
}

function keyText(k: unknown): string {
  return typeof k === 'string' ? JSON.stringify(k) : typeof k === 'number' ? String(k) : typeof k;
}
