// Multi-label tagging with binary cross-entropy: each sequence gets any number of 4 labels.
//
// A sequence is 6-14 random digits; its labels: "contains a 7", "has two equal neighbours",
// "ends higher than it starts", "sum above 4.5 per digit". One sigmoid per label on the
// logits of a bidirectional GRU's mean output (`loss: 'binaryCrossEntropy'`); ragged
// sequences are padded per batch by `fit`. The baseline predicts each label's majority value.
//
//     node --import tsx examples/multilabel.ts
import { adam, dense, embedding, evaluate, fit, gru, init, Random, sequential } from 'recurrent';

await init({ threads: 1 });

const LABELS = ['has 7', 'equal neighbours', 'ends higher', 'high mean'];
const rng = new Random(5);
function example(): { x: number[]; y: number[] } {
  const x = Array.from({ length: 6 + rng.nextInt(9) }, () => rng.nextInt(10));
  const y = [
    x.includes(7),
    x.some((d, i) => i > 0 && d === x[i - 1]),
    x.at(-1)! > x[0]!,
    x.reduce((a, b) => a + b, 0) / x.length > 4.5,
  ].map(Number);
  return { x, y };
}
const make = (n: number) => {
  const e = Array.from({ length: n }, example);
  return { x: e.map((d) => d.x), y: e.map((d) => d.y) };
};
const train = make(3000);
const test = make(1000);

const model = sequential(
  [embedding({ vocabSize: 10, dim: 8 }), gru({ units: 32, bidirectional: true, output: 'mean' }), dense({ units: 32, activation: 'relu' }), dense({ units: 4, activation: 'sigmoid' })],
  { seed: 2 },
);
await fit(model, train, {
  loss: 'binaryCrossEntropy',
  epochs: 12,
  batchSize: 32,
  optimizer: adam({ lr: 3e-3 }),
  validationSplit: 0.1,
  onEpochEnd: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, val accuracy ${e.validation!.accuracy!.toFixed(3)}, val macro F1 ${e.validation!.f1Macro!.toFixed(3)}`),
});

const r = evaluate(model, test, { loss: 'binaryCrossEntropy' });
// Baseline: each label's majority value in the training set.
const majority = LABELS.map((_, k) => (train.y.filter((y) => y[k] === 1).length * 2 > train.y.length ? 1 : 0));
let right = 0;
for (const y of test.y) for (let k = 0; k < LABELS.length; k++) if (y[k] === majority[k]) right++;
const base = right / (test.y.length * LABELS.length);
console.log(`held-out label accuracy: GRU ${r.accuracy!.toFixed(3)} (macro F1 ${r.f1Macro!.toFixed(3)}), majority per label ${base.toFixed(3)}`);
