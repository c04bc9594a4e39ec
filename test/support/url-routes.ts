/**
 * The server side of the URL-reading tests (test/unit/regress-io-url.test.ts): routes that
 * misbehave the way a real server can (a byte a second, a body without Content-Length, a body
 * whose first bytes cannot start a safetensors file, a body that never ends). Node code: a
 * test in Node mounts it on a `node:http` server of its own; in a page it runs in the vitest
 * server (url-routes-plugin.ts), so the page fetches it from its own origin as an app fetches
 * a model from its server. The client side is url-server.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where url-routes-plugin.ts mounts the routes on the vitest server. */
export const URL_ROUTES_PREFIX = '/__recurrent_url/';

/** What the tests ask the server: requests seen, and how much of the 512 MiB body went out. */
export interface RouteState {
  /** Requests to the routes (the test's own control requests are not counted). */
  requests: number;
  /** Bytes the /bogus-512mib route managed to send before the client hung up; -1 before that. */
  bogusSent: number;
}

export interface Routes {
  readonly state: RouteState;
  /** Resolves when the client has hung up on /bogus-512mib. */
  readonly bogusClosed: Promise<void>;
  /** Answers a request for `pathname` (relative to the routes' base, e.g. `/slow`). */
  handle(pathname: string, req: IncomingMessage, res: ServerResponse): void;
  /** Stops the timers of responses still dribbling. */
  close(): void;
}

/** Routes serving `model` (a small model file) and the misbehaving bodies. */
export function createRoutes(model: Uint8Array): Routes {
  const state: RouteState = { requests: 0, bogusSent: -1 };
  const timers = new Set<ReturnType<typeof setInterval>>();
  let bogusClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    bogusClosed = resolve;
  });

  /** Sends one byte a second for as long as the client listens. */
  function dribble(res: ServerResponse, length: number): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
    res.write(Uint8Array.of(8));
    const t = setInterval(() => res.write(Uint8Array.of(0)), 1000);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  }

  function handle(pathname: string, _req: IncomingMessage, res: ServerResponse): void {
    state.requests++;
    switch (pathname) {
      case '/model.safetensors':
      case '/folder/model.safetensors':
        res.writeHead(200, { 'content-length': String(model.byteLength) });
        res.end(model);
        return;
      case '/chunked': {
        // No Content-Length: the size is only known as bytes arrive.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let at = 0; at < model.byteLength; at += 256) res.write(model.subarray(at, at + 256));
        res.end();
        return;
      }
      case '/slow':
      case '/folder/meta.json':
        dribble(res, 1000);
        return;
      case '/bogus-512mib': {
        // Claims 512 MiB; the first 8 bytes say the header is 2^64 - 1 bytes long.
        const total = 512 * 2 ** 20;
        res.writeHead(200, { 'content-length': String(total) });
        let sent = 0;
        const chunk = new Uint8Array(64 * 1024);
        const first = new Uint8Array(64 * 1024).fill(0xff, 0, 8);
        res.on('close', () => {
          state.bogusSent = sent;
          bogusClosed();
        });
        const pump = (): void => {
          while (sent < total && !res.destroyed) {
            const ok = res.write(sent === 0 ? first : chunk);
            sent += chunk.byteLength;
            if (!ok) {
              res.once('drain', pump);
              return;
            }
          }
          if (sent >= total) res.end();
        };
        pump();
        return;
      }
      case '/no-brace': {
        // A plausible header length, then not a JSON object.
        const bytes = new Uint8Array(1 << 20);
        new DataView(bytes.buffer).setUint32(0, 16, true);
        bytes.set(new TextEncoder().encode('[not an object]'), 8);
        res.writeHead(200, { 'content-length': String(64 * 2 ** 20) });
        res.write(bytes);
        return; // never ends: only an early check can answer
      }
      default:
        res.writeHead(404);
        res.end();
    }
  }

  return {
    state,
    bogusClosed: closed,
    handle,
    close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
}
