/**
 * A server with the routes of url-routes.ts, for tests of reading from a URL, wherever they
 * run: in Node a `node:http` server of the test's own on 127.0.0.1; in a page the routes on the
 * vitest server (url-routes-plugin.ts), fetched from the page's own origin. Either way the test
 * sees the same routes and the same counts.
 */
import { inNode } from './env.js';
import { URL_ROUTES_PREFIX } from './url-routes.js';

export interface UrlServer {
  /** The routes' base URL, without a trailing slash: `${base}/slow`, ... */
  readonly base: string;
  /** Requests the routes have answered so far. */
  requests(): Promise<number>;
  /** Bytes /bogus-512mib sent before the client hung up; -1 before that. */
  bogusSent(): Promise<number>;
  /** Resolves once the server has seen the client hang up on /bogus-512mib. */
  bogusClosed(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the routes, serving `model` as the model file. */
export async function startUrlServer(model: Uint8Array): Promise<UrlServer> {
  if (inNode) {
    const [http, { createRoutes }] = await Promise.all([import('node:http'), import('./url-routes.js')]);
    const routes = createRoutes(model);
    const server = http.createServer((req, res) => routes.handle(new URL(req.url ?? '/', 'http://x').pathname, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
    return {
      base: `http://127.0.0.1:${address.port}`,
      requests: async () => routes.state.requests,
      bogusSent: async () => routes.state.bogusSent,
      bogusClosed: () => routes.bogusClosed,
      async close() {
        routes.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }
  const base = new URL(`${URL_ROUTES_PREFIX}${crypto.randomUUID()}`, location.origin).href;
  const control = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${base}${path}: HTTP ${response.status}`);
    return response;
  };
  const state = async () => (await (await control('/__state')).json()) as { requests: number; bogusSent: number; bogusClosed: boolean };
  let closed = false;
  await control('/__model', { method: 'PUT', body: model as Uint8Array<ArrayBuffer> });
  return {
    base,
    requests: async () => (await state()).requests,
    bogusSent: async () => (await state()).bogusSent,
    async bogusClosed() {
      // The server's state is over HTTP here: ask until it has seen the hang-up (or the test ends).
      while (!closed && !(await state()).bogusClosed) await new Promise((resolve) => setTimeout(resolve, 25));
    },
    async close() {
      closed = true;
      await control('/', { method: 'DELETE' });
    },
  };
}
