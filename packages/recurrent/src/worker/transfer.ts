/**
 * Which buffers a message may transfer instead of copying. No import of comlink here: the
 * worker side gets comlink as a module passed in (a browser worker may load it by URL).
 */

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

/**
 * An object holding what `value` holds, to be marked for transfer in its place. comlink
 * remembers a transfer list by the object it marks, for as long as that object lives, and
 * applies it to every later message holding the same object: marking the caller's own array
 * or data would send its detached buffer again in a later call that only copies. So a fresh
 * object is marked: a new view on the same buffer, or a shallow copy.
 */
export function freshForTransfer<T extends object>(value: T): T {
  if (ArrayBuffer.isView(value)) return freshView(value) as T;
  return (Array.isArray(value) ? [...value] : { ...value }) as T;
}

function freshView(view: ArrayBufferView): ArrayBufferView {
  if (view instanceof DataView) return new DataView(view.buffer, view.byteOffset, view.byteLength);
  const Ctor = view.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
  return new Ctor(view.buffer, view.byteOffset, (view as unknown as { length: number }).length);
}

/**
 * The typed arrays in a result: the value itself, or inside arrays, Map values and plain
 * objects (two levels down: a list of `GradientFlow`, a state's `{ h: [...], c: [...] }`).
 */
export function typedArraysIn(value: unknown, depth = 0): unknown[] {
  if (ArrayBuffer.isView(value)) return [value];
  if (depth >= 3 || typeof value !== 'object' || value === null) return [];
  const children = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  return children.flatMap((v: unknown) => typedArraysIn(v, depth + 1));
}
