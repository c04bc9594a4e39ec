// An encoder-decoder that learns to reverse digit strings ("31415" -> "51413").
//
// The encoder GRU reads the source; its final state is the decoder GRU's initial state.
// Training uses teacher forcing: the decoder reads <bos> and the true target shifted by one,
// and predicts the target followed by <eos>; the gradient reaches the encoder only through
// the decoder's initial state. At inference the decoder runs free: from <bos> it is fed its
// own greedy choice at each step until it says <eos>.
//
//     node --import tsx examples/reverse-digits.ts [--max-length 5]
import { parseArgs } from 'node:util';

import { adam, gru, init, Random, Seq2Seq } from 'recurrent';

const { values } = parseArgs({ options: { 'max-length': { type: 'string', default: '5' } } });
const maxLength = Number(values['max-length']);
await init({ threads: 1 });

const BOS = 10;
const EOS = 11;
const rng = new Random(1);
const pair = () => {
  const n = 3 + rng.nextInt(maxLength - 2);
  const source = Array.from({ length: n }, () => rng.nextInt(10));
  return { source, target: source.slice().reverse() };
};
const train = Array.from({ length: 8000 + 4000 * (maxLength - 5) }, pair);
const seen = new Set(train.map((p) => p.source.join('')));
const heldOut: ReturnType<typeof pair>[] = [];
while (heldOut.length < 1000) {
  const p = pair();
  if (!seen.has(p.source.join(''))) heldOut.push(p);
}
console.log(`reversing strings of 3-${maxLength} digits: ${train.length} training pairs, ${heldOut.length} held-out pairs never seen in training`);

const model = new Seq2Seq({
  sourceVocabSize: 10,
  targetVocabSize: 12, // digits, <bos>, <eos>
  bos: BOS,
  eos: EOS,
  cell: gru({ units: maxLength > 5 ? 128 : 64 }),
  embeddingDim: 16,
  seed: 1,
});
const exactMatch = (): number => {
  const out = model.translate(heldOut.map((p) => p.source), { maxLength: maxLength + 2 });
  return out.filter((o, i) => o.join() === heldOut[i]!.target.join()).length / heldOut.length;
};

const started = performance.now();
await model.fit(train, {
  epochs: 8,
  batchSize: 32,
  optimizer: adam({ lr: ({ epoch }) => 0.01 * 0.8 ** epoch }),
  clipNorm: 1,
  onEpochEnd: (e) => {
    console.log(
      `epoch ${e.epoch}  loss ${e.loss.toFixed(4)}  teacher-forced token accuracy ${e.accuracy!.toFixed(3)}  ` +
        `free-running exact match ${exactMatch().toFixed(3)}  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  },
});

const show = heldOut.slice(0, 5).map((p) => p.source);
model.translate(show).forEach((out, i) => console.log(`  ${show[i]!.join('')} -> ${out.join('')}`));
model.dispose();
