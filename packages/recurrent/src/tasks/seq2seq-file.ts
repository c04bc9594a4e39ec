/**
 * An encoder-decoder in one file, as `saveModel` writes a model: a safetensors file of both
 * halves' tensors (`encoder.<name>`, `decoder.<name>`, PyTorch names), with the options that
 * rebuild it and CRC-32 checksums of the options and the tensors in its metadata.
 */
import { engine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { FormatError } from '../io/format-error.js';
import { type PathOrUrl, readIn, withReadSession } from '../io/files.js';
import { checkReadOptions, type ReadOptions } from '../io/read-session.js';
import { checkSafetensorsStart, readSafetensors, writeSafetensors, type WritableTensor } from '../io/safetensors.js';
import { checkChecksum, crc32, tensorBytes } from '../model/serialize.js';
import { Seq2Seq, type Seq2SeqOptions } from './seq2seq.js';

/** The metadata key of the options (a model file's is `recurrent`). */
const KEY = 'recurrent_seq2seq';

/** The file's bytes: every parameter of `model` and the options that rebuild it. */
export function saveSeq2Seq(model: Seq2Seq): Uint8Array {
  if (!(model instanceof Seq2Seq)) throw new InvalidArgumentError('saveSeq2Seq: argument `model` expected a Seq2Seq');
  const options = model.options;
  const dict = model.stateDict();
  const shapes = new Map<string, readonly number[]>(model.parameters().map((p) => [p.name, p.shape] as const));
  const tensors = new Map<string, WritableTensor>([...dict].map(([name, data]) => [name, { dtype: 'F32', shape: shapes.get(name)!, data }]));
  const json = JSON.stringify(options);
  return writeSafetensors(tensors, { [KEY]: json, crc32: String(crc32(tensorBytes(dict))), config_crc32: String(crc32(new TextEncoder().encode(json))) });
}

/** An encoder-decoder from the bytes of {@link saveSeq2Seq}; a `FormatError` names what is wrong. */
export function seq2seqFromBytes(bytes: Uint8Array): Seq2Seq {
  engine();
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('loadSeq2Seq: expected the bytes of a Seq2Seq file (Uint8Array)');
  const file = readSafetensors(bytes);
  const raw = file.metadata[KEY];
  if (raw === undefined) throw new FormatError(`Seq2Seq file: no \`${KEY}\` options in the metadata (a model file? use loadModel)`);
  checkChecksum('config', file.metadata['config_crc32'], new TextEncoder().encode(raw));
  const dict = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array)) throw new FormatError(`Seq2Seq file: tensor ${name} is ${t.dtype}, expected F32`);
    dict.set(name, t.data);
  }
  checkChecksum('tensor data', file.metadata['crc32'], tensorBytes(dict));
  let model: Seq2Seq;
  try {
    model = new Seq2Seq(JSON.parse(raw, (key, value: unknown) => (key === '__proto__' ? undefined : value)) as Seq2SeqOptions);
  } catch (e) {
    throw new FormatError(`Seq2Seq file: the options do not build a Seq2Seq: ${(e as Error).message}`, { cause: e });
  }
  try {
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw new FormatError(`Seq2Seq file: the tensors do not fit the options: ${(e as Error).message}`, { cause: e });
  }
  return model;
}

/** Reads a {@link saveSeq2Seq} file: bytes, or a path / URL read under the limits of `options`. */
export async function loadSeq2Seq(source: Uint8Array | PathOrUrl, options?: ReadOptions): Promise<Seq2Seq> {
  engine();
  const fn = 'loadSeq2Seq';
  const bytes = source instanceof Uint8Array ? (checkReadOptions(fn, options), source) : await withReadSession(fn, options, (s) => readIn(s, fn, source, checkSafetensorsStart));
  return seq2seqFromBytes(bytes);
}
