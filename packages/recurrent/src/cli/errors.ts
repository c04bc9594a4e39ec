/**
 * How the CLI reports failures: one line on stderr, `recurrent: <message>`, and a non-zero
 * exit code. Library errors ({@link RecurrentError} and its subclasses) already say what was
 * wrong; {@link CliError} is for what the CLI itself checks (files, flag combinations).
 */
import { CommanderError } from 'commander';
import { RecurrentError } from '../errors.js';

/** A failure the CLI detected itself; its message is shown as is. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Exit codes: 1 for failures while running, 2 for bad usage (flags, arguments). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Commander's `error: ...` text (possibly with a `(Did you mean ...?)` line) as one line. */
export function oneLine(text: string): string {
  return text
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The line to print for an error thrown while running a command, and its exit code. */
export function describeFailure(e: unknown): { line: string; code: number } {
  if (e instanceof CliError) return { line: `recurrent: ${oneLine(e.message)}`, code: EXIT_FAILURE };
  if (e instanceof RecurrentError) return { line: `recurrent: ${oneLine(e.message)}`, code: EXIT_FAILURE };
  if (e instanceof CommanderError) return { line: `recurrent: ${oneLine(e.message)}`, code: EXIT_USAGE };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') {
    // A Node system error (EACCES, ENOSPC, ...) from a file operation.
    return { line: `recurrent: ${oneLine(err.message)}`, code: EXIT_FAILURE };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { line: `recurrent: internal error: ${oneLine(message)} (set RECURRENT_DEBUG=1 for the stack)`, code: EXIT_FAILURE };
}
