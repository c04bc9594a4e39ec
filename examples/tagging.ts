// Sequence tagging: one label per step, on sequences of different lengths.
//
// The sequences are digit strings of length 3-15; a digit is tagged PEAK when it is greater
// than both its neighbours (a missing neighbour does not count), otherwise `-`. Deciding at
// step t needs the digit at t+1, so a unidirectional tagger can only guess; a bidirectional
// GRU, whose reverse direction has read the rest of the string, gets it right.
//
// Batches are padded to their longest sequence with `taggingBatches`; padded steps are not
// counted in the loss or in the predictions (`predictTags` returns each sequence's length).
//
//     node --import tsx examples/tagging.ts
import { adam, dense, embedding, fit, gru, init, predictTags, Random, sequential, taggingBatches, type TaggingExample } from 'recurrent';

await init({ threads: 1 });

const TAGS = ['-', 'PEAK'];
const rng = new Random(1);
function example(): { input: number[]; tags: number[] } {
  const length = 3 + rng.nextInt(13);
  const x = Array.from({ length }, () => rng.nextInt(10));
  return { input: x, tags: x.map((v, t) => Number((t === 0 || v > x[t - 1]!) && (t === length - 1 || v > x[t + 1]!))) };
}
const train: TaggingExample[] = Array.from({ length: 2000 }, example);
const heldOut = Array.from({ length: 500 }, example);

function score(model: ReturnType<typeof sequential>): { token: number; exact: number } {
  const predicted = predictTags(model, heldOut.map((e) => e.input));
  let right = 0;
  let total = 0;
  let exact = 0;
  predicted.forEach((tags, i) => {
    const ok = tags.filter((t, s) => t === heldOut[i]!.tags[s]).length;
    right += ok;
    total += tags.length;
    if (ok === tags.length) exact++;
  });
  return { token: right / total, exact: exact / predicted.length };
}

for (const bidirectional of [false, true]) {
  const model = sequential([embedding({ vocabSize: 10, dim: 8 }), gru({ units: 32, bidirectional }), dense({ units: TAGS.length })], { seed: 1 });
  await fit(model, taggingBatches(train, { batchSize: 32, seed: 1 }), { epochs: 6, optimizer: adam({ lr: 0.01 }), clipNorm: 1 });
  const s = score(model);
  console.log(`${bidirectional ? 'bidirectional ' : 'unidirectional'} GRU: ${(100 * s.token).toFixed(1)}% of tags right, ${(100 * s.exact).toFixed(1)}% of sequences entirely right`);
  if (bidirectional) {
    for (const e of heldOut.slice(0, 3)) {
      const [tags] = predictTags(model, [e.input]);
      console.log(`  ${e.input.map((d) => String(d).padStart(4)).join(' ')}`);
      console.log(`  ${tags!.map((t) => TAGS[t]!.padStart(4)).join(' ')}`);
    }
  }
  model.dispose();
}
