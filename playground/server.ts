/**
 * Starts the playground's Vite dev server from a script (the browser test does), with the
 * same config as `pnpm playground`: cross-origin isolated, on 127.0.0.1 and a free port
 * unless told otherwise.
 */
import type { AddressInfo } from 'node:net';

import { createServer } from 'vite';

import config from './vite.config.js';

export interface PlaygroundServer {
  /** The page's URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startPlayground(options: { host?: string; port?: number } = {}): Promise<PlaygroundServer> {
  const server = await createServer({
    ...config,
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    server: { ...config.server, host: options.host ?? '127.0.0.1', port: options.port ?? 0, strictPort: true },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address) {
    await server.close();
    throw new Error('the playground server did not start listening');
  }
  return { url: `http://${address.address}:${address.port}/`, close: () => server.close() };
}
