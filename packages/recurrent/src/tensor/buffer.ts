/**
 * `Float32Buffer`: floats that live in wasm linear memory, so kernels read them without a
 * copy. Reading and writing from JS copies, unless you take a {@link Float32Buffer.view}.
 */
import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { checkArrayLike, checkAttached } from '../validate/index.js';
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

  /**
   * A zero-filled buffer of `length` floats in the loaded engine's memory. More than wasm
   * memory can hold is an {@link OutOfMemoryError} giving the bytes asked for and the limit.
   */
  constructor(length: number, borrow?: { engine: Engine; handle: number }) {
    super('Float32Buffer');
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new InvalidArgumentError(`Float32Buffer: argument \`length\` expected an integer >= 0, got ${String(length)}`);
    }
    const engine = borrow?.engine ?? currentEngine();
    this.attachEngine(engine);
    if (length * 4 > engine.maxMemoryBytes) {
      throw new OutOfMemoryError(
        `Float32Buffer: argument \`length\` asks for ${length} floats (${length * 4} bytes), more than wasm memory holds (at most ${engine.maxMemoryBytes} bytes)`,
      );
    }
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

  /** A buffer holding a copy of `data` (which may be another buffer's {@link Float32Buffer.view}). */
  static from(data: ArrayLike<number>): Float32Buffer {
    checkData('Float32Buffer.from', data);
    // Allocating may grow wasm memory, and growing detaches every view of the old memory in
    // the single-threaded build: a source that is such a view is copied out first.
    const source = ArrayBuffer.isView(data) && data.buffer === currentEngine().memory.buffer ? (data as unknown as Float32Array).slice() : data;
    const buffer = new Float32Buffer(source.length);
    buffer.write(source);
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
    checkData('Float32Buffer.write', data);
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
    if (this.#owned) this.engine.free((w) => w.buffer_free(this.handle));
  }
}

/** The finalizer's way to free a buffer, made outside the constructor so it cannot reach `this`. */
function bufferFreer(engine: Engine, handle: number): () => void {
  return () => engine.free((w) => w.buffer_free(handle));
}

/** `data` as `from` and `write` take it: an array of numbers, or a view of memory that is still there. */
function checkData(op: string, data: unknown): void {
  checkArrayLike(op, 'data', data, 'a Float32Array or an array of numbers');
  checkAttached(op, 'data', data);
}
