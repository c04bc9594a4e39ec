/**
 * Named scratch buffers in wasm memory, reused from batch to batch: a buffer is reallocated
 * only when a bigger one is needed (kernels read just the prefix their shape needs), so a
 * training loop allocates nothing after its first batch.
 */
import { Float32Buffer } from '../tensor/buffer.js';

export class Workspace {
  readonly #buffers = new Map<string, Float32Buffer>();

  /** A buffer named `name` holding at least `size` floats (contents unspecified). */
  get(name: string, size: number): Float32Buffer {
    const have = this.#buffers.get(name);
    if (have && have.length >= size) return have;
    have?.dispose();
    // Grow with headroom so slowly growing shapes do not reallocate every batch.
    const fresh = new Float32Buffer(have ? Math.max(size, Math.ceil(have.length * 1.25)) : size);
    this.#buffers.set(name, fresh);
    return fresh;
  }

  /** A buffer of at least `size` floats whose first `size` are zero. */
  zeros(name: string, size: number): Float32Buffer {
    const b = this.get(name, size);
    b.view().fill(0, 0, size);
    return b;
  }

  /** Floats held in all buffers. */
  get floats(): number {
    let n = 0;
    for (const b of this.#buffers.values()) n += b.length;
    return n;
  }

  dispose(): void {
    for (const b of this.#buffers.values()) b.dispose();
    this.#buffers.clear();
  }
}
