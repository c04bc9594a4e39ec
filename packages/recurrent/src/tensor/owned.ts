/**
 * The ownership contract for objects that hold wasm memory: `dispose()` frees now and makes
 * the object unusable (a {@link DisposedError} afterwards); `[Symbol.dispose]` lets `using`
 * do it; a FinalizationRegistry frees what was forgotten, as a safety net only.
 */
import type { Engine } from '../engine/engine.js';
import { DisposedError } from '../errors.js';

const finalizer = new FinalizationRegistry<() => void>((free) => {
  try {
    free();
  } catch {
    // The engine may be gone already; nothing left to free then.
  }
});

export abstract class Owned {
  #disposed = false;
  #engine: Engine | undefined;

  /** @param what names the object in "used after dispose" errors. */
  protected constructor(private readonly what: string) {}

  /**
   * Registers `free` to run if this object is garbage-collected without `dispose()`. `free` must
   * not reach this object (not even through a closure's shared context), or it is never collected.
   */
  protected track(free: () => void): void {
    finalizer.register(this, free, this);
  }

  /** Frees the object's wasm memory. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    this.free();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether {@link Owned.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Makes {@link Owned.live} also fail once `engine` is disposed (the engine's own check, not a
   * copy of it).
   */
  protected attachEngine(engine: Engine): void {
    this.#engine = engine;
  }

  /** Throws {@link DisposedError} if disposed, or if the engine it was made with was. */
  protected live(): void {
    if (this.#disposed) throw new DisposedError(`this ${this.what} was disposed and cannot be used`);
    this.#engine?.assertLive();
  }

  protected abstract free(): void;
}
