/**
 * Opening what `--model PATH` names: a model file written by `recurrent train` / `saveModel`,
 * or a PyTorch folder (`meta.json` + `model.safetensors`, read by `loadTorch`).
 */
import { join } from 'node:path';
import { modelFromBytes } from '../model/serialize.js';
import { loadTorch } from '../model/torch.js';
import type { Model } from '../model/model.js';
import { CliError } from './errors.js';
import { fileSize, kindOf, readFileBytes } from './files.js';

export interface OpenedModel {
  model: Model;
  kind: 'recurrent' | 'pytorch';
  /** Bytes on disk: the file, or the folder's meta.json + model.safetensors. */
  bytes: number;
}

/** Loads the model at `path` (the engine must be initialised). */
export async function openModel(path: string): Promise<OpenedModel> {
  if ((await kindOf(path, 'model')) === 'directory') {
    const meta = join(path, 'meta.json');
    const weights = join(path, 'model.safetensors');
    const hasMeta = await kindOf(meta, 'meta.json').then((k) => k === 'file', () => false);
    if (!hasMeta) {
      throw new CliError(
        `cannot read model ${JSON.stringify(path)}: it is a folder without meta.json; expected a model file written by \`recurrent train\` or a PyTorch folder (meta.json + model.safetensors)`,
      );
    }
    await kindOf(weights, 'PyTorch model weights');
    const model = await loadTorch(path);
    return { model, kind: 'pytorch', bytes: (await fileSize(meta)) + (await fileSize(weights)) };
  }
  const bytes = await readFileBytes(path, 'model');
  try {
    return { model: modelFromBytes(bytes), kind: 'recurrent', bytes: bytes.byteLength };
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
