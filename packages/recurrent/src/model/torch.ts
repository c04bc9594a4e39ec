/**
 * `loadTorch`: reads a model trained in PyTorch from the interchange folder (`meta.json` +
 * `model.safetensors`, see the torch-lm fixture README): `nn.Embedding`, `nn.RNN/GRU/LSTM`
 * with any layers and directions, `nn.Linear`, in that order.
 */
import { Vocab } from '../data/vocab.js';
import { OutOfMemoryError, RecurrentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';
import { parameterLowerBound } from './checks.js';
import { readBytes, readText, type PathOrUrl } from '../io/files.js';
import { readSafetensors } from '../io/safetensors.js';
import { dense, embedding, gru, type LayerConfig, lstm, rnn } from './layers.js';
import { Model } from './model.js';
import { loadWeights } from './serialize.js';

interface TorchModule {
  type: string;
  name: string;
  num_embeddings?: number;
  embedding_dim?: number;
  input_size?: number;
  hidden_size?: number;
  num_layers?: number;
  bias?: boolean;
  bidirectional?: boolean;
  nonlinearity?: string;
  in_features?: number;
  out_features?: number;
}

function join(base: PathOrUrl, file: string): PathOrUrl {
  if (base instanceof URL) return new URL(file, base.href.endsWith('/') ? base : `${base.href}/`);
  return base.endsWith('/') ? `${base}${file}` : `${base}/${file}`;
}

function layerOf(m: TorchModule): LayerConfig {
  const need = (v: number | undefined, what: string): number => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new FormatError(`meta.json: module ${m.name}: \`${what}\` expected a positive integer, got ${String(v)}`);
    return v as number;
  };
  if ((m.type === 'rnn' || m.type === 'gru' || m.type === 'lstm' || m.type === 'linear') && m.bias === false) {
    throw new FormatError(`meta.json: module ${m.name}: bias=False is not supported`);
  }
  // Only the recurrent modules have `hidden_size`: build their options when one is met.
  const common = () => ({ units: need(m.hidden_size, 'hidden_size'), layers: m.num_layers ?? 1, bidirectional: m.bidirectional ?? false, name: m.name });
  switch (m.type) {
    case 'embedding':
      return embedding({ vocabSize: need(m.num_embeddings, 'num_embeddings'), dim: need(m.embedding_dim, 'embedding_dim'), name: m.name });
    case 'lstm':
      return lstm(common());
    case 'gru':
      return gru(common());
    case 'rnn':
      return rnn({ ...common(), nonlinearity: m.nonlinearity === 'relu' ? 'relu' : 'tanh' });
    case 'linear':
      return dense({ units: need(m.out_features, 'out_features'), name: m.name });
    default:
      throw new FormatError(`meta.json: unsupported module type ${JSON.stringify(m.type)} (expected embedding, rnn, gru, lstm, linear)`);
  }
}

/** Loads the PyTorch folder at `folder` (path or URL) into a model with its vocabulary. */
export async function loadTorch(folder: PathOrUrl): Promise<Model> {
  let meta: { format?: string; architecture?: TorchModule[]; vocab?: string[]; tokenizer?: { level?: string } };
  try {
    meta = JSON.parse(await readText(join(folder, 'meta.json')), (k, v: unknown) => (k === '__proto__' ? undefined : v)) as typeof meta;
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(`meta.json is not valid JSON: ${e.message}`);
    throw e;
  }
  if (typeof meta !== 'object' || meta === null) throw new FormatError(`meta.json: expected a JSON object, got ${meta === null ? 'null' : typeof meta}`);
  if (meta.format !== 'pytorch-state-dict/1') throw new FormatError(`meta.json: expected format pytorch-state-dict/1, got ${JSON.stringify(meta.format)}`);
  if (!Array.isArray(meta.architecture) || meta.architecture.length === 0) throw new FormatError('meta.json: `architecture` expected a non-empty array of modules');
  const architecture = meta.architecture;
  const layers = asFormatError('meta.json', () => architecture.map((m) => {
    if (typeof m !== 'object' || m === null) throw new FormatError(`meta.json: every module expected an object, got ${String(m)}`);
    return layerOf(m);
  }));
  const first = meta.architecture[0]!;
  const file = readSafetensors(await readBytes(join(folder, 'model.safetensors')));
  const dict = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array)) throw new FormatError(`model.safetensors: tensor ${name} is ${t.dtype}; float32/16 expected`);
    dict.set(name, t.data);
  }
  const level = meta.tokenizer?.level === 'word' ? 'word' : 'char';
  const inputSize = first.type === 'embedding' ? undefined : (first.input_size ?? 0);
  // Sizes in meta.json are not believed beyond what the tensors carry: nothing big is built first.
  const carried = [...dict.values()].reduce((n, t) => n + t.length, 0);
  const declared = parameterLowerBound(layers, inputSize);
  if (!(declared <= carried)) throw new FormatError(`meta.json declares at least ${declared} parameters, model.safetensors carries ${carried}`);
  const vocab = meta.vocab;
  const model = asFormatError('meta.json', () => new Model(layers, {
    ...(inputSize === undefined ? {} : { inputSize }),
    tokenizer: level,
    ...(Array.isArray(vocab) ? { vocab: Vocab.fromJSON(vocab) } : {}),
  }));
  return loadWeights(model, file, dict, 'model.safetensors does not match meta.json');
}

/** Runs `f`, reporting an invalid size or option it finds in the files as a {@link FormatError}. */
function asFormatError<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError || e instanceof OutOfMemoryError || !(e instanceof RecurrentError)) throw e;
    throw new FormatError(`${file}: ${e.message}`, { cause: e });
  }
}
