/**
 * Keras 2 HDF5 model files (`model.save("model.h5")`): the `model_config` root attribute and the
 * weights under `model_weights/<layer>/` in each group's `weight_names` order, read with h5wasm
 * (HDF5 compiled to WebAssembly; loaded only when an HDF5 file is read). The result has the
 * converter's model.json shape and weight names (`<layer>/<cell>/kernel`), so the same plan and
 * mapping apply. Keras 3 `.keras` archives (a zip with another weight layout) are not read.
 */
import { FormatError } from '../io/format-error.js';

/** The first bytes of every HDF5 file. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

let counter = 0;

/** The model.json-shaped topology and the weights by name of a Keras HDF5 file. */
export async function readKerasH5(bytes: Uint8Array): Promise<{ modelJson: unknown; weights: Map<string, { shape: number[]; data: Float32Array }> }> {
  if (!isHdf5(bytes)) throw new FormatError('model.h5: not an HDF5 file (no HDF5 signature)');
  const h5 = (await import('h5wasm')).default;
  const { FS } = await h5.ready;
  const name = `/recurrent-${++counter}.h5`;
  FS.writeFile(name, bytes);
  let file: InstanceType<typeof h5.File> | undefined;
  try {
    file = new h5.File(name, 'r');
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
        const d = g.get(String(w));
        if (!(d instanceof h5.Dataset)) throw new FormatError(`model.h5: weight ${layer}/${String(w)} is listed but missing`);
        if (d.dtype !== '<f') throw new FormatError(`model.h5: weight ${layer}/${String(w)} is ${String(d.dtype)}; float32 is read`);
        const data = d.value;
        if (!(data instanceof Float32Array)) throw new FormatError(`model.h5: weight ${layer}/${String(w)} could not be read as float32`);
        weights.set(String(w).replace(/:0$/, ''), { shape: (d.shape ?? []).map(Number), data: data.slice() });
      }
    }
    const modelJson = { format: 'layers-model', modelTopology: { keras_version: String(file.attrs['keras_version']?.value ?? ''), model_config: modelConfig } };
    return { modelJson, weights };
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`model.h5: cannot be read as HDF5: ${(e as Error).message}`, { cause: e });
  } finally {
    file?.close();
    FS.unlink(name);
  }
}
