/** The error thrown when a read is stopped by one of its limits. */
import { RecurrentError } from '../errors.js';

/** Which limit stopped a read: the option that set it. */
export type ReadLimit = 'signal' | 'timeoutMs' | 'maxBytes';

/**
 * A read (of a file or URL: `readBytes`, `loadModel`, `loadTorch`, `loadSafetensors`, ...) was
 * stopped before it finished: its `signal` was aborted (the signal's reason is the `cause`),
 * it ran longer than `timeoutMs`, or the file or body is larger than `maxBytes`. `limit` says
 * which. The connection or file is closed; nothing was built from the bytes.
 */
export class ReadAbortedError extends RecurrentError {
  override name = 'ReadAbortedError';
  /** The option whose limit stopped the read. */
  readonly limit: ReadLimit;

  constructor(message: string, limit: ReadLimit, options?: ErrorOptions) {
    super(message, options);
    this.limit = limit;
  }
}
