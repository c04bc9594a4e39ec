// Dates in several human formats ("3 March 2021", "March 3, 2021", "03/03/2021",
// "Wednesday, March 3, 2021", "3.3.2021", "mar 3 2021", "3 Mar 2021") to ISO dates
// ("2021-03-03"), character by character, with an attention encoder-decoder (additive
// attention, GRU). The data is generated here (dates from 1950 to 2049). Prints the exact
// match on held-out dates with greedy decoding and with a beam of width 4, and the attention
// of one example: which source characters each output character was produced from.
// Measured (defaults: 12000 pairs x 6 epochs, GRU 64, one thread, shared machine, 30 s):
// greedy 100.0%, beam width 4 100.0% exact match on 1000 held-out dates.
//
//     node --import tsx examples/attention-dates.ts [--pairs 12000] [--epochs 6]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import { adam, gru, init, Random, Seq2Seq } from 'recurrent';

export interface DatesOptions {
  pairs: number;
  epochs: number;
  units: number;
  heldOut: number;
  log?: (line: string) => void;
}

export const DEFAULTS: DatesOptions = { pairs: 12000, epochs: 6, units: 64, heldOut: 1000 };

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The human formats: each writes (year, month 1-12, day, weekday 0-6) as text. */
export const FORMATS: readonly ((y: number, m: number, d: number, w: number) => string)[] = [
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${pad(m)}/${pad(d)}/${y}`,
  (y, m, d, w) => `${DAYS[w]}, ${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${d}.${m}.${y}`,
  (y, m, d) => `${MONTHS[m - 1]!.slice(0, 3).toLowerCase()} ${d} ${y}`,
  (y, m, d) => `${d} ${MONTHS[m - 1]!.slice(0, 3)} ${y}`,
];

export const SOURCE_CHARS = ' ,./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const TARGET_CHARS = '0123456789-';
const BOS = TARGET_CHARS.length;
const EOS = BOS + 1;

/** `count` (human text, ISO text) pairs from `rng`. */
export function datePairs(count: number, rng: Random): { text: string; iso: string }[] {
  const start = Date.UTC(1950, 0, 1);
  const days = (Date.UTC(2050, 0, 1) - start) / 86400000;
  return Array.from({ length: count }, () => {
    const at = new Date(start + rng.nextInt(days) * 86400000);
    const [y, m, d, w] = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCDay()];
    return { text: FORMATS[rng.nextInt(FORMATS.length)]!(y, m, d, w), iso: `${y}-${pad(m)}-${pad(d)}` };
  });
}

const encode = (s: string, chars: string) => [...s].map((c) => chars.indexOf(c));
const decode = (ids: readonly number[]) => ids.map((i) => TARGET_CHARS[i] ?? '?').join('');

/** Exact match of greedy and beam-4 decoding on held-out dates after training; one example's attention. */
export async function datesExperiment(o: DatesOptions): Promise<{ greedy: number; beam: number; example: { text: string; iso: string; weights: number[][] } }> {
  const rng = new Random(7);
  const toPair = (p: { text: string; iso: string }) => ({ source: encode(p.text, SOURCE_CHARS), target: encode(p.iso, TARGET_CHARS) });
  const train = datePairs(o.pairs, rng).map(toPair);
  const test = datePairs(o.heldOut, rng);
  const model = new Seq2Seq({
    sourceVocabSize: SOURCE_CHARS.length,
    targetVocabSize: TARGET_CHARS.length + 2,
    bos: BOS,
    eos: EOS,
    cell: gru({ units: o.units }),
    embeddingDim: 32,
    attention: 'additive',
    seed: 1,
  });
  try {
    const started = performance.now();
    await model.fit(train, {
      epochs: o.epochs,
      batchSize: 32,
      optimizer: adam({ lr: ({ epoch }) => 0.005 * 0.8 ** (epoch - 1) }),
      clipNorm: 1,
      seed: 1,
      onEpochEnd: (e) => o.log?.(`  epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, token accuracy ${(e.accuracy ?? Number.NaN).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`),
    });
    const sources = test.map((p) => encode(p.text, SOURCE_CHARS));
    const exact = (out: number[][]) => out.filter((t, i) => decode(t) === test[i]!.iso).length / test.length;
    const greedy = exact(model.translate(sources, { maxLength: 12 }));
    const beam = exact(model.translate(sources, { maxLength: 12, beamWidth: 4 }));
    const shown = test.find((p) => p.text.includes(',') && /[a-z]/.test(p.text)) ?? test[0]!;
    const r = model.translate([encode(shown.text, SOURCE_CHARS)], { maxLength: 12, returnAttention: true });
    return { greedy, beam, example: { text: shown.text, iso: decode(r.tokens[0]!), weights: r.attention[0]! } };
  } finally {
    model.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: String(DEFAULTS.pairs) }, epochs: { type: 'string', default: String(DEFAULTS.epochs) } } });
  await init({ threads: 1 });
  const o: DatesOptions = { ...DEFAULTS, pairs: Number(values.pairs), epochs: Number(values.epochs), log: (l) => console.log(l) };
  console.log(`dates in ${FORMATS.length} human formats -> ISO: ${o.pairs} pairs x ${o.epochs} epochs, GRU ${o.units} units, additive attention`);
  const r = await datesExperiment(o);
  console.log(`exact match on ${o.heldOut} held-out dates: greedy ${(100 * r.greedy).toFixed(1)}%, beam width 4 ${(100 * r.beam).toFixed(1)}%`);
  console.log(`attention of "${r.example.text}" -> "${r.example.iso}" (the source character each output character looked at most):`);
  [...r.example.iso].forEach((c, t) => {
    const w = r.example.weights[t]!;
    const s = w.indexOf(Math.max(...w));
    console.log(`  ${c} <- "${r.example.text[s]}" at ${s} (${(100 * w[s]!).toFixed(0)}%)`);
  });
}
