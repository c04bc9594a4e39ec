/**
 * Checking the files a command will write before it does any work: each output is distinct
 * from the others and from every input (compared as real paths, symlinks and `..` resolved,
 * and by device and inode when both exist, so a hard link counts), its folder exists or can be
 * created, and a file can be written there. A long training run never ends by overwriting its
 * own corpus, or its checkpoint with the chart, or failing to save.
 */
import type { Stats } from 'node:fs';
import { mkdir, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './errors.js';
import { reason } from './files.js';

/** A file the command reads or writes, as the user named it. */
export interface NamedFile {
  path: string;
  /** What it is, for messages: `checkpoint`, `plot`, `corpus`. */
  what: string;
  /** How the user gave it: `--out`, `--plot`, `the corpus`, ... */
  given: string;
  /** What to do when it collides (default: give `given` another path). */
  fix?: string;
}

/**
 * The most folders an output may need created. Node's own recursive `mkdir` spins forever
 * where a parent exists but refuses new entries (procfs: `/proc/nope/m.safetensors`); folders
 * are created here one level at a time, and a path that needs more than this is refused.
 */
export const MAX_NEW_FOLDERS = 16;

/**
 * Checks `outputs` against each other and against `inputs`, then creates their folders and
 * makes sure a file can be written in each. Throws a {@link CliError} naming the flag and the
 * problem; nothing is written when two files are the same.
 */
export async function prepareOutputs(outputs: readonly NamedFile[], inputs: readonly NamedFile[]): Promise<void> {
  const identified = async (f: NamedFile): Promise<Identified> => ({ file: f, ...(await identify(f.path)) });
  const outs = await Promise.all(outputs.map(identified));
  const ins = await Promise.all(inputs.map(identified));
  for (const out of outs) {
    const input = ins.find((i) => sameFile(out, i));
    if (input) throw collision(out.file, input.file, 'destroy');
  }
  // Outputs are written in order: a later one would replace an earlier one.
  for (let j = 1; j < outs.length; j++) {
    const earlier = outs.slice(0, j).find((o) => sameFile(o, outs[j]!));
    if (earlier) throw collision(outs[j]!.file, earlier.file, 'replace');
  }
  for (const out of outputs) await ensureWritable(out);
}

function collision(writer: NamedFile, victim: NamedFile, verb: 'destroy' | 'replace'): CliError {
  const victimName = verb === 'destroy' ? `the ${victim.what}` : victim.given;
  return new CliError(
    `${writer.given} ${JSON.stringify(writer.path)} is the same file as ${victimName} ${JSON.stringify(victim.path)}: ` +
      `writing the ${writer.what} would ${verb} the ${victim.what}; ${writer.fix ?? `give ${writer.given} another path`}`,
  );
}

interface Identity {
  /** The absolute path with symlinks resolved in its existing part. */
  real: string;
  /** Present when the file exists. */
  stats?: Stats;
}

interface Identified extends Identity {
  file: NamedFile;
}

/** Where `path` really points (see {@link Identity}); bounded by the number of its components. */
async function identify(path: string): Promise<Identity> {
  const absolute = resolve(path);
  const rest: string[] = [];
  for (let at = absolute; ; ) {
    try {
      const real = join(await realpath(at), ...rest.reverse());
      return rest.length === 0 ? { real, stats: await stat(real) } : { real };
    } catch (e) {
      const parent = dirname(at);
      const code = (e as NodeJS.ErrnoException)?.code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) return { real: absolute };
      rest.push(basename(at));
      at = parent;
    }
  }
}

function sameFile(a: Identity, b: Identity): boolean {
  if (a.real === b.real) return true;
  return a.stats !== undefined && b.stats !== undefined && a.stats.dev === b.stats.dev && a.stats.ino === b.stats.ino;
}

/** Makes sure `file`'s folder exists (created level by level, bounded) and a file can be written there. */
export async function ensureWritable(file: NamedFile): Promise<void> {
  const { path, what } = file;
  const fail = (why: string): never => {
    throw new CliError(`cannot write ${what} ${JSON.stringify(path)}: ${why}`);
  };
  const s = await stat(path).catch(() => undefined);
  if (s?.isDirectory()) fail('it is a directory');
  await makeFolder(dirname(resolve(path)), fail);
  const probe = `${path}.${process.pid}.probe`;
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (e) {
    fail(reason(e));
  }
}

/** Creates `folder` and its missing parents, one level at a time, at most {@link MAX_NEW_FOLDERS}. */
async function makeFolder(folder: string, fail: (why: string) => never): Promise<void> {
  const missing: string[] = [];
  for (let at = folder; ; ) {
    let s: Stats;
    try {
      s = await stat(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== 'ENOENT') return fail(`cannot look at folder ${JSON.stringify(at)}: ${reason(e)}`);
      missing.push(at);
      if (missing.length > MAX_NEW_FOLDERS) return fail(`it needs more than ${MAX_NEW_FOLDERS} new folders (up to ${JSON.stringify(at)}); create them first`);
      const parent = dirname(at);
      if (parent === at) return fail(`its folder ${JSON.stringify(folder)} cannot be created: no root`);
      at = parent;
      continue;
    }
    if (!s.isDirectory()) return fail(`${JSON.stringify(at)} is not a folder`);
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code === 'EEXIST' && (await stat(dir).catch(() => undefined))?.isDirectory()) continue; // made meanwhile
      const why =
        code === 'ENOENT'
          ? `its parent exists but the file system refuses new folders there (as /proc and /sys do)`
          : reason(e);
      return fail(`cannot create folder ${JSON.stringify(dir)}: ${why}`);
    }
  }
}
