/**
 * A baseline checkout (`--baseline DIR`): another checkout of this repository whose
 * `packages/recurrent` has `dist/` and `wasm/{simd,threads}` built. The bench runs its own
 * workload code against DIR's package, so a commit can be compared with the one before it
 * in the same run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const PACKAGE = join('packages', 'recurrent');
const REQUIRED = [join('dist', 'index.js'), join('wasm', 'simd', 'recurrent_wasm_bg.wasm'), join('wasm', 'threads', 'recurrent_wasm_bg.wasm')];

/** The module the baseline subjects import instead of `recurrent`. */
export function baselineEntry(dir: string): URL {
  return pathToFileURL(join(resolve(dir), PACKAGE, 'dist', 'index.js'));
}

/** `git describe`-like short commit of a checkout (`+dirty` when it has uncommitted changes), or null outside git. */
export function commitOf(dir: string): string | null {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty' : ''}`;
  } catch {
    return null;
  }
}

/** What a baseline subject reports in its info (and the env JSON). */
export function describeBaseline(dir: string): Record<string, string> {
  return { baseline: resolve(dir), commit: commitOf(dir) ?? 'unknown' };
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/**
 * Checks that checkout `dir` holds a built package; throws naming what is missing. Returns
 * warnings when a build looks older than its sources (then that side may not be the commit
 * it claims). `what` names the side in messages (`--baseline DIR`, `this checkout`).
 */
export function checkBuilt(dir: string, what: string): string[] {
  const pkg = join(resolve(dir), PACKAGE);
  if (!existsSync(pkg)) throw new Error(`${what}: no ${PACKAGE} there; expected a checkout of this repository`);
  const missing = REQUIRED.filter((f) => !existsSync(join(pkg, f)));
  if (missing.length > 0) {
    throw new Error(`${what}: ${missing.map((f) => join(PACKAGE, f)).join(', ')} missing; build it there first (pnpm build)`);
  }
  const warnings: string[] = [];
  const dist = statSync(join(pkg, 'dist', 'index.js')).mtimeMs;
  if (newestMtime(join(pkg, 'src'), '.ts') > dist) warnings.push(`${what}: a file in ${PACKAGE}/src is newer than dist/index.js (rebuild it?)`);
  const wasm = Math.min(...REQUIRED.slice(1).map((f) => statSync(join(pkg, f)).mtimeMs));
  if (newestMtime(join(resolve(dir), 'crates'), '.rs') > wasm) warnings.push(`${what}: a file in crates/ is newer than its wasm builds (rebuild them?)`);
  return warnings;
}
