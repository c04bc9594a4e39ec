/**
 * The attention panel's worker: trains a small attention encoder-decoder (GRU, additive
 * attention) on generated dates, then translates the page's dates and returns the attention
 * weights each output character was produced with. `Seq2Seq` runs here on the single-threaded
 * build, off the page's thread, beside the training worker.
 */
import { adam, gru, init, Random, Seq2Seq } from 'recurrent';

import { codes, datePairs, SOURCE_CHARS, TARGET_CHARS } from './dates.js';

/** A request: train (replacing the model), or translate one date. */
export type AttentionRequest =
  | { kind: 'train'; pairs: number; epochs: number; units: number }
  | { kind: 'translate'; text: string };

export type AttentionReply =
  | { kind: 'epoch'; epoch: number; loss: number; accuracy: number }
  | { kind: 'trained'; exact: number; heldOut: number; seconds: number }
  | { kind: 'translated'; text: string; output: string; weights: number[][] }
  | { kind: 'error'; message: string };

let model: Seq2Seq | undefined;
const ready = init({ threads: 1 });
const post = (r: AttentionReply) => postMessage(r);
const BOS = TARGET_CHARS.length;

async function train(r: { pairs: number; epochs: number; units: number }): Promise<void> {
  await ready;
  model?.dispose();
  model = new Seq2Seq({ sourceVocabSize: SOURCE_CHARS.length, targetVocabSize: BOS + 2, bos: BOS, eos: BOS + 1, cell: gru({ units: r.units }), embeddingDim: 16, attention: 'additive', seed: 1 });
  const rng = new Random(3);
  const toPair = (p: { text: string; iso: string }) => ({ source: codes(p.text, SOURCE_CHARS)!, target: codes(p.iso, TARGET_CHARS)! });
  const started = performance.now();
  await model.fit(datePairs(r.pairs, rng).map(toPair), {
    epochs: r.epochs,
    batchSize: 32,
    optimizer: adam({ lr: 0.01 }),
    clipNorm: 1,
    onEpochEnd: (e) => post({ kind: 'epoch', epoch: e.epoch, loss: e.loss, accuracy: e.accuracy ?? Number.NaN }),
  });
  const test = datePairs(200, rng);
  const out = model.translate(test.map((p) => codes(p.text, SOURCE_CHARS)!), { maxLength: 12 });
  const exact = out.filter((o, i) => o.map((c) => TARGET_CHARS[c]).join('') === test[i]!.iso).length;
  post({ kind: 'trained', exact, heldOut: test.length, seconds: (performance.now() - started) / 1000 });
}

function translate(text: string): void {
  if (!model) throw new Error('train the model first');
  const source = codes(text, SOURCE_CHARS);
  if (!source || source.length === 0) throw new Error(`only letters, digits, spaces and , . / please: ${JSON.stringify(text)}`);
  const r = model.translate([source], { maxLength: 12, returnAttention: true });
  post({ kind: 'translated', text, output: r.tokens[0]!.map((c) => TARGET_CHARS[c] ?? '?').join(''), weights: r.attention[0]! });
}

onmessage = async (e: MessageEvent<AttentionRequest>) => {
  try {
    if (e.data.kind === 'train') await train(e.data);
    else translate(e.data.text);
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
