// Data utilities (d2l chapter 8): preprocessing, tokenizers, Vocab (order, minFreq, reserved
// tokens, JSON), the Time Machine corpus against the PyTorch fixtures, the two minibatch
// iterators against hand-worked d2l batches, state continuity, seeded determinism, perplexity.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'vitest';

import {
  batchCount,
  charTokenizer,
  loadTimeMachine,
  perplexity,
  preprocessLines,
  preprocessTimeMachine,
  Random,
  randomBatches,
  sequentialBatches,
  tokenFrequencies,
  Vocab,
  wordTokenizer,
  type Batch,
} from 'recurrent';
import { InvalidArgumentError } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { asUrl, digest, fixturePath, readData, readDataJson, readDataText, repoPath } from '../support/files.js';
import { rng } from '../support/random.js';

/** The shipped Time Machine: a `file:` URL in Node, served by vitest in a browser. */
const DATASET = asUrl(repoPath('packages/recurrent/datasets/timemachine.txt'));

const readJson = (relative: string): Promise<any> => readDataJson(fixturePath(relative));
const sha1 = (data: string | Uint8Array): Promise<string> => digest('SHA-1', data);
const iota = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** A batch as rows of sequences: `rows[b][t]` (the d2l book prints X this way, batch-major). */
function rows(batch: Batch, which: 'x' | 'y' = 'x'): number[][] {
  const { batchSize: B, seqLen: T } = batch;
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => batch[which][t * B + b] as number));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('preprocessing and tokenizers', () => {
  test('d2l line mapping: non-letters to one space, strip, lowercase; Python readlines() line splitting', () => {
    const text = 'The Time-Machine, 1895!\r\nHe said:\n\n  hello\tWORLD  \rlast';
    assert.deepEqual(preprocessLines(text), ['the time machine', 'he said', '', 'hello world', 'last']);
    assert.equal(preprocessTimeMachine(text), 'the time machinehe saidhello worldlast');
    assert.equal(preprocessTimeMachine(text, { separator: '\n' }), 'the time machine\nhe said\n\nhello world\nlast');
    // A final newline does not make an extra (empty) line, as with readlines().
    assert.deepEqual(preprocessLines('a\nb\n'), ['a', 'b']);
    assert.deepEqual(preprocessLines(''), []);
    assert.equal(preprocessTimeMachine('Ünïcode ß 42'), 'n code');
  });

  test('charTokenizer splits code points (like Python list()), wordTokenizer on whitespace', () => {
    assert.deepEqual(charTokenizer.tokenize('ab c'), ['a', 'b', ' ', 'c']);
    assert.deepEqual(charTokenizer.tokenize('a😀b'), ['a', '😀', 'b']);
    assert.equal(charTokenizer.join(['a', 'b', ' ']), 'ab ');
    assert.deepEqual(wordTokenizer.tokenize('  the time\n\tmachine  '), ['the', 'time', 'machine']);
    assert.deepEqual(wordTokenizer.tokenize('   '), []);
    assert.equal(wordTokenizer.join(['the', 'time']), 'the time');
    assert.equal(charTokenizer.level, 'char');
    assert.equal(wordTokenizer.level, 'word');
  });
});

describe('Vocab', () => {
  test('order: <unk>, reserved tokens, then by descending frequency with ties by first appearance', () => {
    // abracadabra: a 5, b 2, r 2, c 1, d 1 (b before r, c before d: first appearance)
    assert.deepEqual(tokenFrequencies('abracadabra'), [
      ['a', 5],
      ['b', 2],
      ['r', 2],
      ['c', 1],
      ['d', 1],
    ]);
    assert.deepEqual(new Vocab('abracadabra').tokens, ['<unk>', 'a', 'b', 'r', 'c', 'd']);
    // ties resolved by first appearance even when the later token is "smaller"
    assert.deepEqual(new Vocab(['z', 'y', 'x', 'y', 'z', 'x']).tokens, ['<unk>', 'z', 'y', 'x']);
    // lines of tokens count the same as the flat sequence
    assert.deepEqual(new Vocab([['ab', 'ra'], ['ab']]).tokens, new Vocab(['ab', 'ra', 'ab']).tokens);
  });

  test('minFreq drops rare tokens (to <unk>); reserved tokens follow <unk> and are not repeated', () => {
    const v = new Vocab('abracadabra', { minFreq: 2, reservedTokens: ['<pad>', 'a', '<eos>'] });
    assert.deepEqual(v.tokens, ['<unk>', '<pad>', 'a', '<eos>', 'b', 'r']);
    assert.equal(v.size, 6);
    assert.equal(v.idOf('a'), 2);
    assert.equal(v.idOf('c'), 0);
    assert.equal(v.has('c'), false);
    assert.equal(v.has('<unk>'), true);
    assert.deepEqual(Array.from(v.encode('bcar')), [4, 0, 2, 5]);
    assert.ok(v.encode('bcar') instanceof Int32Array);
    assert.deepEqual(v.decode([4, 0, 2, 5]), ['b', '<unk>', 'a', 'r']);
    assert.deepEqual(v.decode(Int32Array.of(1, 3)), ['<pad>', '<eos>']);
    assert.equal(v.tokenOf(5), 'r');
    assert.equal(v.unkId, 0);
    // A literal '<unk>' in the text is the unknown token, not a new one.
    assert.deepEqual(new Vocab(['<unk>', '<unk>', 'x']).tokens, ['<unk>', 'x']);
    assert.deepEqual(new Vocab().tokens, ['<unk>']);
    // minFreq 0 (default) keeps everything; a huge one keeps only <unk> and the reserved
    assert.deepEqual(new Vocab('aab', { minFreq: 100, reservedTokens: ['<bos>'] }).tokens, ['<unk>', '<bos>']);
  });

  test('bad arguments throw InvalidArgumentError naming them', () => {
    const v = new Vocab('abc');
    assert.throws(() => v.tokenOf(4), (e: Error) => e instanceof InvalidArgumentError && /`id`.*\[0, 4\).*4/.test(e.message));
    assert.throws(() => v.tokenOf(1.5), InvalidArgumentError);
    assert.throws(() => v.tokenOf(-1), InvalidArgumentError);
    assert.throws(() => v.decode([0, 9]), /`ids`.*9 at index 1/);
    assert.throws(() => new Vocab('ab', { minFreq: -1 }), /minFreq.*-1/);
    assert.throws(() => new Vocab('ab', { minFreq: Number.NaN }), InvalidArgumentError);
    assert.throws(() => new Vocab('ab', { reservedTokens: ['<pad>', '<pad>'] }), /reservedTokens.*"<pad>" twice/);
    assert.throws(() => new Vocab('ab', { reservedTokens: ['<unk>'] }), /reservedTokens.*<unk>/);
    assert.throws(() => new Vocab([1 as unknown as string]), /Vocab: argument `tokens`/);
    assert.throws(() => new Vocab(42 as unknown as string[]), InvalidArgumentError);
  });

  test('toJSON / fromJSON round trip, and fromJSON of a plain token array; bad JSON rejected', () => {
    const v = new Vocab('hello world', { reservedTokens: ['<pad>'] });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokens, v.tokens);
    assert.deepEqual(Array.from(back.encode('world!')), Array.from(v.encode('world!')));
    assert.deepEqual(Vocab.fromJSON(['<unk>', 'a', 'b']).tokens, ['<unk>', 'a', 'b']);
    assert.throws(() => Vocab.fromJSON(['a', '<unk>']), /token 0.*<unk>/);
    assert.throws(() => Vocab.fromJSON(['<unk>', 'a', 'a']), /"a" at ids 1 and 2/);
    assert.throws(() => Vocab.fromJSON(['<unk>', 3] as unknown as string[]), /token 1/);
    assert.throws(() => Vocab.fromJSON({} as never), InvalidArgumentError);
    assert.throws(() => Vocab.fromJSON(null as never), InvalidArgumentError);
    // The returned tokens are a copy.
    back.tokens.push('x');
    assert.equal(back.size, v.size);
  });
});

describe('The Time Machine', () => {
  test('the shipped file is the d2l text (sha1 090b5e7e...)', async () => {
    assert.equal(await sha1(await readData(DATASET)), '090b5e7e70c295757f55df93cb0a180b9691891a');
  });

  test('char level reproduces the fixtures: 28-token vocab in order, 170,580 ids, the tokens at the fixtures offsets', async () => {
    const { text, corpus, vocab } = await loadTimeMachine();
    assert.equal(corpus.length, 170_580);
    assert.equal(text.length, 170_580);
    assert.equal(vocab.size, 28);
    const lm29 = await readJson('parity/29_char_lm_step_T35_B32.json');
    const meta = await readJson('torch-lm/meta.json');
    assert.deepEqual(vocab.tokens, lm29.vocab);
    assert.deepEqual(vocab.tokens, meta.vocab);
    assert.deepEqual(vocab.tokens.slice(0, 6), ['<unk>', ' ', 'e', 't', 'a', 'i']);
    assert.deepEqual(Vocab.fromJSON(meta.vocab).tokens, vocab.tokens);
    assert.deepEqual(vocab.decode(corpus.subarray(0, 20)).join(''), text.slice(0, 20));
    assert.equal(text.slice(0, 36), 'the time machine by h g wellsithe ti');
    // tokens[:, b] = corpus[offsets[b] : +T], targets one further (time-major [T, B])
    for (const file of ['parity/29_char_lm_step_T35_B32.json', 'parity/30_char_lm_step_T10_B4_state.json']) {
      const lm = await readJson(file);
      const [T, B] = lm.inputs.tokens.shape as [number, number];
      const offsets = lm.data.offsets as number[];
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          assert.equal(lm.inputs.tokens.data[t * B + b], corpus[(offsets[b] as number) + t], `${file} tokens[${t},${b}]`);
          assert.equal(lm.inputs.targets.data[t * B + b], corpus[(offsets[b] as number) + t + 1], `${file} targets[${t},${b}]`);
        }
      }
    }
  });

  test('the loader and the step-by-step pipeline agree', async () => {
    const raw = await readDataText(DATASET);
    const text = preprocessTimeMachine(raw);
    const tokens = charTokenizer.tokenize(text);
    const vocab = new Vocab(tokens);
    const loaded = await loadTimeMachine({ source: DATASET });
    assert.equal(loaded.text, text);
    assert.deepEqual(loaded.vocab.tokens, vocab.tokens);
    assert.deepEqual(loaded.corpus, vocab.encode(tokens));
    // maxTokens truncates the corpus, not the vocabulary (d2l's max_tokens)
    const short = await loadTimeMachine({ maxTokens: 10_000 });
    assert.equal(short.corpus.length, 10_000);
    assert.equal(short.vocab.size, 28);
    assert.deepEqual(short.corpus, loaded.corpus.subarray(0, 10_000));
  });

  test('word level matches d2l (tokens per line, Counter + stable sort): 4,580 tokens, 32,775 ids', async () => {
    // Expected values computed with the d2l code in Python on the same file.
    const { corpus, vocab, text } = await loadTimeMachine({ level: 'word' });
    assert.equal(vocab.size, 4580);
    assert.equal(corpus.length, 32_775);
    assert.equal(await sha1(vocab.tokens.join('\n')), 'c17bd9455a9f401d087fd25869514e71395d6afd');
    assert.deepEqual(vocab.tokens.slice(0, 8), ['<unk>', 'the', 'i', 'and', 'of', 'a', 'to', 'was']);
    assert.deepEqual(Array.from(corpus.subarray(0, 10)), [1, 19, 50, 40, 2183, 2184, 400, 2, 1, 19]);
    assert.equal(corpus.reduce((s, v) => s + v, 0), 16_296_549);
    assert.deepEqual(wordTokenizer.tokenize(text).slice(0, 4), ['the', 'time', 'machine', 'by']);
    const rare = await loadTimeMachine({ level: 'word', minFreq: 5, reservedTokens: ['<pad>'] });
    assert.equal(rare.vocab.size, 826);
    assert.equal(await sha1(rare.vocab.tokens.join('\n')), '65b055102fd128df9642bcb9a13395890ef28b9d');
  });

  nodeOnly('serves the file from a node:http server of its own (in a browser every source is fetched)').test('a URL source is fetched (the browser path): same corpus; an HTTP error names the URL', async () => {
    const body = await readData(DATASET);
    const server = http.createServer((req, res) => {
      if (req.url === '/timemachine.txt') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const fetched = await loadTimeMachine({ source: `${base}/timemachine.txt` });
      const local = await loadTimeMachine();
      assert.deepEqual(fetched.corpus, local.corpus);
      assert.deepEqual(fetched.vocab.tokens, local.vocab.tokens);
      await assert.rejects(loadTimeMachine({ source: new URL(`${base}/missing.txt`) }), (e: Error) => {
        return e instanceof InvalidArgumentError && e.message.includes('/missing.txt') && e.message.includes('HTTP 404');
      });
    } finally {
      server.close();
    }
  });

  test('bad options and unreadable sources are rejected', async () => {
    await assert.rejects(loadTimeMachine({ level: 'sentence' as never }), /level.*sentence/);
    await assert.rejects(loadTimeMachine({ maxTokens: -1 }), /maxTokens/);
    await assert.rejects(loadTimeMachine({ source: '/nonexistent/timemachine.txt' }), (e: Error) => {
      return e instanceof InvalidArgumentError && e.message.includes('/nonexistent/timemachine.txt');
    });
  });
});

describe('sequentialBatches (d2l seq_data_iter_sequential)', () => {
  test('the d2l book example: corpus 0..34, B = 2, T = 5, offset 0', () => {
    const it = sequentialBatches(iota(35), { batchSize: 2, seqLen: 5, offset: 0 });
    assert.equal(it.offset, 0);
    assert.equal(it.batchCount, 3);
    const batches = [...it];
    assert.equal(batches.length, 3);
    // rows of 17: 0..16 and 17..33; batches take columns 0-4, 5-9, 10-14
    assert.deepEqual(rows(batches[0]!), [range(0, 5), range(17, 22)]);
    assert.deepEqual(rows(batches[0]!, 'y'), [range(1, 6), range(18, 23)]);
    assert.deepEqual(rows(batches[1]!), [range(5, 10), range(22, 27)]);
    assert.deepEqual(rows(batches[2]!), [range(10, 15), range(27, 32)]);
    assert.deepEqual(rows(batches[2]!, 'y'), [range(11, 16), range(28, 33)]);
    // time-major layout: x[t * B + b]
    assert.deepEqual(Array.from(batches[0]!.x), [0, 17, 1, 18, 2, 19, 3, 20, 4, 21]);
    assert.equal(batches[0]!.batchSize, 2);
    assert.equal(batches[0]!.seqLen, 5);
  });

  test('offset 5 (the largest d2l draws for T = 5): rows of 14, two batches', () => {
    const batches = [...sequentialBatches(iota(35), { batchSize: 2, seqLen: 5, offset: 5 })];
    // num_tokens = ((35 - 5 - 1) // 2) * 2 = 28: rows 5..18 and 19..32
    assert.deepEqual(batches.map((b) => rows(b)), [
      [range(5, 10), range(19, 24)],
      [range(10, 15), range(24, 29)],
    ]);
  });

  test('column b of batch i+1 continues column b of batch i (the state can be carried)', async () => {
    const { corpus } = await loadTimeMachine();
    const B = 32;
    const T = 35;
    const it = sequentialBatches(corpus, { batchSize: B, seqLen: T, seed: 7 });
    const batches = [...it];
    assert.equal(batches.length, it.batchCount);
    assert.equal(it.batchCount, batchCount(corpus, { batchSize: B, seqLen: T, order: 'sequential', offset: it.offset }));
    const rowLen = Math.floor((corpus.length - it.offset - 1) / B);
    for (let i = 0; i + 1 < batches.length; i++) {
      for (let b = 0; b < B; b++) {
        assert.equal(batches[i + 1]!.x[b], batches[i]!.y[(T - 1) * B + b]);
      }
    }
    for (let b = 0; b < B; b++) {
      const column = batches.flatMap((batch) => rows(batch)[b]!);
      const start = it.offset + b * rowLen;
      assert.deepEqual(column, Array.from(corpus.subarray(start, start + batches.length * T)));
      const targets = batches.flatMap((batch) => rows(batch, 'y')[b]!);
      assert.deepEqual(targets, Array.from(corpus.subarray(start + 1, start + 1 + batches.length * T)));
    }
  });
});

describe('randomBatches (d2l seq_data_iter_random)', () => {
  test('corpus 0..34, B = 2, T = 5, offset 1: the six subsequences 1-5 ... 26-30, each once, in the shuffled order', () => {
    const seed = 3;
    const it = randomBatches(iota(35), { batchSize: 2, seqLen: 5, offset: 1, seed });
    assert.equal(it.offset, 1);
    assert.equal(it.batchCount, 3); // (35 - 1 - 1) // 5 = 6 subsequences, 6 // 2 = 3 batches
    const batches = [...it];
    const columns = batches.flatMap((b) => rows(b));
    // With `offset` given the generator draws only the shuffle of the start positions.
    const starts = new Random(seed).shuffle([1, 6, 11, 16, 21, 26]);
    assert.deepEqual(columns, starts.map((s) => range(s, s + 5)));
    assert.deepEqual(
      [...columns].sort((a, b) => a[0]! - b[0]!),
      [range(1, 6), range(6, 11), range(11, 16), range(16, 21), range(21, 26), range(26, 31)],
    );
    for (const b of batches) assert.deepEqual(rows(b, 'y'), rows(b).map((r) => r.map((v) => v + 1)));
  });

  test('seed 1 on 0..34 draws offset 2 then the shuffle (pinned: a change here changes every seeded run)', () => {
    const it = randomBatches(iota(35), { batchSize: 2, seqLen: 5, seed: 1 });
    assert.equal(it.offset, 2);
    assert.deepEqual([...it].map((b) => rows(b)), [
      [range(27, 32), range(22, 27)],
      [range(2, 7), range(7, 12)],
      [range(12, 17), range(17, 22)],
    ]);
  });

  test('on the Time Machine every column is a distinct corpus slice at offset + k*T, with targets shifted by one', async () => {
    const { corpus } = await loadTimeMachine();
    const B = 32;
    const T = 35;
    const it = randomBatches(corpus, { batchSize: B, seqLen: T, seed: 11 });
    const seen = new Set<number>();
    let count = 0;
    for (const batch of it) {
      count++;
      for (let b = 0; b < B; b++) {
        const x = rows(batch)[b]!;
        const y = rows(batch, 'y')[b]!;
        // recover the start: the subsequence x equals corpus[s : s+T] for s = offset + k*T
        const matches: number[] = [];
        for (let s = it.offset; s + T < corpus.length; s += T) {
          if (corpus[s] === x[0] && x.every((v, t) => corpus[s + t] === v)) matches.push(s);
        }
        const s = matches.find((m) => !seen.has(m));
        assert.ok(s !== undefined, 'column is a fresh slice at offset + k*T');
        seen.add(s);
        assert.deepEqual(y, Array.from(corpus.subarray(s + 1, s + 1 + T)));
      }
    }
    assert.equal(count, it.batchCount);
    assert.equal(count, Math.floor(Math.floor((corpus.length - it.offset - 1) / T) / B));
  });
});

describe('seeding, batch counts and argument checks', () => {
  test('the same seed gives identical batches; different seeds differ; one rng draws a new offset per epoch', async () => {
    const { corpus } = await loadTimeMachine({ maxTokens: 20_000 });
    for (const make of [randomBatches, sequentialBatches]) {
      const a = [...make(corpus, { batchSize: 8, seqLen: 16, seed: 42 })];
      const b = [...make(corpus, { batchSize: 8, seqLen: 16, seed: 42 })];
      assert.deepEqual(a, b);
      const firsts = new Set<string>();
      for (let seed = 0; seed < 10; seed++) {
        const first = make(corpus, { batchSize: 8, seqLen: 16, seed }).next().value as Batch;
        firsts.add(Array.from(first.x).join(','));
      }
      assert.ok(firsts.size > 1, `${make.name}: different seeds give different batches`);
      // One generator across epochs: offsets vary, and the whole run is reproducible.
      const run = (seed: number): number[] => {
        const r = new Random(seed);
        return Array.from({ length: 12 }, () => make(corpus, { batchSize: 8, seqLen: 16, rng: r }).offset);
      };
      assert.deepEqual(run(5), run(5));
      assert.ok(new Set(run(5)).size > 1, `${make.name}: offsets vary across epochs`);
      for (const o of run(5)) assert.ok(o >= 0 && o <= (make === randomBatches ? 15 : 16));
    }
  });

  test('batchCount: the iterator count for an offset; without one, the minimum over the offsets the iterator draws', () => {
    for (const order of ['random', 'sequential'] as const) {
      for (const [N, B, T] of [
        [35, 2, 5],
        [1000, 7, 13],
        [170_580, 32, 35],
      ] as const) {
        const maxOffset = order === 'random' ? T - 1 : T;
        const counts: number[] = [];
        for (let offset = 0; offset <= maxOffset; offset++) {
          const make = order === 'random' ? randomBatches : sequentialBatches;
          const it = make(iota(N), { batchSize: B, seqLen: T, offset, seed: 0 });
          const n = batchCount(N, { batchSize: B, seqLen: T, order, offset });
          assert.equal(it.batchCount, n);
          if (N < 2000) assert.equal([...it].length, n);
          counts.push(n);
        }
        assert.equal(batchCount(N, { batchSize: B, seqLen: T, order }), Math.min(...counts));
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
      }
    }
    assert.equal(batchCount(iota(35), { batchSize: 2, seqLen: 5, order: 'sequential', offset: 0 }), 3);
    assert.equal(batchCount(3, { batchSize: 2, seqLen: 5, order: 'random' }), 0);
    assert.throws(() => batchCount(-1, { batchSize: 2, seqLen: 5, order: 'random' }), InvalidArgumentError);
    assert.throws(() => batchCount(10, { batchSize: 2, seqLen: 5, order: 'shuffled' as never }), /order/);
  });

  test('the shortest corpora that give one batch at every offset, and one token less is an error', () => {
    const B = 3;
    const T = 4;
    const shortestRandom = (B + 1) * T;
    const shortestSequential = (B + 1) * T + 1;
    for (let seed = 0; seed < 20; seed++) {
      assert.equal([...randomBatches(iota(shortestRandom), { batchSize: B, seqLen: T, seed })].length, 1);
      assert.equal([...sequentialBatches(iota(shortestSequential), { batchSize: B, seqLen: T, seed })].length, 1);
    }
    assert.throws(
      () => randomBatches(iota(shortestRandom - 1), { batchSize: B, seqLen: T, seed: 0 }),
      (e: Error) => e instanceof InvalidArgumentError && /`corpus` expected at least 16 tokens.*got 15/.test(e.message),
    );
    assert.throws(() => sequentialBatches(iota(shortestSequential - 1), { batchSize: B, seqLen: T, seed: 0 }), /at least 17 tokens/);
    assert.throws(() => sequentialBatches(iota(100), { batchSize: B, seqLen: T, offset: 90 }), /from offset 90/);
  });

  test('bad options throw InvalidArgumentError naming the option', () => {
    const c = iota(100);
    assert.throws(() => randomBatches(c, { batchSize: 0, seqLen: 5 }), /`batchSize` expected an integer >= 1, got 0/);
    assert.throws(() => sequentialBatches(c, { batchSize: 2, seqLen: 1.5 }), /`seqLen`.*1\.5/);
    assert.throws(() => randomBatches([1, 2, 3] as unknown as Int32Array, { batchSize: 1, seqLen: 1 }), /`corpus` expected an Int32Array/);
    assert.throws(() => randomBatches(c, { batchSize: 2, seqLen: 5, seed: 1, rng: new Random(1) }), /got both/);
    assert.throws(() => randomBatches(c, { batchSize: 2, seqLen: 5, seed: 0.5 }), /`seed`/);
    assert.throws(() => randomBatches(c, { batchSize: 2, seqLen: 5, rng: {} as Random }), /`rng` expected a Random/);
    assert.throws(() => randomBatches(c, { batchSize: 2, seqLen: 5, offset: -1 }), /`offset`/);
    assert.throws(() => randomBatches(c, undefined as never), /`options`/);
    // without seed or rng: works, just not reproducible
    assert.ok(randomBatches(c, { batchSize: 2, seqLen: 5 }).batchCount > 0);
  });
});

describe('Random', () => {
  test('is mulberry32 (same stream as the test helper), reproducible, in range', () => {
    const a = new Random(42);
    const ref = rng(42);
    for (let i = 0; i < 100; i++) assert.equal(a.nextFloat(), ref());
    const b = new Random(42);
    const c = new Random(42);
    for (let i = 0; i < 100; i++) assert.equal(b.nextUint32(), c.nextUint32());
    const r = new Random(7);
    const hist = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) {
      const v = r.nextInt(6);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 6);
      hist[v]!++;
    }
    for (const h of hist) assert.ok(h > 850 && h < 1150, `roughly uniform: ${hist.join(',')}`);
    assert.equal(r.nextInt(1), 0);
    const big = r.nextInt(2 ** 32);
    assert.ok(big >= 0 && big < 2 ** 32);
    // seeds beyond 32 bits are folded, not truncated
    assert.notEqual(new Random(2 ** 32).nextUint32(), new Random(0).nextUint32());
    assert.notEqual(new Random(-1).nextUint32(), new Random(1).nextUint32());
  });

  test('shuffle is an in-place permutation (plain and typed arrays); bad arguments throw', () => {
    const r = new Random(1);
    const a = range(0, 50);
    assert.equal(r.shuffle(a), a);
    assert.deepEqual([...a].sort((x, y) => x - y), range(0, 50));
    assert.notDeepEqual(a, range(0, 50));
    const t = r.shuffle(iota(50));
    assert.deepEqual(Array.from(t).sort((x, y) => x - y), range(0, 50));
    assert.deepEqual(r.shuffle([]), []);
    assert.throws(() => new Random(1.5), /`seed` expected a safe integer/);
    assert.throws(() => r.nextInt(0), /`n`/);
    assert.throws(() => r.nextInt(2 ** 32 + 1), /`n`/);
  });
});

test('perplexity = exp(mean cross-entropy)', () => {
  assert.equal(perplexity(0), 1);
  assert.ok(Math.abs(perplexity(Math.log(28)) - 28) < 1e-12);
  assert.equal(perplexity(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  assert.throws(() => perplexity('1' as never), /`meanCrossEntropy` expected a number/);
});
