/**
 * Test data wherever the tests run: the shared fixtures (PyTorch parity cases, the torch-lm
 * folder) and files of this repository (the shipped Time Machine, the wasm builds). In Node
 * they are files; in a browser page the vitest server serves them (`/@fs/<absolute path>`,
 * allowed by `server.fs.allow` in vitest.config.ts), so tests that only need data run in both.
 */
import { inject } from 'vitest';

import { inNode } from './env.js';

const paths = inject('paths');

/** Where the library should load `path` from: a file system path in Node, an http URL in a page. */
function locate(dir: string, relative: string): string {
  const absolute = `${dir.replace(/\/$/, '')}/${relative}`;
  return inNode ? absolute : new URL(`/@fs${absolute}`, location.origin).href;
}

/** A shared fixture (relative to the fixtures folder, e.g. `torch-lm/meta.json`), as a path or URL string. */
export function fixturePath(relative: string): string {
  return locate(paths.fixtures, relative);
}

/** A file of this repository (relative to its root), as a path or URL string. */
export function repoPath(relative: string): string {
  return locate(paths.root, relative);
}

/** The same location as a URL (`file:` in Node). */
export function asUrl(location: string): URL {
  return inNode ? new URL(`file://${encodeURI(location)}`) : new URL(location);
}

/** The bytes at a location from {@link fixturePath}, {@link repoPath} or {@link asUrl}. */
export async function readData(location: string | URL): Promise<Uint8Array> {
  if (inNode) {
    const { readFile } = await import('node:fs/promises');
    const buffer = await readFile(location);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const response = await fetch(location);
  if (!response.ok) throw new Error(`${location}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The text (UTF-8) at a location. */
export async function readDataText(location: string | URL): Promise<string> {
  return new TextDecoder().decode(await readData(location));
}

/** The parsed JSON at a location. */
export async function readDataJson<T = any>(location: string | URL): Promise<T> {
  return JSON.parse(await readDataText(location)) as T;
}

/** Hex digest with WebCrypto (Node and browsers alike). */
export async function digest(algorithm: 'SHA-1' | 'SHA-256', data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const hash = await crypto.subtle.digest(algorithm, bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Runs `use` with the location of a file holding `data`, the way an app would hand it to the
 * library: a path to a temporary file in Node (deleted afterwards), a `blob:` URL in a page.
 */
export async function withTempFile<T>(name: string, data: Uint8Array | string, use: (location: string) => Promise<T>): Promise<T> {
  if (inNode) {
    const [fs, os, path] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recurrent-test-'));
    try {
      const file = path.join(dir, name);
      await fs.writeFile(file, data);
      return await use(file);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>]));
  try {
    return await use(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A temporary folder (see {@link withTempFolder}). */
export interface TempFolder {
  /** The folder as the library takes it: a path in Node, a URL string in a page. */
  readonly location: string;
  /** Creates or replaces a file in the folder. */
  write(name: string, data: Uint8Array | string): Promise<void>;
}

/**
 * Runs `use` with a temporary folder: a directory in Node; in a page, a folder on the vitest
 * server (test/support/temp-files-plugin.ts), read over HTTP as an app reads one from its server.
 */
export async function withTempFolder<T>(use: (folder: TempFolder) => Promise<T>): Promise<T> {
  if (inNode) {
    const [fs, os, path] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recurrent-test-'));
    try {
      return await use({ location: dir, write: (name, data) => fs.writeFile(path.join(dir, name), data) });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const folder = new URL(`/__recurrent_tmp/${crypto.randomUUID()}/`, location.origin);
  const request = async (url: URL, init: RequestInit) => {
    const response = await fetch(url, init);
    if (!response.ok) throw new Error(`${init.method} ${url.href}: HTTP ${response.status}`);
  };
  try {
    return await use({
      location: folder.href.replace(/\/$/, ''),
      write: (name, data) => request(new URL(name, folder), { method: 'PUT', body: data as BodyInit }),
    });
  } finally {
    await request(folder, { method: 'DELETE' });
  }
}
