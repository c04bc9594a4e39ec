/** comlink's node adapter: a `worker_threads` Worker or port as a comlink `Endpoint`. */
import type { Endpoint } from 'comlink';

/** What the adapter needs of a Node `Worker` or `MessagePort`. */
export interface NodePort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(type: 'message', listener: (value: unknown) => void): unknown;
  off(type: 'message', listener: (value: unknown) => void): unknown;
}

/** Loads comlink's node adapter (its UMD build: the ESM one ships no `.d.mts`) and wraps `port`. */
export async function nodeEndpoint(port: NodePort): Promise<Endpoint> {
  const adapter = (await import('comlink/dist/umd/node-adapter.js')) as unknown as { default: (nep: NodePort) => Endpoint };
  return adapter.default(port);
}
