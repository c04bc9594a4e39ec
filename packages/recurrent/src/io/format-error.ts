/** The error thrown when a file's contents are not a valid file of the expected format. */
import { RecurrentError } from '../errors.js';

/**
 * A file (or bytes) is not a valid file of its format: truncated, a corrupt or hostile header,
 * sizes or offsets that do not add up. The message names what is wrong and where. Nothing
 * was allocated for the file's contents and nothing was changed.
 */
export class FormatError extends RecurrentError {
  override name = 'FormatError';
}
