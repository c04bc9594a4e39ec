// Character language models on "The Time Machine", in the setting of the d2l book (chapter 9,
// "Recurrent Neural Networks", the from-scratch and concise implementations): a vocabulary of
// 28 characters, one-hot inputs, minibatches of 32 sequences x 35 steps by sequential
// partitioning (a fresh random offset each epoch), hidden size 256, SGD with learning rate 1,
// gradients clipped to norm 1, truncated BPTT with the state carried between batches.
// Trains an LSTM, a GRU and a plain RNN, printing perplexity and tokens/s per epoch, and
// the greedy continuation of "time traveller" at the end of each.
//
//     pnpm example:timemachine                      # 5 epochs of each, all cores
//     pnpm example:timemachine --epochs 20 --cells gru,lstm --threads 2
import { parseArgs } from 'node:util';

import { dense, fit, gru, init, loadTimeMachine, lstm, oneHot, Random, rnn, sequentialBatches, sequential, sgd, type RecurrentConfig } from 'recurrent';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    cells: { type: 'string', default: 'lstm,gru,rnn' },
    threads: { type: 'string', default: 'auto' },
    hidden: { type: 'string', default: '256' },
    seed: { type: 'string', default: '0' },
  },
});
const epochs = Number(values.epochs);
const hidden = Number(values.hidden);
const seed = Number(values.seed);
const threads = values.threads === 'auto' ? 'auto' : Number(values.threads);
const cells = values.cells.split(',').map((c) => c.trim()) as ('lstm' | 'gru' | 'rnn')[];
for (const c of cells) if (!['lstm', 'gru', 'rnn'].includes(c)) throw new Error(`--cells: unknown cell ${c} (lstm, gru, rnn)`);
if (!(epochs >= 1)) throw new Error(`--epochs: expected a positive integer, got ${values.epochs}`);

const batchSize = 32;
const seqLen = 35;

const engine = await init({ threads });
const { corpus, vocab } = await loadTimeMachine();
console.log(`The Time Machine: ${corpus.length} characters, vocabulary ${vocab.size}; ${engine.threads} thread(s), ${engine.build} build`);
console.log(`batch ${batchSize} x ${seqLen} steps, hidden ${hidden}, SGD lr 1, clip 1, sequential partitioning, truncated BPTT\n`);

const layerOf = (cell: 'lstm' | 'gru' | 'rnn'): RecurrentConfig => (cell === 'lstm' ? lstm({ units: hidden }) : cell === 'gru' ? gru({ units: hidden }) : rnn({ units: hidden }));
const summary: { cell: string; perplexity: number; tokensPerSecond: number; secondsPerEpoch: number }[] = [];

for (const cell of cells) {
  const model = sequential([oneHot({ vocabSize: vocab.size }), layerOf(cell), dense({ units: vocab.size })], { seed, vocab });
  const rng = new Random(seed + 1); // one generator: each epoch draws a new offset from it
  console.log(`${cell.toUpperCase()} (${model.parameterCount} parameters)`);
  const history = await fit(model, () => sequentialBatches(corpus, { batchSize, seqLen, rng }), {
    epochs,
    optimizer: sgd({ lr: 1 }),
    clipNorm: 1,
    bptt: 'truncated',
    yieldEvery: 1000,
    onEpochEnd: (e) => {
      console.log(
        `  epoch ${String(e.epoch).padStart(3)}  perplexity ${e.perplexity!.toFixed(2).padStart(6)}  ` +
          `${Math.round(e.tokensPerSecond).toLocaleString('en-US').padStart(8)} tokens/s  ${e.seconds.toFixed(1)} s`,
      );
    },
  });
  console.log(`  time traveller -> ${JSON.stringify(model.generate('time traveller', { length: 50, temperature: 0 }))}\n`);
  const last = history.epochs.at(-1)!;
  const seconds = history.epochs.reduce((s, e) => s + e.seconds, 0);
  const tokens = history.epochs.reduce((s, e) => s + e.tokensPerSecond * e.seconds, 0);
  summary.push({ cell, perplexity: last.perplexity!, tokensPerSecond: tokens / seconds, secondsPerEpoch: seconds / history.epochs.length });
  model.dispose();
}

console.log(`after ${epochs} epoch(s):`);
for (const s of summary) {
  console.log(`  ${s.cell.padEnd(4)} perplexity ${s.perplexity.toFixed(2).padStart(6)}  ${Math.round(s.tokensPerSecond).toLocaleString('en-US').padStart(8)} tokens/s  ${s.secondsPerEpoch.toFixed(1)} s/epoch`);
}
