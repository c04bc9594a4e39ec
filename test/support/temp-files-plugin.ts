/**
 * A Vite plugin for the browser projects: temporary folders on the vitest server, so a test in
 * a page can write a PyTorch folder (meta.json + model.safetensors) and load it over HTTP, as an
 * app loads one from its server. `PUT /__recurrent_tmp/<folder>/<file>` stores a file,
 * `GET` serves it, `DELETE /__recurrent_tmp/<folder>/` removes the folder. Everything lives in
 * one directory under the OS temp folder, removed when the server closes. Test-only: never part
 * of the package. The client side is `withTempFolder` in files.ts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Plugin } from 'vite';

export const TEMP_PREFIX = '/__recurrent_tmp/';

const NAME = /^[A-Za-z0-9._-]+$/;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function tempFiles(): Plugin {
  let root: string | undefined;
  return {
    name: 'recurrent:temp-files',
    configureServer(server) {
      root = mkdtempSync(join(tmpdir(), 'recurrent-vitest-'));
      server.httpServer?.once('close', () => root && rmSync(root, { recursive: true, force: true }));
      server.middlewares.use(TEMP_PREFIX, (req, res, next) => {
        const parts = (req.url ?? '').split('?')[0]!.split('/').filter(Boolean);
        if (!root || parts.length < 1 || parts.length > 2 || !parts.every((p) => NAME.test(p) && p !== '.' && p !== '..')) {
          next();
          return;
        }
        const folder = join(root, parts[0]!);
        const file = parts[1] === undefined ? undefined : join(folder, parts[1]);
        const done = (status: number, data?: Buffer) => {
          res.statusCode = status;
          res.end(data);
        };
        const work = async () => {
          if (req.method === 'PUT' && file) {
            mkdirSync(folder, { recursive: true });
            await writeFile(file, await body(req));
            done(201);
          } else if (req.method === 'GET' && file) {
            done(200, await readFile(file));
          } else if (req.method === 'DELETE' && !file) {
            await rm(folder, { recursive: true, force: true });
            done(204);
          } else done(405);
        };
        work().catch(() => done(404));
      });
    },
  };
}
