/** The error thrown when a file's contents are not a valid file of the expected format. */
import { RecurrentError } from '../errors.js';

/**
 * The longest message a {@link FormatError} carries. A hostile file can make a message quote
 * megabytes (every unexpected tensor name, a name of 50 MB); the start says what is wrong.
 */
export const MAX_FORMAT_MESSAGE_LENGTH = 2000;

/**
 * A file (or bytes) is not a valid file of its format: truncated, a corrupt or hostile header,
 * sizes or offsets that do not add up. The message names what is wrong and where (at most
 * {@link MAX_FORMAT_MESSAGE_LENGTH} characters). Nothing was allocated for the file's
 * contents and nothing was changed.
 */
export class FormatError extends RecurrentError {
  override name = 'FormatError';

  constructor(message: string, options?: ErrorOptions) {
    super(
      message.length > MAX_FORMAT_MESSAGE_LENGTH
        ? `${message.slice(0, MAX_FORMAT_MESSAGE_LENGTH - 60)}... (message cut, ${message.length} characters in all)`
        : message,
      options,
    );
  }
}
