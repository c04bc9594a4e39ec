/**
 * Reading a file's bytes wherever the package runs: from the file system in Node, with
 * `fetch` elsewhere (and for http(s), data: and blob: URLs in Node too), always under the
 * limits of {@link ReadOptions} (a cancel signal, a deadline, a size cap).
 */
import { isNode } from '../engine/features.js';
import { InvalidArgumentError } from '../errors.js';
import { checkReadOptions, type ReadOptions, ReadSession, type StartCheck } from './read-session.js';

/** A file system path (Node), or a URL (`file:`, `http(s):`, `data:`, `blob:`; relative URLs resolve against the page). */
export type PathOrUrl = string | URL;

/**
 * The bytes at `pathOrUrl`. In Node, a `file:` URL or a path (absolute, or relative to the
 * working directory; any string not starting with `file:`, `http:`, `https:`, `data:` or
 * `blob:`) is read with `node:fs`; the other URLs are fetched. In browsers
 * and workers everything is fetched (a relative string resolves against the page's URL).
 * Throws {@link InvalidArgumentError}, naming the location and the cause, when it cannot be
 * read (missing file, HTTP error status, network failure), and `ReadAbortedError` when
 * `options.signal`, `options.timeoutMs` or `options.maxBytes` stops it (see {@link ReadOptions}).
 */
export async function readBytes(pathOrUrl: PathOrUrl, options?: ReadOptions): Promise<Uint8Array> {
  return withReadSession('readBytes', options, (session) => readIn(session, 'readBytes', pathOrUrl));
}

/** The text at `pathOrUrl`, decoded as UTF-8 (see {@link readBytes}). */
export async function readText(pathOrUrl: PathOrUrl, options?: ReadOptions): Promise<string> {
  const bytes = await withReadSession('readText', options, (session) => readIn(session, 'readText', pathOrUrl));
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * @internal Runs `f` with one {@link ReadSession} for `options` (checked against `allowed`
 * keys), closed afterwards.
 */
export async function withReadSession<T>(fn: string, options: unknown, f: (session: ReadSession) => Promise<T>, allowed?: readonly string[]): Promise<T> {
  const session = new ReadSession(fn, checkReadOptions(fn, options, allowed));
  try {
    return await f(session);
  } finally {
    session.close();
  }
}

/** @internal The bytes at `pathOrUrl`, read in `session` (`check` sees the first bytes early). */
export function readIn(session: ReadSession, fn: string, pathOrUrl: PathOrUrl, check?: StartCheck): Promise<Uint8Array> {
  return session.read(locate(fn, pathOrUrl), check);
}

/** A URL, or (in Node) a file system path left as a string. */
export function locate(fn: string, pathOrUrl: PathOrUrl): string | URL {
  if (pathOrUrl instanceof URL) return pathOrUrl;
  if (typeof pathOrUrl !== 'string' || pathOrUrl.length === 0) {
    throw new InvalidArgumentError(
      `${fn}: argument \`pathOrUrl\` expected a non-empty string or a URL, got ${pathOrUrl === '' ? "''" : String(pathOrUrl)}`,
    );
  }
  // In Node only these schemes make a URL (so `C:\dir\f` and `a:b.txt` stay paths).
  const isUrl = isNode() ? /^(?:file|https?|data|blob):/i.test(pathOrUrl) : /^[a-z][a-z\d+.-]*:/i.test(pathOrUrl);
  if (!isUrl && isNode()) return pathOrUrl;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return isUrl ? new URL(pathOrUrl) : new URL(pathOrUrl, base);
  } catch {
    throw new InvalidArgumentError(`${fn}: argument \`pathOrUrl\` expected a URL, got ${JSON.stringify(pathOrUrl)}, which does not parse (relative URLs need a page URL to resolve against)`);
  }
}
