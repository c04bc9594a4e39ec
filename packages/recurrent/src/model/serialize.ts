/**
 * Model files: one safetensors file whose tensors are the model's state dict (PyTorch names,
 * float32) and whose `__metadata__` holds the JSON config (layers, seed, vocabulary,
 * tokenizer) and a CRC-32 of the tensor bytes. The tensors alone load into PyTorch:
 *
 *     from safetensors.torch import load_file
 *     module.load_state_dict(load_file("model.safetensors"))
 *
 * except those of layers PyTorch's modules cannot compute, which are stored under names
 * `load_state_dict(strict=True)` refuses (see torch-compat.ts).
 */
import { Vocab, type VocabJSON } from '../data/vocab.js';
import { engine } from '../engine/loader.js';
import { DisposedError, InitError, InvalidArgumentError, OutOfMemoryError, RecurrentError } from '../errors.js';
import { checkLayerConfigs, parameterLowerBound } from './checks.js';
import { describe } from '../validate/index.js';
import { FormatError } from '../io/format-error.js';
import { readStore, storeUrl } from '../io/browser-store.js';
import { type PathOrUrl, readIn, withReadSession } from '../io/files.js';
import { checkReadOptions, type ReadOptions } from '../io/read-session.js';
import { checkSafetensorsStart, readSafetensors, type SafetensorsFile, writeSafetensors, type WritableTensor } from '../io/safetensors.js';
import type { LayerConfig } from './layers.js';
import { Model } from './model.js';
import { markedNames, torchMetadata, unmarkNames } from './torch-compat.js';

const FORMAT = 'recurrent-model/1';

/** The JSON stored with the tensors. */
export interface ModelConfigJSON {
  format: typeof FORMAT;
  layers: LayerConfig[];
  seed: number;
  inputSize: number;
  tokenizer: 'char' | 'word';
  vocab: VocabJSON | null;
}

/** CRC-32 (IEEE) of `bytes`, to catch corrupted files. */
export function crc32(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`crc32: argument \`bytes\` expected a Uint8Array, got ${describe(bytes)}`);
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i]!;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The tensors' bytes in name order: what the checksum of a model file covers. */
export function tensorBytes(tensors: Map<string, Float32Array>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const total = names.reduce((n, k) => n + tensors.get(k)!.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const k of names) {
    const t = tensors.get(k)!;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at += t.byteLength;
  }
  return out;
}

/** The model as a safetensors file (bytes). */
export function saveModel(model: Model): Uint8Array {
  if (!(model instanceof Model)) throw new InvalidArgumentError('saveModel: argument `model` expected a Model (from sequential or loadModel)');
  const dict = model.stateDict();
  const config: ModelConfigJSON = {
    format: FORMAT,
    layers: [...model.configs],
    seed: model.seed,
    inputSize: model.featureSize,
    tokenizer: model.tokenizer,
    vocab: model.vocab ? model.vocab.toJSON() : null,
  };
  const tensors = new Map<string, WritableTensor>();
  const shapes = new Map(model.parameters().map((p) => [p.name, p.shape]));
  // Layers PyTorch cannot compute are stored under marked names (see torch-compat.ts); the
  // checksum covers the tensors as stored.
  const marked = markedNames(model);
  const stored = new Map([...dict].map(([name, data]) => [marked.get(name) ?? name, data]));
  for (const [name, data] of dict) tensors.set(marked.get(name) ?? name, { dtype: 'F32', shape: shapes.get(name)!, data });
  const json = JSON.stringify(config);
  return writeSafetensors(tensors, {
    recurrent: json,
    crc32: String(crc32(tensorBytes(stored))),
    config_crc32: String(crc32(new TextEncoder().encode(json))),
    ...torchMetadata(model),
  });
}

/**
 * Reads a model file written by {@link saveModel}: bytes, or a path/URL to read under the
 * limits of `options` (`signal`, `timeoutMs`, `maxBytes`: see {@link ReadOptions}; the
 * download stops at its first bytes if they cannot start a safetensors file). Throws
 * `InitError` when the engine is not loaded (before anything is read), `FormatError` when the
 * file is not a valid model file, `ReadAbortedError` when a limit stops the read.
 */
export async function loadModel(source: Uint8Array | PathOrUrl, options?: ReadOptions): Promise<Model> {
  engine(); // the engine builds the model: without it, say so before reading anything
  const fn = 'loadModel';
  // `indexeddb://<name>`: a model kept by storeModel in this browser.
  if (storeUrl(source)) return modelFromBytes(await readStore(fn, source as string));
  const bytes =
    source instanceof Uint8Array
      ? (checkReadOptions(fn, options), source)
      : await withReadSession(fn, options, (session) => readIn(session, fn, source, checkSafetensorsStart));
  return modelFromBytes(bytes);
}

/** Synchronous {@link loadModel} from bytes. */
export function modelFromBytes(bytes: Uint8Array): Model {
  engine(); // an InitError, not a FormatError blaming the file
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('loadModel: expected the bytes of a model file (Uint8Array)');
  const file = readSafetensors(bytes);
  const raw = file.metadata['recurrent'];
  if (raw === undefined) throw new FormatError('model file: no `recurrent` config in the safetensors metadata (is this a plain state dict? use loadTorch for PyTorch folders)');
  // Both checksums are checked before the config is believed or anything is built from it.
  checkChecksum('config', file.metadata['config_crc32'], new TextEncoder().encode(raw));
  let config: ModelConfigJSON;
  try {
    config = JSON.parse(raw, (key, value: unknown) => (key === '__proto__' ? undefined : value)) as ModelConfigJSON;
  } catch (e) {
    throw new FormatError(`model file: the config is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || config.format !== FORMAT) {
    throw new FormatError(`model file: expected format ${FORMAT}, got ${JSON.stringify((config as { format?: unknown })?.format)}`);
  }
  const dict = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array)) throw new FormatError(`model file: tensor ${name} is ${t.dtype}, expected F32`);
    dict.set(name, t.data);
  }
  checkChecksum('tensor data', file.metadata['crc32'], tensorBytes(dict));
  if (!Array.isArray(config.layers) || config.layers.length === 0) throw new FormatError('model file: config.layers is not a non-empty array');
  let model: Model;
  try {
    checkLayerConfigs('model file: config', config.layers);
    // The config may not declare more parameters than the file carries: a corrupt or hostile
    // size must not allocate a huge model before the tensors are compared with it.
    const carried = [...dict.values()].reduce((n, t) => n + t.length, 0);
    const declared = parameterLowerBound(config.layers, config.inputSize);
    if (!(declared <= carried)) {
      throw new FormatError(`model file: the config declares at least ${declared} parameters, the file carries ${carried}`);
    }
    model = new Model(config.layers, {
      seed: config.seed,
      inputSize: config.inputSize,
      tokenizer: config.tokenizer,
      ...(config.vocab ? { vocab: Vocab.fromJSON(config.vocab) } : {}),
    });
  } catch (e) {
    if (e instanceof FormatError || e instanceof OutOfMemoryError || e instanceof InitError || e instanceof DisposedError || !(e instanceof RecurrentError)) throw e;
    throw new FormatError(`model file: the config does not describe a valid model: ${e.message}`, { cause: e });
  }
  let named: { file: SafetensorsFile; dict: Map<string, Float32Array> };
  try {
    named = { file: { ...file, tensors: unmarkNames(model, file.tensors) }, dict: unmarkNames(model, dict) };
  } catch (e) {
    model.dispose();
    throw e;
  }
  return loadWeights(model, named.file, named.dict, 'model file');
}

/**
 * Loads the tensors of `file` (as `dict`) into a freshly built `model`, checking every shape;
 * on any mismatch the model is disposed and a {@link FormatError} says what differs.
 */
export function loadWeights(model: Model, file: SafetensorsFile, dict: ReadonlyMap<string, Float32Array>, what: string): Model {
  try {
    for (const p of model.parameters()) {
      const shape = file.tensors.get(p.name)?.shape;
      if (shape && (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i]))) {
        throw new FormatError(`tensor \`${p.name}\` expected shape [${p.shape.join(', ')}], got [${shape.join(', ')}]`);
      }
    }
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw new FormatError(`${what}: ${(e as Error).message}`, { cause: e });
  }
  return model;
}

/** Throws a {@link FormatError} unless `stored` (a metadata string) is the CRC-32 of `bytes`. */
export function checkChecksum(what: string, stored: string | undefined, bytes: Uint8Array): void {
  if (stored === undefined) throw new FormatError(`model file: no checksum of the ${what} in the metadata (not written by saveModel, or corrupted)`);
  const actual = crc32(bytes);
  if (!/^\d{1,10}$/.test(stored) || Number(stored) !== actual) {
    throw new FormatError(`model file: the ${what} does not match its checksum (expected CRC-32 ${stored}, got ${actual}); the file is corrupted`);
  }
}
