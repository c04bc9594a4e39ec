/**
 * Opening what `--model PATH` names: a model file written by `recurrent train` / `saveModel`,
 * a PyTorch folder (`meta.json` + `model.safetensors`, read by `loadTorch`), an ONNX file
 * (`.onnx`, `loadOnnx`), or a TensorFlow.js layers model (`model.json` or its folder), a Keras 3
 * archive (`.keras`) or a Keras 2 HDF5 file (`.h5`), all through `loadKeras`.
 */
import { join } from 'node:path';
import { loadKeras } from '../model/keras.js';
import { modelFromBytes } from '../model/serialize.js';
import { loadOnnx } from '../model/onnx.js';
import { loadTorch } from '../model/torch.js';
import type { Model } from '../model/model.js';
import { CliError } from './errors.js';
import { fileSize, kindOf, readFileBytes } from './files.js';

export type ModelKind = 'recurrent' | 'pytorch' | 'onnx' | 'keras';

export interface OpenedModel {
  model: Model;
  kind: ModelKind;
  /** Bytes on disk: the file, or the folder's meta.json + model.safetensors. */
  bytes: number;
  /** What the source computes that `model` alone does not (ONNX, Keras), if anything. */
  differs?: string | undefined;
}

/** A human name of each kind. */
export const KIND_NAMES: Record<ModelKind, string> = {
  recurrent: 'recurrent checkpoint',
  pytorch: 'PyTorch model folder',
  onnx: 'ONNX model',
  keras: 'Keras / TensorFlow.js layers model',
};

const exists = (path: string) => kindOf(path, 'file').then((k) => k === 'file', () => false);

/** Loads the model at `path` (the engine must be initialised). */
export async function openModel(path: string): Promise<OpenedModel> {
  const isDir = (await kindOf(path, 'model')) === 'directory';
  const modelJson = isDir ? join(path, 'model.json') : path;
  if (isDir ? !(await exists(join(path, 'meta.json'))) && (await exists(modelJson)) : /\.(json|h5|hdf5|keras)$/i.test(path)) {
    const k = await loadKeras(modelJson);
    return { model: k.model, kind: 'keras', bytes: await fileSize(modelJson), differs: k.modelDiffers };
  }
  if (isDir) {
    const meta = join(path, 'meta.json');
    const weights = join(path, 'model.safetensors');
    if (!(await exists(meta))) {
      throw new CliError(
        `cannot read model ${JSON.stringify(path)}: it is a folder without meta.json or model.json; expected a model file written by \`recurrent train\`, a PyTorch folder (meta.json + model.safetensors), an ONNX file or a TensorFlow.js layers model`,
      );
    }
    await kindOf(weights, 'PyTorch model weights');
    const model = await loadTorch(path);
    return { model, kind: 'pytorch', bytes: (await fileSize(meta)) + (await fileSize(weights)) };
  }
  const bytes = await readFileBytes(path, 'model');
  try {
    if (/\.onnx$/i.test(path)) {
      const o = await loadOnnx(bytes);
      return { model: o.model, kind: 'onnx', bytes: bytes.byteLength, differs: o.modelDiffers };
    }
    return { model: modelFromBytes(bytes), kind: 'recurrent', bytes: bytes.byteLength };
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
