/**
 * A {@link TreeClassifier} as bytes: a safetensors file with every parameter (float32) and,
 * in its metadata, the options and the vocabulary. Loading checks everything before a
 * classifier is built; a file that is not one is a {@link FormatError}.
 */
import { Vocab } from '../data/vocab.js';
import { FormatError } from '../io/format-error.js';
import { readSafetensors } from '../io/safetensors-read.js';
import { writeSafetensors } from '../io/safetensors-write.js';
import { TreeClassifier } from './classifier.js';

const FORMAT = 'recurrent-tree-classifier/1';

/** The classifier's parameters, options and vocabulary, as safetensors bytes. */
export function saveTreeClassifier(model: TreeClassifier): Uint8Array {
  const o = model.options;
  const tensors = Object.fromEntries(model.parameters().map((p) => [p.name, { dtype: 'F32' as const, shape: [...p.shape], data: p.read() }]));
  const options = { cell: o.cell, hiddenSize: o.hiddenSize, embeddingSize: o.embeddingSize, classes: o.classes, labels: o.labels, seed: o.seed };
  return writeSafetensors(tensors, { format: FORMAT, options: JSON.stringify(options), vocab: JSON.stringify(o.vocab.toJSON()) });
}

/** A classifier from the bytes of {@link saveTreeClassifier}. */
export function loadTreeClassifier(bytes: Uint8Array | ArrayBuffer): TreeClassifier {
  const op = 'loadTreeClassifier';
  const file = readSafetensors(bytes);
  if (file.metadata['format'] !== FORMAT) throw new FormatError(`${op}: not a tree classifier file (metadata format ${JSON.stringify(file.metadata['format'] ?? null)}, expected ${FORMAT})`);
  let options: Record<string, unknown>;
  let vocab: Vocab;
  try {
    options = JSON.parse(file.metadata['options'] ?? '') as Record<string, unknown>;
    vocab = Vocab.fromJSON(JSON.parse(file.metadata['vocab'] ?? '') as string[]);
  } catch (e) {
    throw new FormatError(`${op}: unreadable options or vocabulary in the metadata: ${(e as Error).message}`);
  }
  const dict: Record<string, Float32Array> = {};
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new FormatError(`${op}: tensor \`${name}\` is ${t.dtype}, expected F32`);
    dict[name] = t.data as Float32Array;
  }
  let model: TreeClassifier;
  try {
    model = new TreeClassifier({ ...(options as object), vocab } as ConstructorParameters<typeof TreeClassifier>[0]);
  } catch (e) {
    throw new FormatError(`${op}: the stored options are not valid: ${(e as Error).message}`);
  }
  try {
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw new FormatError(`${op}: ${(e as Error).message}`);
  }
  return model;
}
