// Reversing strings of 20-40 symbols over a 10-symbol alphabet: an encoder-decoder with and
// without attention, the same GRU sizes, seed, data and training budget, and each one's
// exact-match accuracy on held-out strings (greedy decoding). Without attention the decoder
// sees the source only through the encoder's final state, which must hold up to 40 symbols;
// with attention (Bahdanau, additive) it looks the symbol it needs up at every step.
// Measured (defaults: 4000 pairs x 12 epochs, GRU 64, one thread, shared machine, 100 s for
// both): without attention 0.0% exact match, with attention 97.0% (teacher-forced token
// accuracy at the last epoch 0.562 vs 0.999).
//
//     node --import tsx examples/attention-reverse.ts [--pairs 4000] [--epochs 12]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import { adam, gru, init, Random, Seq2Seq, type Seq2SeqPair } from 'recurrent';

/** Sizes and budget of one run. */
export interface ReverseOptions {
  /** Training pairs. */
  pairs: number;
  epochs: number;
  /** Shortest and longest string. */
  minLength: number;
  maxLength: number;
  /** GRU units of both halves. */
  units: number;
  /** Held-out strings for the exact match. */
  heldOut: number;
  log?: (line: string) => void;
}

export const DEFAULTS: ReverseOptions = { pairs: 4000, epochs: 12, minLength: 20, maxLength: 40, units: 64, heldOut: 500 };

const SYMBOLS = 10;
const BOS = 10;
const EOS = 11;

/** Exact-match accuracy (greedy) without and with attention, after the same training. */
export async function reverseExperiment(o: ReverseOptions): Promise<{ without: number; additive: number }> {
  const rng = new Random(1);
  const pair = (): Seq2SeqPair & { source: number[]; target: number[] } => {
    const n = o.minLength + rng.nextInt(o.maxLength - o.minLength + 1);
    const source = Array.from({ length: n }, () => rng.nextInt(SYMBOLS));
    return { source, target: source.slice().reverse() };
  };
  const train = Array.from({ length: o.pairs }, pair);
  const test = Array.from({ length: o.heldOut }, pair);
  const result = { without: 0, additive: 0 };
  for (const attention of [undefined, 'additive'] as const) {
    const model = new Seq2Seq({
      sourceVocabSize: SYMBOLS,
      targetVocabSize: SYMBOLS + 2,
      bos: BOS,
      eos: EOS,
      cell: gru({ units: o.units }),
      embeddingDim: 16,
      seed: 1,
      ...(attention && { attention }),
    });
    try {
      const started = performance.now();
      await model.fit(train, {
        epochs: o.epochs,
        batchSize: 32,
        optimizer: adam({ lr: ({ epoch }) => 0.005 * 0.85 ** (epoch - 1) }),
        clipNorm: 1,
        seed: 1,
        onEpochEnd: (e) => o.log?.(`  ${attention ?? 'no attention'}, epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, token accuracy ${(e.accuracy ?? Number.NaN).toFixed(3)} (${((performance.now() - started) / 1000).toFixed(0)} s)`),
      });
      const out = model.translate(test.map((p) => p.source), { maxLength: o.maxLength + 2 });
      result[attention ?? 'without'] = out.filter((t, i) => t.join() === test[i]!.target.join()).length / test.length;
    } finally {
      model.dispose();
    }
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: String(DEFAULTS.pairs) }, epochs: { type: 'string', default: String(DEFAULTS.epochs) } } });
  await init({ threads: 1 });
  const o: ReverseOptions = { ...DEFAULTS, pairs: Number(values.pairs), epochs: Number(values.epochs), log: (l) => console.log(l) };
  console.log(`reversing strings of ${o.minLength}-${o.maxLength} symbols (alphabet ${SYMBOLS}): GRU ${o.units} units, ${o.pairs} pairs x ${o.epochs} epochs, both models`);
  const r = await reverseExperiment(o);
  console.log(`exact match on ${o.heldOut} held-out strings: without attention ${(100 * r.without).toFixed(1)}%, with attention ${(100 * r.additive).toFixed(1)}%`);
}
