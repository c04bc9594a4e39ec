/**
 * `saveTorch`: a model as a PyTorch interchange folder (`meta.json` + `model.safetensors`, the
 * format `loadTorch` reads: README, "PyTorch folders"). Only what `nn.Embedding`,
 * `nn.RNN/GRU/LSTM` and `nn.Linear` compute is written; a kind PyTorch computes differently,
 * a one-hot input or a pooled output is refused with an InvalidArgumentError naming the layer.
 */
import { torchDifference } from '../core/cell-kinds.js';
import { InvalidArgumentError } from '../errors.js';
import { writeSafetensors } from '../io/safetensors.js';
import type { WritableTensor } from '../io/safetensors-types.js';
import { cellKindOf } from './layers.js';
import type { Model } from './model.js';

/** The files of the folder: `meta.json` (text) and `model.safetensors` (bytes). */
export interface TorchFolder {
  'meta.json': string;
  'model.safetensors': Uint8Array;
}

export function saveTorch(model: Model): TorchFolder {
  const fn = 'saveTorch';
  const architecture: Record<string, unknown>[] = [];
  let size = model.featureSize;
  if (model.takesTrees) throw new InvalidArgumentError(`${fn}: layer 0 is a ${model.configs[0]!.type} tree encoder, which has no PyTorch module in the folder format; save it with saveModel`);
  for (const c of model.configs) {
    if (c.type === 'oneHot') throw new InvalidArgumentError(`${fn}: a oneHot input has no PyTorch module in the folder format (use an embedding)`);
    if (c.type === 'embedding') {
      architecture.push({ type: 'embedding', name: c.name ?? 'embedding', num_embeddings: c.vocabSize, embedding_dim: c.dim });
      size = c.dim;
    }
  }
  model.recurrent.forEach((r) => {
    const kind = cellKindOf(r.config);
    const differs = torchDifference(kind);
    if (differs) throw new InvalidArgumentError(`${fn}: layer ${r.name} (${kind}) ${differs}`);
    if (r.skip > 0) throw new InvalidArgumentError(`${fn}: layer ${r.name} has a skip connection (skip: ${r.skip}); nn.RNN has none (save it with saveModel: its tensors keep the names weight_skip_l{k} of the skip RNN's reference)`);
    if ((r.config.output ?? 'sequence') !== 'sequence') throw new InvalidArgumentError(`${fn}: layer ${r.name} pools its output ('${r.config.output}'); the folder format has per-step outputs only`);
    architecture.push({
      type: r.config.type, name: r.name, input_size: size, hidden_size: r.hiddenSize, num_layers: r.layers, bias: r.config.bias !== false, batch_first: false, bidirectional: r.directions === 2,
      ...(r.config.type === 'rnn' ? { nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' } : {}),
      ...(r.stateWidth !== r.hiddenSize ? { proj_size: r.stateWidth } : {}),
    });
    size = r.outputSize;
  });
  const d = model.dense;
  if (d) architecture.push({ type: 'linear', name: d.name, in_features: size, out_features: d.units, bias: d.config.bias !== false });
  const dict = model.stateDict();
  const tensors = new Map<string, WritableTensor>(model.parameters().map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: dict.get(p.name)! }]));
  const meta = {
    format: 'pytorch-state-dict/1',
    architecture,
    ...(model.vocab ? { vocab: model.vocab.toJSON() } : {}),
    tokenizer: { level: model.tokenizer },
  };
  return { 'meta.json': `${JSON.stringify(meta, null, 2)}\n`, 'model.safetensors': writeSafetensors(tensors) };
}
