/**
 * A Vite plugin for the browser projects: the routes of url-routes.ts on the vitest server, so
 * the URL-reading tests run in a page against its own origin. Each test file gets its own set
 * under `/__recurrent_url/<id>/`:
 *
 *   PUT    <id>/__model   creates the set, serving the request body as the model file
 *   GET    <id>/__state   `{ requests, bogusSent, bogusClosed }` as JSON
 *   DELETE <id>/          stops its timers and forgets it
 *   GET    <id>/<route>   a route of url-routes.ts (counted in `requests`)
 *
 * Test-only: never part of the package. The client side is url-server.ts.
 */
import type { IncomingMessage } from 'node:http';

import type { Plugin } from 'vite';

import { createRoutes, type Routes, URL_ROUTES_PREFIX } from './url-routes.js';

const ID = /^[A-Za-z0-9-]+$/;

async function body(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export function urlRoutes(): Plugin {
  const sets = new Map<string, { routes: Routes; closed: boolean }>();
  return {
    name: 'recurrent:url-routes',
    configureServer(server) {
      server.httpServer?.once('close', () => {
        for (const { routes } of sets.values()) routes.close();
        sets.clear();
      });
      server.middlewares.use(URL_ROUTES_PREFIX, (req, res, next) => {
        const path = (req.url ?? '').split('?')[0]!;
        const slash = path.indexOf('/', 1);
        const id = path.slice(1, slash < 0 ? undefined : slash);
        const rest = slash < 0 ? '/' : path.slice(slash);
        if (!ID.test(id)) {
          next();
          return;
        }
        const set = sets.get(id);
        if (req.method === 'PUT' && rest === '/__model') {
          body(req).then(
            (model) => {
              const routes = createRoutes(model);
              const entry = { routes, closed: false };
              void routes.bogusClosed.then(() => {
                entry.closed = true;
              });
              sets.get(id)?.routes.close();
              sets.set(id, entry);
              res.statusCode = 201;
              res.end();
            },
            () => {
              res.statusCode = 400;
              res.end();
            },
          );
        } else if (!set) {
          res.statusCode = 404;
          res.end();
        } else if (req.method === 'GET' && rest === '/__state') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ ...set.routes.state, bogusClosed: set.closed }));
        } else if (req.method === 'DELETE' && rest === '/') {
          set.routes.close();
          sets.delete(id);
          res.statusCode = 204;
          res.end();
        } else if (req.method === 'GET') {
          set.routes.handle(rest, req, res);
        } else {
          res.statusCode = 405;
          res.end();
        }
      });
    },
  };
}
