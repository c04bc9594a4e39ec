/**
 * `recurrent convert IN OUT`: between model files, PyTorch folders and ONNX (out), from those
 * and the TensorFlow.js layers format (in). OUT's form: `--to`, else `.onnx` -> ONNX, a path
 * ending in `/` or an existing folder -> PyTorch folder, anything else -> a recurrent file.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { init } from '../engine/loader.js';
import { saveOnnx } from '../model/onnx-export.js';
import { saveModel } from '../model/serialize.js';
import { saveTorch } from '../model/torch-write.js';
import { CliError } from './errors.js';
import { reason, writeFileAtomic } from './files.js';
import { bytes } from './format.js';
import { KIND_NAMES, openModel } from './model-file.js';

export type OutForm = 'recurrent' | 'pytorch' | 'onnx';

export interface ConvertFlags {
  to?: OutForm;
  quiet?: boolean;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

export async function convert(input: string, output: string, f: ConvertFlags): Promise<void> {
  await init({ threads: 1 });
  const to: OutForm = f.to ?? (/\.onnx$/i.test(output) ? 'onnx' : output.endsWith('/') || (await isFolder(output)) ? 'pytorch' : 'recurrent');
  const opened = await openModel(input);
  try {
    if (opened.differs) {
      throw new CliError(`cannot convert ${JSON.stringify(input)}: ${opened.differs}; the ${KIND_NAMES[to]} written from it would not compute that`);
    }
    let written = 0;
    if (to === 'pytorch') {
      const folder = saveTorch(opened.model);
      try {
        await mkdir(output, { recursive: true });
      } catch (e) {
        throw new CliError(`cannot write PyTorch folder ${JSON.stringify(output)}: ${reason(e)}`);
      }
      await writeFileAtomic(join(output, 'meta.json'), folder['meta.json'], 'meta.json');
      await writeFileAtomic(join(output, 'model.safetensors'), folder['model.safetensors'], 'model.safetensors');
      written = folder['meta.json'].length + folder['model.safetensors'].length;
    } else {
      const data = to === 'onnx' ? saveOnnx(opened.model) : saveModel(opened.model);
      await writeFileAtomic(output, data, to === 'onnx' ? 'ONNX file' : 'model file');
      written = data.length;
    }
    if (!f.quiet) process.stderr.write(`${input} (${KIND_NAMES[opened.kind]}) -> ${output} (${KIND_NAMES[to]}), ${bytes(written)}\n`);
  } finally {
    opened.model.dispose();
  }
}
