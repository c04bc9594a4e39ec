// A tiny static server for the browser tests, on 127.0.0.1: the package's dist and wasm
// folders, comlink's ES module, and the test pages, with or without the COOP/COEP headers
// that make a page cross-origin isolated (and so allow SharedArrayBuffer and the threaded
// build). By hand: `node --import tsx test/browser/server.ts [--isolated] [--port N]`.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE = join(ROOT, 'packages', 'recurrent');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  /** Paths requested so far (for assertions and debugging). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** URL path prefixes and the folders they serve. */
async function mounts(): Promise<[string, string][]> {
  return [
    ['/packages/recurrent/dist/', join(PACKAGE, 'dist')],
    ['/packages/recurrent/wasm/', join(PACKAGE, 'wasm')],
    ['/node_modules/comlink/', await realpath(join(PACKAGE, 'node_modules', 'comlink'))],
    ['/pages/', fileURLToPath(new URL('./pages', import.meta.url))],
  ];
}

/** Starts the server; `isolated` adds COOP: same-origin and COEP: require-corp to every response. */
export async function startServer(options: { isolated: boolean; port?: number }): Promise<StaticServer> {
  const table = await mounts();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (options.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    const mount = table.find(([prefix]) => path.startsWith(prefix));
    const file = mount ? join(mount[1], path.slice(mount[0].length)) : undefined;
    if (!mount || !file || (file !== mount[1] && !file.startsWith(mount[1] + sep))) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error('not a file');
        res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(s.size) });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404, headers).end('not found'),
    ).catch(() => res.writeHead(404, headers).end('not found'));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const portArg = process.argv.indexOf('--port');
  const s = await startServer({ isolated: process.argv.includes('--isolated'), ...(portArg > 0 ? { port: Number(process.argv[portArg + 1]) } : {}) });
  console.log(`serving ${s.origin}/pages/worker.html (${process.argv.includes('--isolated') ? 'cross-origin isolated' : 'not isolated'})`);
}
