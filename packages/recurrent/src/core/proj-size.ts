/**
 * The one rule for an LSTM projection's size (PyTorch `proj_size`), shared by
 * {@link RecurrentStack} and the `lstm()` / `rnn()` / `gru()` layer factories.
 */
import { InvalidArgumentError } from '../errors.js';
import { type CellKind, hasCellState } from './cell-kinds.js';
import { describe } from './validate.js';

/**
 * A given `projSize` (leaving it out means no projection), checked: an integer with
 * `1 <= projSize < units` (PyTorch's rule), and only for the LSTM kinds (the ones with a cell
 * state, whose `h = o * tanh(c)` is what is projected). `arg` names the option in the error.
 */
export function checkProjSize(op: string, arg: string, value: unknown, kind: CellKind, units: number): number {
  if (!hasCellState(kind)) {
    throw new InvalidArgumentError(`${op}: argument \`${arg}\` is only for LSTM layers (PyTorch's proj_size), not ${kind}`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value >= units) {
    const range = units > 1 ? `an integer in [1, ${units - 1}]` : 'an integer in [1, units) (none exists with 1 unit)';
    throw new InvalidArgumentError(`${op}: argument \`${arg}\` expected ${range}, less than the ${units} units as PyTorch's proj_size, got ${describe(value)}`);
  }
  return value;
}
