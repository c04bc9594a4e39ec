/** `recurrent info PATH`: what a checkpoint (or PyTorch folder, ONNX file, TensorFlow.js layers model) holds, as text or JSON. */
import { init } from '../engine/loader.js';
import { bytes, grouped, layerSummary } from './format.js';
import { KIND_NAMES, openModel } from './model-file.js';

export interface InfoFlags {
  json?: boolean;
}

export async function info(path: string, f: InfoFlags): Promise<void> {
  await init({ threads: 1 });
  const { model, kind, bytes: size, differs } = await openModel(path);
  try {
    const params = model.parameters();
    const vocab = model.vocab;
    const summary = {
      path,
      kind,
      fileBytes: size,
      layers: model.configs,
      tokenizer: model.tokenizer,
      vocabSize: vocab?.size ?? null,
      inputSize: model.featureSize,
      outputSize: model.outputSize,
      parameterCount: model.parameterCount,
      seed: model.seed,
      parameters: params.map((p) => ({ name: p.name, shape: p.shape })),
      ...(differs ? { differs } : {}),
    };
    if (f.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    lines.push(`${path}: ${KIND_NAMES[kind]}, ${bytes(size)} (${grouped(size)} bytes)`);
    if (differs) lines.push(`note: the file also computes what these layers do not: ${differs}`);
    lines.push('layers:');
    model.configs.forEach((c, i) => lines.push(`  ${i}  ${layerSummary(c)}`));
    if (vocab) {
      const shown = vocab.tokens.slice(0, 12).map((t) => JSON.stringify(t)).join(' ');
      lines.push(`vocabulary: ${grouped(vocab.size)} ${model.tokenizer === 'word' ? 'words' : 'characters'}: ${shown}${vocab.size > 12 ? ' ...' : ''}`);
    } else {
      lines.push('vocabulary: none');
    }
    lines.push(`input: ${model.takesTokens ? `token ids -> ${model.featureSize} features` : `${model.featureSize} features per step`}, output: ${model.outputSize} per step`);
    lines.push(`parameters: ${grouped(model.parameterCount)} (${bytes(model.parameterCount * 4)} as float32) in ${params.length} tensors`);
    for (const p of params) lines.push(`  ${p.name.padEnd(28)} [${p.shape.join(', ')}]`);
    if (kind === 'recurrent') lines.push(`seed: ${model.seed}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    model.dispose();
  }
}
