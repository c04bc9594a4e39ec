/**
 * Model files in a browser, as TensorFlow.js does with `indexeddb://` and `downloads://`:
 * bytes kept in IndexedDB under a name (database `recurrent`, object store `files`), and a
 * download the page offers to save. Where there is no IndexedDB (Node) or no document, an
 * `InvalidArgumentError` says so.
 */
import { InvalidArgumentError } from '../errors.js';

const DB = 'recurrent';
const STORE = 'files';
const SCHEMES = ['indexeddb://', 'downloads://'] as const;

/** The scheme and name of a store URL (`indexeddb://name`, `downloads://name`), or undefined for anything else. */
export function storeUrl(url: unknown): { scheme: (typeof SCHEMES)[number]; name: string } | undefined {
  if (typeof url !== 'string') return undefined;
  const scheme = SCHEMES.find((s) => url.startsWith(s));
  if (!scheme) return undefined;
  const name = url.slice(scheme.length);
  if (name.length === 0) throw new InvalidArgumentError(`model store: \`${url}\` expected a name after ${scheme}`);
  return { scheme, name };
}

function database(op: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new InvalidArgumentError(`${op}: indexeddb:// needs IndexedDB (a browser or a worker in one); save the bytes to a file instead`);
  return new Promise((resolve, reject) => {
    const req = idb.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function request<T>(db: IDBDatabase, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = f(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Writes `bytes` to `url`: IndexedDB under its name, or a download of `<name>` (`.safetensors` added when it has no extension). */
export async function writeStore(op: string, url: string, bytes: Uint8Array): Promise<void> {
  const where = storeUrl(url);
  if (!where) throw new InvalidArgumentError(`${op}: argument \`url\` expected 'indexeddb://<name>' or 'downloads://<name>', got ${JSON.stringify(url)}`);
  if (where.scheme === 'downloads://') {
    const doc = (globalThis as { document?: Document }).document;
    if (!doc) throw new InvalidArgumentError(`${op}: downloads:// needs a page (a document) to download from`);
    const link = doc.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    link.download = /\.[A-Za-z0-9]+$/.test(where.name) ? where.name : `${where.name}.safetensors`;
    link.click();
    // The download has started from the URL; give the browser a moment before releasing it.
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    return;
  }
  const db = await database(op);
  try {
    await request(db, 'readwrite', (s) => s.put(bytes, where.name));
  } finally {
    db.close();
  }
}

/** The bytes stored at `indexeddb://<name>`; an `InvalidArgumentError` when there are none. */
export async function readStore(op: string, url: string): Promise<Uint8Array> {
  const where = storeUrl(url);
  if (!where || where.scheme !== 'indexeddb://') throw new InvalidArgumentError(`${op}: only indexeddb:// can be read back, got ${JSON.stringify(url)}`);
  const db = await database(op);
  try {
    const value = await request<unknown>(db, 'readonly', (s) => s.get(where.name));
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${op}: nothing stored at ${url}`);
    return value;
  } finally {
    db.close();
  }
}
