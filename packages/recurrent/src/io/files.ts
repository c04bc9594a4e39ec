/**
 * Reading a file's bytes wherever the package runs: from the file system in Node, with
 * `fetch` elsewhere (and for http(s), data: and blob: URLs in Node too).
 */
import { isNode } from '../engine/features.js';
import { InvalidArgumentError } from '../errors.js';

/** A file system path (Node), or a URL (`file:`, `http(s):`, `data:`, `blob:`; relative URLs resolve against the page). */
export type PathOrUrl = string | URL;

/**
 * The bytes at `pathOrUrl`. In Node, a `file:` URL or a path (absolute, or relative to the
 * working directory; any string not starting with `file:`, `http:`, `https:`, `data:` or
 * `blob:`) is read with `node:fs`; the other URLs are fetched. In browsers
 * and workers everything is fetched (a relative string resolves against the page's URL).
 * Throws {@link InvalidArgumentError}, naming the location and the cause, when it cannot be
 * read (missing file, HTTP error status, network failure).
 */
export async function readBytes(pathOrUrl: PathOrUrl): Promise<Uint8Array> {
  const target = locate(pathOrUrl);
  try {
    if (isNode() && (typeof target === 'string' || target.protocol === 'file:')) {
      const fs = await import(/* @vite-ignore */ 'node:fs/promises');
      const buffer = await fs.readFile(target);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    const response = await fetch(target);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new InvalidArgumentError(
      `readBytes: could not read ${typeof target === 'string' ? JSON.stringify(target) : target.href}: ${(e as Error)?.message ?? String(e)}`,
      { cause: e },
    );
  }
}

/** The text at `pathOrUrl`, decoded as UTF-8 (see {@link readBytes}). */
export async function readText(pathOrUrl: PathOrUrl): Promise<string> {
  return new TextDecoder('utf-8').decode(await readBytes(pathOrUrl));
}

/** A URL, or (in Node) a file system path left as a string. */
function locate(pathOrUrl: PathOrUrl): string | URL {
  if (pathOrUrl instanceof URL) return pathOrUrl;
  if (typeof pathOrUrl !== 'string' || pathOrUrl.length === 0) {
    throw new InvalidArgumentError(
      `readBytes: argument \`pathOrUrl\` expected a non-empty string or a URL, got ${pathOrUrl === '' ? "''" : String(pathOrUrl)}`,
    );
  }
  // In Node only these schemes make a URL (so `C:\dir\f` and `a:b.txt` stay paths).
  const isUrl = isNode() ? /^(?:file|https?|data|blob):/i.test(pathOrUrl) : /^[a-z][a-z\d+.-]*:/i.test(pathOrUrl);
  if (!isUrl && isNode()) return pathOrUrl;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return isUrl ? new URL(pathOrUrl) : new URL(pathOrUrl, base);
  } catch {
    throw new InvalidArgumentError(`readBytes: argument \`pathOrUrl\` expected a URL, got ${JSON.stringify(pathOrUrl)}, which does not parse (relative URLs need a page URL to resolve against)`);
  }
}
