/**
 * `Float32Buffer`: floats that live in wasm linear memory, so kernels read them without a
 * copy. Reading and writing from JS copies, unless you take a {@link Float32Buffer.view}.
 */
import { checkArrayLike } from '../validate/index.js';
import { InvalidArgumentError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { Owned } from './owned.js';

export class Float32Buffer extends Owned {
  /** @internal */ readonly handle: number;
  /** Number of floats. */
  readonly length: number;
  /** @internal */ readonly engine: Engine;
  readonly #ptr: number;

  readonly #owned: boolean;

  /** A zero-filled buffer of `length` floats in the loaded engine's memory. */
  constructor(length: number, borrow?: { engine: Engine; handle: number }) {
    super('Float32Buffer');
    if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) {
      throw new InvalidArgumentError(`Float32Buffer: argument \`length\` expected an integer >= 0, got ${String(length)}`);
    }
    const engine = borrow?.engine ?? currentEngine();
    const handle = borrow?.handle ?? engine.call((w) => w.buffer_alloc(length));
    this.engine = engine;
    this.handle = handle;
    this.length = length;
    this.#owned = borrow === undefined;
    this.#ptr = engine.call((w) => w.buffer_ptr(handle));
    if (this.#owned) this.track(bufferFreer(engine, handle));
  }

  /** @internal A view of a buffer owned by another wasm object (which frees it). */
  static borrowed(engine: Engine, handle: number, length: number): Float32Buffer {
    return new Float32Buffer(length, { engine, handle });
  }

  /** A buffer holding a copy of `data`. */
  static from(data: ArrayLike<number>): Float32Buffer {
    checkArrayLike('Float32Buffer.from', 'data', data, 'a Float32Array or an array of numbers');
    const buffer = new Float32Buffer(data.length);
    buffer.write(data);
    return buffer;
  }

  /**
   * A view of the floats in wasm memory, without a copy. It is valid until the next call
   * that may allocate in wasm (memory growth detaches it) and until `dispose()`; take a new
   * one rather than keeping it.
   */
  view(): Float32Array {
    this.live();
    return this.engine.f32View(this.#ptr, this.length);
  }

  /** A copy of the contents. */
  read(): Float32Array {
    return this.view().slice();
  }

  /** Copies `data` into the buffer starting at element `offset`. */
  write(data: ArrayLike<number>, offset = 0): void {
    this.live();
    checkArrayLike('Float32Buffer.write', 'data', data, 'a Float32Array or an array of numbers');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > this.length) {
      throw new InvalidArgumentError(
        `Float32Buffer.write: expected offset + data.length <= ${this.length}, got offset ${offset} and ${data.length} values`,
      );
    }
    this.view().set(data, offset);
  }

  /** @internal The handle, checked to be live. */
  liveHandle(): number {
    this.live();
    return this.handle;
  }

  protected free(): void {
    if (this.#owned) this.engine.wasm.buffer_free(this.handle);
  }
}

/** The finalizer's way to free a buffer, made outside the constructor so it cannot reach `this`. */
function bufferFreer(engine: Engine, handle: number): () => void {
  return () => engine.wasm.buffer_free(handle);
}
