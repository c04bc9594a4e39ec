/**
 * Keras 2 HDF5 model files (`model.save("model.h5")`): the `model_config` root attribute and the
 * weights under `model_weights/<layer>/` in each group's `weight_names` order, read with h5wasm
 * (HDF5 compiled to WebAssembly; loaded only when an HDF5 file is read). The result has the
 * converter's model.json shape and weight names (`<layer>/<cell>/kernel`), so the same plan and
 * mapping apply. Keras 3 `.keras` archives hold their weights in HDF5 too (keras3.ts).
 */
import { FormatError } from '../io/format-error.js';

/** The first bytes of every HDF5 file. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

let counter = 0;

type H5 = typeof import('h5wasm').default;
type H5File = InstanceType<H5['File']>;

/**
 * Runs `read` on the HDF5 file in `bytes` (h5wasm's in-memory file system, removed after);
 * a failure of h5wasm itself is a {@link FormatError} naming `what`.
 */
export async function withH5<T>(bytes: Uint8Array, what: string, read: (h5: H5, file: H5File) => T): Promise<T> {
  if (!isHdf5(bytes)) throw new FormatError(`${what}: not an HDF5 file (no HDF5 signature)`);
  const h5 = (await import('h5wasm')).default;
  const { FS } = await h5.ready;
  const name = `/recurrent-${++counter}.h5`;
  FS.writeFile(name, bytes);
  let file: H5File | undefined;
  try {
    file = new h5.File(name, 'r');
    return read(h5, file);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${what}: cannot be read as HDF5: ${(e as Error).message}`, { cause: e });
  } finally {
    file?.close();
    FS.unlink(name);
  }
}

/** A float32 dataset's values and shape (`what` names it in errors). */
export function float32Dataset(h5: H5, d: unknown, what: string): { shape: number[]; data: Float32Array } {
  if (!(d instanceof h5.Dataset)) throw new FormatError(`${what} is listed but missing`);
  if (d.dtype !== '<f') throw new FormatError(`${what} is ${String(d.dtype)}; float32 is read`);
  const data = d.value;
  if (!(data instanceof Float32Array)) throw new FormatError(`${what} could not be read as float32`);
  return { shape: (d.shape ?? []).map(Number), data: data.slice() };
}

/** The model.json-shaped topology and the weights by name of a Keras HDF5 file. */
export function readKerasH5(bytes: Uint8Array): Promise<{ modelJson: unknown; weights: Map<string, { shape: number[]; data: Float32Array }> }> {
  return withH5(bytes, 'model.h5', (h5, file) => {
    const config = file.attrs['model_config']?.value;
    if (typeof config !== 'string') throw new FormatError('model.h5: no model_config attribute (not a Keras model file, or weights only)');
    let modelConfig: unknown;
    try {
      modelConfig = JSON.parse(config);
    } catch (e) {
      throw new FormatError(`model.h5: model_config is not valid JSON: ${(e as Error).message}`);
    }
    const root = file.get('model_weights');
    if (!(root instanceof h5.Group)) throw new FormatError('model.h5: no model_weights group');
    const weights = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const layer of root.keys()) {
      const g = root.get(layer);
      if (!(g instanceof h5.Group)) continue;
      const names = g.attrs['weight_names']?.value;
      for (const w of Array.isArray(names) ? names : []) {
        weights.set(String(w).replace(/:0$/, ''), float32Dataset(h5, g.get(String(w)), `model.h5: weight ${layer}/${String(w)}`));
      }
    }
    const modelJson = { format: 'layers-model', modelTopology: { keras_version: String(file.attrs['keras_version']?.value ?? ''), model_config: modelConfig } };
    return { modelJson, weights };
  });
}
