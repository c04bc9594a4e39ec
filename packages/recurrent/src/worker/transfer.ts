/** Which buffers a message may transfer instead of copying. */

/**
 * The distinct `ArrayBuffer`s under the typed arrays in `arrays` (anything else is skipped).
 * Shared memory is never listed: a `SharedArrayBuffer` cannot be transferred (it is shared).
 */
export function transferablesOf(arrays: readonly unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  }
  return [...out];
}
