/**
 * Entry of the recurrent worker in Node (`worker_threads`): exposes the worker API with
 * comlink's node adapter, then says it is ready. The engine is loaded by the client's first
 * call (`init`), inside this thread, so its pool workers belong to this worker. A request
 * that arrives unreadable is answered with an error (see sequenced-endpoint.ts).
 */
import { parentPort } from 'node:worker_threads';

import { nodeEndpoint } from './node-endpoint.js';
import type { ReadyMessage } from './protocol.js';
import { sequencedEndpoint } from './sequenced-endpoint.js';
import { createService } from './service.js';

const port = parentPort;
if (!port) throw new Error('recurrent/worker: entry-node.js runs inside a worker_threads Worker started by spawnWorker()');
try {
  const comlink = await import('comlink');
  comlink.expose(createService(comlink), sequencedEndpoint(await nodeEndpoint(port), (l) => void port.on('messageerror', l)));
  port.postMessage({ recurrentWorker: 'ready' } satisfies ReadyMessage);
} catch (e) {
  port.postMessage({ recurrentWorker: 'failed', error: (e as Error).message } satisfies ReadyMessage);
}
