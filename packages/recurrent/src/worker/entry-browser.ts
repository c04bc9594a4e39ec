/**
 * Entry of the recurrent worker in browsers (a module Worker): imports comlink (bundled, or
 * by the URL the client resolved through the page's import map, which workers do not see),
 * exposes the worker API, then says it is ready. The engine is loaded by the client's first
 * call (`init`) inside this worker, so the threaded build's pool is started from here and
 * the page's main thread never blocks on an atomic wait.
 */
import type { Endpoint } from 'comlink';

import type { HelloMessage, ReadyMessage } from './protocol.js';
import { sequencedEndpoint } from './sequenced-endpoint.js';
import { type ComlinkModule, createService } from './service.js';

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (e: MessageEvent<HelloMessage>) => void, options?: { once?: boolean }): void;
  addEventListener(type: 'messageerror', listener: () => void): void;
  removeEventListener(type: 'message', listener: (e: MessageEvent<HelloMessage>) => void): void;
  postMessage(message: unknown): void;
};

async function loadComlink(url: string | undefined): Promise<ComlinkModule> {
  try {
    return await import('comlink');
  } catch (bare) {
    if (url === undefined) {
      throw new Error(
        `could not import comlink in the worker (${(bare as Error).message}). Use a bundler, or map "comlink" ` +
          'in the page\'s import map, or pass spawnWorker({ comlinkUrl })',
      );
    }
    return (await import(/* @vite-ignore */ url)) as ComlinkModule;
  }
}

const onHello = (e: MessageEvent<HelloMessage>) => {
  if (e.data?.recurrentWorker !== 'hello') return;
  scope.removeEventListener('message', onHello);
  loadComlink(e.data.comlinkUrl)
    .then((comlink) => {
      const endpoint = sequencedEndpoint(scope as unknown as Endpoint, (l) => scope.addEventListener('messageerror', l));
      comlink.expose(createService(comlink), endpoint);
      scope.postMessage({ recurrentWorker: 'ready' } satisfies ReadyMessage);
    })
    .catch((err: unknown) => scope.postMessage({ recurrentWorker: 'failed', error: (err as Error).message } satisfies ReadyMessage));
};
scope.addEventListener('message', onHello);
