/**
 * What every handle on a task object living in the worker shares (`RemoteSeq2Seq`,
 * `RemoteTreeClassifier`): its id, calls of its methods by name, an idempotent `dispose`.
 */
import type * as Comlink from 'comlink';

import type { WorkerApi } from './protocol.js';
import type { Caller } from './remote-model.js';

/** @internal How the worker's API reaches one kind of object: its name (in call labels), a method call, the free. */
export interface RemoteKind<M extends string> {
  readonly name: string;
  call(api: Comlink.Remote<WorkerApi>, id: number, method: M, values: unknown[]): Promise<unknown>;
  dispose(api: Comlink.Remote<WorkerApi>, id: number): Promise<unknown>;
}

/** A handle on an object in the worker, whose methods are called by name. */
export abstract class RemoteHandle<M extends string> {
  readonly #caller: Caller;
  readonly #id: number;
  readonly #kind: RemoteKind<M>;
  #disposed = false;

  protected constructor(caller: Caller, id: number, kind: RemoteKind<M>) {
    this.#caller = caller;
    this.#id = id;
    this.#kind = kind;
  }

  /** Calls `method` with `args`, argument names to values in the method's order (the names label a refused argument). */
  protected call<T>(method: M, args: Record<string, unknown>): Promise<T> {
    const values = Object.values(args);
    return this.#caller.call(`${this.#kind.name}.${method}`, (api) => this.#kind.call(api, this.#id, method, values) as Promise<T>, args);
  }

  /** Frees the object in the worker. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#caller.call(`${this.#kind.name}.dispose`, (api) => this.#kind.dispose(api, this.#id)).catch(() => undefined);
  }
}
