/**
 * Errors across the worker boundary. Comlink carries a thrown error as name, message and
 * stack only; the handler registered here keeps comlink's wire format (so a peer with the
 * default handler still understands it) and rebuilds the right class on the receiving side
 * from the stable `name` every `recurrent` error has, with one level of `cause`.
 */
import { DisposedError, InitError, InvalidArgumentError, NonFiniteError, OutOfMemoryError, RecurrentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';

/**
 * The worker ended (terminated, crashed, out of memory) or failed to start: every call that
 * was pending or queued rejects with this; start a new worker with `spawnWorker()`.
 */
export class WorkerExitedError extends RecurrentError {
  override name = 'WorkerExitedError';
}

/** An error as it crosses: comlink's `{ message, name, stack }` plus an optional cause. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
}

type ErrorClass = new (message: string) => Error;

const CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['RecurrentError', RecurrentError],
  ['InvalidArgumentError', InvalidArgumentError],
  ['DisposedError', DisposedError],
  ['OutOfMemoryError', OutOfMemoryError],
  ['InitError', InitError],
  ['NonFiniteError', NonFiniteError],
  ['FormatError', FormatError],
  ['WorkerExitedError', WorkerExitedError],
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['CompileError', WebAssembly.CompileError],
  ['LinkError', WebAssembly.LinkError],
  ['RuntimeError', WebAssembly.RuntimeError],
]);

/** DOMException names that come back as DOMExceptions (an aborted `fit`, a timeout). */
const DOM_EXCEPTIONS = new Set(['AbortError', 'TimeoutError', 'DataCloneError']);

function isErrorLike(value: unknown): value is { name: unknown; message: unknown; stack?: unknown; cause?: unknown } {
  return value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value && 'name' in value);
}

/** Name, message, stack (and the cause's, one level down) of anything thrown. */
export function serializeError(value: unknown, depth = 0): SerializedError {
  if (!isErrorLike(value)) return { name: 'Error', message: String(value) };
  const out: SerializedError = { name: String(value.name), message: String(value.message) };
  if (typeof value.stack === 'string') out.stack = value.stack;
  if (depth < 1 && value.cause !== undefined) out.cause = serializeError(value.cause, depth + 1);
  return out;
}

/** The error of the class `name` says, with the message and the other side's stack. */
export function deserializeError(s: SerializedError): Error {
  let error: Error;
  const Class = CLASSES.get(s.name);
  if (Class) {
    error = new Class(s.message);
  } else if (DOM_EXCEPTIONS.has(s.name) && typeof DOMException === 'function') {
    error = new DOMException(s.message, s.name);
  } else {
    error = new Error(s.message);
    error.name = s.name;
  }
  if (s.stack !== undefined) {
    try {
      Object.defineProperty(error, 'stack', { value: s.stack, writable: true, configurable: true });
    } catch {
      // A DOMException's stack may not be redefinable; the message is what matters.
    }
  }
  if (s.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: deserializeError(s.cause), writable: true, configurable: true });
  }
  return error;
}

/** The part of comlink this module touches. */
interface ComlinkHandlers {
  transferHandlers: Map<string, { canHandle(value: unknown): boolean; serialize(value: unknown): [unknown, Transferable[]]; deserialize(value: unknown): unknown }>;
}

/** Comlink's format of a thrown value. */
interface ThrownWire {
  isError: boolean;
  value: unknown;
}

const registered = new WeakSet<object>();

/**
 * Replaces comlink's `throw` handler with one that keeps classes. Both sides register it (the
 * worker throws to the client; a client callback may throw to the worker). Idempotent.
 */
export function registerErrorTransfer(comlink: ComlinkHandlers): void {
  if (registered.has(comlink.transferHandlers)) return;
  const original = comlink.transferHandlers.get('throw');
  if (!original) return;
  registered.add(comlink.transferHandlers);
  comlink.transferHandlers.set('throw', {
    canHandle: (value) => original.canHandle(value),
    serialize: (thrown) => {
      const value = (thrown as { value: unknown }).value;
      const wire: ThrownWire = isErrorLike(value) ? { isError: true, value: serializeError(value) } : { isError: false, value };
      return [wire, []];
    },
    deserialize: (wire) => {
      const w = wire as ThrownWire;
      if (w.isError) throw deserializeError(w.value as SerializedError);
      throw w.value;
    },
  });
}

/** Whether `e` is the error an aborted call rejects with inside the worker. */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}
