/** File checks and writes for the CLI, with messages that name the file and the problem. */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { CliError } from './errors.js';

/** A short reason for a failed file operation. */
export function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return (e as Error)?.message ?? String(e);
  }
}

/** What is at `path`: `'file'`, `'directory'`, or a {@link CliError} naming `what`. */
export async function kindOf(path: string, what: string): Promise<'file' | 'directory'> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return 'directory';
    if (s.isFile()) return 'file';
    throw new CliError(`cannot read ${what} ${JSON.stringify(path)}: not a regular file`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${what} ${JSON.stringify(path)}: ${reason(e)}`);
  }
}

/** The bytes of the file at `path` (`what` names it in errors). */
export async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new CliError(`cannot read ${what} ${JSON.stringify(path)}: ${reason(e)}`);
  }
}

/** Size in bytes of the file at `path`. */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Writes `data` to `path` through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, what: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    throw new CliError(`cannot write ${what} ${JSON.stringify(path)}: ${reason(e)}`);
  }
}
