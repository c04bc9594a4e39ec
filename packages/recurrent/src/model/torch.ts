/**
 * `loadTorch`: reads a model trained in PyTorch from the interchange folder (`meta.json` +
 * `model.safetensors`; the format and its limits are in the README's "PyTorch folders"
 * section): `nn.Embedding`, `nn.RNN/GRU/LSTM` with any layers and directions, `nn.Linear`, in
 * that order.
 */
import { Vocab } from '../data/vocab.js';
import { describe } from '../validate/index.js';
import { engine } from '../engine/loader.js';
import { DisposedError, InitError, InvalidArgumentError, OutOfMemoryError, RecurrentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';
import { parameterLowerBound } from './checks.js';
import { type PathOrUrl, readIn, withReadSession } from '../io/files.js';
import { scanJson } from '../io/json-scan.js';
import type { ReadOptions } from '../io/read-session.js';
import { checkSafetensorsStart, readSafetensors } from '../io/safetensors.js';
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
  proj_size?: number;
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
  if (m.bias !== undefined && typeof m.bias !== 'boolean') {
    throw new FormatError(`meta.json: module ${m.name}: \`bias\` expected a boolean, got ${describe(m.bias)}`);
  }
  // proj_size > 0: an LSTM with projections (`weight_hr_l{k}`), PyTorch's rule 0 < proj_size < hidden_size.
  const projSize: unknown = m.proj_size ?? 0;
  if (projSize !== 0) {
    if (m.type !== 'lstm') throw new FormatError(`meta.json: module ${m.name}: proj_size ${describe(projSize)} is only for lstm modules, not ${m.type}`);
    if (!Number.isInteger(projSize) || (projSize as number) < 0 || (projSize as number) >= need(m.hidden_size, 'hidden_size')) {
      throw new FormatError(`meta.json: module ${m.name}: \`proj_size\` expected 0 or an integer below hidden_size ${String(m.hidden_size)}, got ${describe(projSize)}`);
    }
  }
  const proj = projSize === 0 ? {} : { projSize: projSize as number };
  // bias=False: the layer has no bias parameters (and the state dict no bias tensors).
  const bias = m.bias === false ? { bias: false } : {};
  // Only the recurrent modules have `hidden_size`: build their options when one is met.
  const common = () => ({ units: need(m.hidden_size, 'hidden_size'), layers: m.num_layers ?? 1, bidirectional: m.bidirectional ?? false, name: m.name, ...bias });
  switch (m.type) {
    case 'embedding':
      return embedding({ vocabSize: need(m.num_embeddings, 'num_embeddings'), dim: need(m.embedding_dim, 'embedding_dim'), name: m.name });
    case 'lstm':
      return lstm({ ...common(), ...proj });
    case 'gru':
      return gru(common());
    case 'rnn':
      if (m.nonlinearity !== undefined && m.nonlinearity !== 'tanh' && m.nonlinearity !== 'relu') {
        throw new FormatError(`meta.json: module ${m.name}: \`nonlinearity\` expected 'tanh' or 'relu', got ${describe(m.nonlinearity)}`);
      }
      return rnn({ ...common(), nonlinearity: m.nonlinearity ?? 'tanh' });
    case 'linear':
      return dense({ units: need(m.out_features, 'out_features'), name: m.name, ...bias });
    default:
      throw new FormatError(`meta.json: unsupported module type ${JSON.stringify(m.type)} (expected embedding, rnn, gru, lstm, linear)`);
  }
}

/**
 * The deepest nesting `meta.json` may have. The format needs 4 (the fixture's
 * `expected.logits_first_20_steps` is a list of lists); a deeper file is refused before it is
 * parsed, as parsing it would overflow the stack.
 */
export const MAX_META_DEPTH = 32;

type Meta = { format?: string; architecture?: TorchModule[]; vocab?: string[]; tokenizer?: { level?: string } };

/**
 * Loads the PyTorch folder at `folder` (a path, or a URL of the folder) into a model with its
 * vocabulary, reading `meta.json` and `model.safetensors` under the limits of `options`
 * (`signal`, `timeoutMs` for both files together, `maxBytes` for each: see
 * {@link ReadOptions}). Throws `InvalidArgumentError` for a bad `folder` or an unreadable
 * file, `InitError` when the engine is not loaded (before anything is read), `FormatError`
 * when the files are not a valid folder, `ReadAbortedError` when a limit stops a read.
 */
export async function loadTorch(folder: PathOrUrl, options?: ReadOptions): Promise<Model> {
  const fn = 'loadTorch';
  if (!(folder instanceof URL) && !(typeof folder === 'string' && folder.length > 0)) {
    throw new InvalidArgumentError(
      `${fn}: argument \`folder\` expected a non-empty path or a URL of a folder holding meta.json and model.safetensors, got ${folder === '' ? "''" : describe(folder)}`,
    );
  }
  engine(); // the engine builds the model: without it, say so before reading anything
  return withReadSession(fn, options, async (session) => {
    const metaText = new TextDecoder('utf-8').decode(await readIn(session, fn, join(folder, 'meta.json')));
    const meta = parseMeta(metaText);
    const layers = layersOf(meta);
    const weights = await readIn(session, fn, join(folder, 'model.safetensors'), checkSafetensorsStart);
    return build(meta, layers, weights);
  });
}

/** `meta.json` parsed, without `__proto__` keys; its nesting is checked first. */
function parseMeta(text: string): Meta {
  if (scanJson(text, { maxDepth: MAX_META_DEPTH }).tooDeep) {
    throw new FormatError(`meta.json: nested deeper than ${MAX_META_DEPTH} levels (the limit; the format needs 4)`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text, (k, v: unknown) => (k === '__proto__' ? undefined : v));
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(`meta.json is not valid JSON: ${e.message}`);
    throw e;
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new FormatError(`meta.json: expected a JSON object, got ${meta === null ? 'null' : Array.isArray(meta) ? 'an array' : typeof meta}`);
  }
  return meta as Meta;
}

/** The layers `meta.architecture` describes. */
function layersOf(meta: Meta): LayerConfig[] {
  if (meta.format !== 'pytorch-state-dict/1') throw new FormatError(`meta.json: expected format pytorch-state-dict/1, got ${JSON.stringify(meta.format)}`);
  if (!Array.isArray(meta.architecture) || meta.architecture.length === 0) throw new FormatError('meta.json: `architecture` expected a non-empty array of modules');
  const architecture = meta.architecture;
  const layers = asFormatError('meta.json', () => architecture.map((m) => {
    if (typeof m !== 'object' || m === null) throw new FormatError(`meta.json: every module expected an object, got ${String(m)}`);
    return layerOf(m);
  }));
  return layers;
}

/** The model of `meta` with the weights in `bytes` (model.safetensors). */
function build(meta: Meta, layers: LayerConfig[], bytes: Uint8Array): Model {
  const first = (meta.architecture as TorchModule[])[0]!;
  const file = readSafetensors(bytes);
  const dict = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array)) throw new FormatError(`model.safetensors: tensor ${name} is ${t.dtype}; float32/16 expected`);
    dict.set(name, t.data);
  }
  const level = levelOf(meta);
  const inputSize = first.type === 'embedding' ? undefined : (first.input_size ?? 0);
  // Sizes in meta.json are not believed beyond what the tensors carry: nothing big is built first.
  const carried = [...dict.values()].reduce((n, t) => n + t.length, 0);
  const declared = parameterLowerBound(layers, inputSize);
  if (!(declared <= carried)) throw new FormatError(`meta.json declares at least ${declared} parameters, model.safetensors carries ${carried}`);
  const vocab: unknown = meta.vocab;
  if (vocab !== undefined && !Array.isArray(vocab)) throw new FormatError(`meta.json: \`vocab\` expected an array of tokens (index -> token), got ${describe(vocab)}`);
  const model = asFormatError('meta.json', () => new Model(layers, {
    ...(inputSize === undefined ? {} : { inputSize }),
    tokenizer: level,
    ...(Array.isArray(vocab) ? { vocab: Vocab.fromJSON(vocab) } : {}),
  }));
  return loadWeights(model, file, dict, 'model.safetensors does not match meta.json');
}

/** `tokenizer.level`: 'char' (also when absent) or 'word'; anything else is a {@link FormatError}. */
function levelOf(meta: Meta): 'char' | 'word' {
  const tokenizer: unknown = meta.tokenizer;
  if (tokenizer === undefined) return 'char';
  const level: unknown = typeof tokenizer === 'object' && tokenizer !== null ? (tokenizer as { level?: unknown }).level : tokenizer;
  if (level === undefined || level === 'char') return 'char';
  if (level === 'word') return 'word';
  throw new FormatError(`meta.json: \`tokenizer\` expected { level: 'char' | 'word' }, got ${typeof tokenizer === 'object' && tokenizer !== null ? `level ${describe(level)}` : describe(tokenizer)}`);
}

/** Runs `f`, reporting an invalid size or option it finds in the files as a {@link FormatError}. */
function asFormatError<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError || e instanceof OutOfMemoryError || e instanceof InitError || e instanceof DisposedError || !(e instanceof RecurrentError)) throw e;
    throw new FormatError(`${file}: ${e.message}`, { cause: e });
  }
}
