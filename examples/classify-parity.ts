// Sequence classification: is the number of ones in a binary string even or odd?
//
// A GRU reads the string one bit at a time (one-hot input); its last state goes through a
// dense layer to two classes (`output: 'last'`, softmax cross-entropy). The strings of
// lengths 1-10 are split into training and held-out strings; the model is then tried on
// longer strings than any it saw.
//
// Parity is the classic hard case for gradient descent: the label is uncorrelated with every
// proper subset of the bits, so on long strings alone the gradient carries no signal. With
// every length weighted alike (short strings repeated), the model learns short parities first
// and extends them, in a few seconds.
//
//     node --import tsx examples/classify-parity.ts
import { adam, classificationBatches, dense, fit, gru, init, oneHot, predictClasses, Random, sequential } from 'recurrent';

await init({ threads: 1 });

const parity = (bits: readonly number[]): number => bits.reduce((a, b) => a + b, 0) % 2;
const rng = new Random(1);
const train: { input: number[]; label: number }[] = [];
const heldOut: number[][] = [];
for (let length = 1; length <= 10; length++) {
  const strings = Array.from({ length: 2 ** length }, (_, v) => Array.from({ length }, (_, i) => (v >> i) & 1));
  rng.shuffle(strings);
  const held = length >= 6 ? strings.length / 4 : 0; // hold out a quarter of the longer strings
  heldOut.push(...strings.slice(0, held));
  const rest = strings.slice(held);
  for (let k = 0; k < Math.max(100, rest.length); k++) train.push({ input: rest[k % rest.length]!, label: parity(rest[k % rest.length]!) });
}
console.log(`${train.length} training strings (lengths 1-10, short ones repeated), ${heldOut.length} held out`);

const model = sequential([oneHot({ vocabSize: 2 }), gru({ units: 32, output: 'last' }), dense({ units: 2 })], { seed: 1 });
const accuracy = (strings: number[][]): number => predictClasses(model, strings).filter((c, i) => c === parity(strings[i]!)).length / strings.length;

await fit(model, classificationBatches(train, { batchSize: 16, seed: 1 }), {
  epochs: 12,
  optimizer: adam({ lr: 0.01 }),
  clipNorm: 1,
  onEpochEnd: (e) => {
    console.log(`epoch ${String(e.epoch).padStart(2)}  loss ${e.loss.toFixed(4)}  train accuracy ${e.accuracy!.toFixed(3)}  held-out accuracy ${accuracy(heldOut).toFixed(3)}`);
  },
});

for (const length of [12, 16, 24]) {
  const longer = Array.from({ length: 500 }, () => Array.from({ length }, () => rng.nextInt(2)));
  console.log(`length ${length} (never seen): accuracy ${accuracy(longer).toFixed(3)}`);
}
const sample = [1, 0, 1, 1, 0, 1, 0];
console.log(`${sample.join('')} -> ${predictClasses(model, [sample])[0] ? 'odd' : 'even'} number of ones`);
model.dispose();
