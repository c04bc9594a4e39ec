/**
 * Every error `recurrent` throws is a {@link RecurrentError}; the subclasses say what kind.
 * Each class has a stable `name`, so the kind survives crossing a worker boundary (comlink
 * carries only name, message and stack).
 */

/** Base class of every error thrown by `recurrent`. */
export class RecurrentError extends Error {
  override name = 'RecurrentError';
}

/** An argument has the wrong type, shape, size or range. Nothing was changed by the call. */
export class InvalidArgumentError extends RecurrentError {
  override name = 'InvalidArgumentError';
}

/**
 * An object was used after its `dispose()`, or after the engine it was made with was ended by
 * the package's `dispose()` (the message names the engine: `engine #1 was disposed`), or a
 * handle never belonged to the engine.
 */
export class DisposedError extends RecurrentError {
  override name = 'DisposedError';
}

/**
 * The request does not fit in WebAssembly memory (at most 4 GiB); the message gives the bytes
 * asked for and what the memory holds. Nothing was changed, and the engine stays usable: free
 * something and call again.
 */
export class OutOfMemoryError extends RecurrentError {
  override name = 'OutOfMemoryError';
}

/** The engine could not start: a missing file, an unsupported runtime, a failed worker. */
export class InitError extends RecurrentError {
  override name = 'InitError';
}

/** A training step produced NaN or infinity in its loss or gradients; parameters were left unchanged. */
export class NonFiniteError extends RecurrentError {
  override name = 'NonFiniteError';
}

/**
 * Turns an error thrown by the wasm boundary (`[Kind] message`) into the matching class.
 * Anything else (a bug, a trap) becomes a plain {@link RecurrentError} that keeps the cause.
 */
export function fromWasmError(e: unknown): RecurrentError {
  if (e instanceof RecurrentError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const match = /^\[(\w+)\] ([\s\S]*)$/.exec(message);
  if (match) {
    const text = match[2] ?? message;
    switch (match[1]) {
      case 'InvalidArgument':
        return new InvalidArgumentError(text);
      case 'StaleHandle':
        return new DisposedError(text);
      case 'OutOfMemory':
        return new OutOfMemoryError(text);
    }
  }
  return new RecurrentError(`internal error in the wasm engine: ${message}`, { cause: e });
}

/** Calls `f`, rethrowing wasm boundary errors as typed errors. */
export function wasmCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromWasmError(e);
  }
}
