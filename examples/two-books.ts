// Which book is this line from? The Time Machine (H. G. Wells) or Northanger Abbey (Jane
// Austen), both public domain and shipped with the project (see examples/data/README.md).
//
// Each example is one line of a book, lowercased with every run of non-letters turned into one
// space (as the Time Machine loader does); lines with fewer than WIDTH letters and spaces are
// left out. A held-out line is seen as its first WIDTH characters, so line length and the two
// editions' wrapping, punctuation and capitals tell nothing: only the letters do. The classes
// are balanced (as many lines of each book), and a fixed seed splits each book's lines into
// training and held-out ones.
//
// Both classifiers apply Bayes' rule with equal priors: a line goes to the book whose model of
// text finds it more likely. They differ only in that model:
// - the baseline, naive Bayes over character trigrams: each character given the two before it,
//   counted in the book's training lines (add-one smoothing over the training trigrams, plus
//   one slot for unseen ones, so each book's probabilities sum to 1 over the same events);
// - the RNN: a character-level GRU language model per book, trained on its training lines,
//   each character given every character before it in the line.
// (A discriminative GRU, `output: 'mean'` and a dense layer over the two classes, overfits
// these few thousand lines and stays near 0.79, below the baseline: modelling each book's
// text uses every character as a training signal, not one label per line.)
//
//     node --import tsx examples/two-books.ts            # about 40 s on one core (user time)
//     node --import tsx examples/two-books.ts --quick    # a few seconds: fewer lines, a smaller model
import { readFileSync } from 'node:fs';

import { adam, dense, fit, gru, init, type Model, oneHot, Random, randomBatches, sequential } from 'recurrent';

const quick = process.argv.includes('--quick');
const WIDTH = 40;
const SEED = 1;
/** Held-out fraction of each book's lines. */
const HELD_OUT = 0.2;
/** Lines per book at most (the Time Machine has 2,650 long enough). */
const PER_BOOK = quick ? 800 : Infinity;
const UNITS = quick ? 64 : 128;
const EPOCHS = quick ? 6 : 12;

await init({ threads: 1 });

const normalise = (line: string): string => line.toLowerCase().replace(/[^a-z]+/g, ' ').trim();
function lines(relative: string): string[] {
  const text = readFileSync(new URL(relative, import.meta.url), 'utf8');
  return text.split('\n').map(normalise).filter((l) => l.length >= WIDTH);
}
const books = [
  { name: 'The Time Machine', lines: lines('../packages/recurrent/datasets/timemachine.txt') },
  { name: 'Northanger Abbey', lines: lines('./data/northanger-abbey.txt') },
];

// Balanced: as many lines of each book, each book's lines split alike. Training lines are kept
// whole; held-out lines are cut to WIDTH characters.
const rng = new Random(SEED);
const perBook = Math.min(PER_BOOK, ...books.map((b) => b.lines.length));
const train: string[][] = books.map(() => []);
const heldOut: { text: string; label: number }[] = [];
books.forEach((book, label) => {
  const chosen = rng.shuffle(book.lines.slice()).slice(0, perBook);
  const cut = Math.round(chosen.length * (1 - HELD_OUT));
  chosen.forEach((text, i) => (i < cut ? train[label]!.push(text) : heldOut.push({ text: text.slice(0, WIDTH), label })));
});
console.log(
  `${books.map((b) => `${b.name}: ${b.lines.length} lines of ${WIDTH}+ letters`).join('; ')}\n` +
    `${perBook} lines per book: ${train[0]!.length} of each to train on, ${heldOut.length} held out (half from each)`,
);

const accuracy = (classify: (text: string) => number): number => heldOut.filter((e) => classify(e.text) === e.label).length / heldOut.length;
const argmax2 = (scores: readonly number[]): number => (scores[1]! > scores[0]! ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Baseline: naive Bayes over character trigrams.

const trigrams = (text: string): string[] => {
  const padded = `^^${text}$`; // so the first and last characters count in their own trigrams
  return Array.from({ length: padded.length - 2 }, (_, i) => padded.slice(i, i + 3));
};
const counts = train.map((ls) => {
  const m = new Map<string, number>();
  for (const l of ls) for (const t of trigrams(l)) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
});
const totals = counts.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
const events = new Set(counts.flatMap((m) => [...m.keys()])).size + 1;
const bayes = (text: string): number =>
  argmax2(counts.map((m, c) => trigrams(text).reduce((s, t) => s + Math.log(((m.get(t) ?? 0) + 1) / (totals[c]! + events)), 0)));
const baseline = accuracy(bayes);
console.log(`char-trigram naive Bayes: ${events - 1} distinct trigrams in training`);

// ---------------------------------------------------------------------------------------------
// The RNN: one character-level GRU language model per book. Ids 1-26 for a-z, 27 for the space,
// which also starts every line (0 is unused).

const V = 28;
const SPACE = 27;
const id = (ch: string): number => (ch === ' ' ? SPACE : ch.charCodeAt(0) - 96);
const started = performance.now();
const models: Model[] = [];
for (const [label, book] of books.entries()) {
  // The book's training lines as one text; each batch is 32 windows of 48 characters at random
  // places, each from a zero state (bptt 'full'), as a held-out line is scored.
  const corpus = Int32Array.from(Array.from(train[label]!.join(' '), id));
  const model = sequential([oneHot({ vocabSize: V }), gru({ units: UNITS }), dense({ units: V })], { seed: SEED });
  const batchRng = new Random(SEED + label);
  await fit(model, () => randomBatches(corpus, { batchSize: 32, seqLen: 48, rng: batchRng }), {
    epochs: EPOCHS,
    optimizer: adam({ lr: 0.005 }),
    clipNorm: 1,
    bptt: 'full',
    onEpochEnd: (e) => {
      if (e.epoch % 3 === 0 || e.epoch === EPOCHS) console.log(`${book.name} GRU language model, epoch ${String(e.epoch).padStart(2)}: training perplexity ${e.perplexity!.toFixed(2)}`);
    },
  });
  models.push(model);
}

// log p(line | book) for every held-out line at once: one batch of WIDTH steps, the input at
// step t the character before (a space at t = 0), summed log-probabilities of the line's own.
const B = heldOut.length;
const x = new Float64Array(WIDTH * B);
const y = new Int32Array(WIDTH * B);
heldOut.forEach((e, b) => {
  for (let t = 0; t < WIDTH; t++) {
    x[t * B + b] = t === 0 ? SPACE : id(e.text[t - 1]!);
    y[t * B + b] = id(e.text[t]!);
  }
});
const logLikelihoods = models.map((model) => {
  const logp = model.predict(x, { seqLen: WIDTH, batchSize: B, logSoftmax: true });
  const sums = new Float64Array(B);
  for (let t = 0; t < WIDTH; t++) for (let b = 0; b < B; b++) sums[b]! += logp[(t * B + b) * V + y[t * B + b]!]!;
  return sums;
});
const rnn = heldOut.filter((e, b) => argmax2(logLikelihoods.map((s) => s[b]!)) === e.label).length / B;
const seconds = (performance.now() - started) / 1000;
for (const m of models) m.dispose();

const points = (d: number) => `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} points`;
console.log(`trained and scored in ${seconds.toFixed(1)} s`);
console.log(
  `held-out accuracy (balanced, chance 0.500): GRU ${rnn.toFixed(3)}, char-trigram naive Bayes ${baseline.toFixed(3)}; ` +
    `the GRU ${rnn > baseline ? 'beats' : 'does not beat'} the baseline by ${points(rnn - baseline)}`,
);
