// The `recurrent` CLI as a user runs it, as child processes of the built bin
// (packages/recurrent/dist/cli/main.js): train a few batches into a temporary folder (the
// shipped corpus and a user's file, each BPTT mode), generate from the checkpoint (stdout
// holds only the continuation), info (text and JSON), greedy generation from the PyTorch
// fixture folder against its expected continuation, and one-line errors with non-zero exit
// codes for bad flags and unreadable files.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe } from 'vitest';

import { readSafetensorsHeader } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { fixturePath } from '../support/files.js';
import { type CliRun, runCli } from '../support/cli.js';

const { test, beforeAll, afterAll } = nodeOnly('runs the CLI as child processes on temporary files');

const TORCH_LM = fixturePath('torch-lm');

/** Asserts a failure reported as one line `recurrent: ...` on stderr, nothing on stdout. */
function assertOneLineError(r: CliRun, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^recurrent: /);
  assert.match(lines[0]!, pattern);
}

// Tiny sizes: each training run is a fraction of a second.
const TINY = ['--hidden', '16', '--batch-size', '4', '--seq-len', '8', '--threads', '1'];

let dir: string;
let checkpoint: string;
let trained: CliRun;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recurrent-cli-'));
  checkpoint = path.join(dir, 'lm.safetensors');
  trained = await runCli(['train', ...TINY, '--max-batches', '12', '--out', checkpoint]);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('train', () => {
  test('a few batches on the Time Machine: checkpoint, SVG plot, perplexity and tokens/s', async () => {
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /^final perplexity: \d+\.\d+ \(training, epoch 1, 12 of \d+ batches\)$/m);
    assert.match(trained.stdout, /^speed: [\d,]+ tokens\/s \([\d,]+ tokens in /m);
    assert.match(trained.stdout, new RegExp(`^checkpoint: ${checkpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    assert.match(trained.stderr, /corpus: The Time Machine .*170,580 characters, vocabulary of 28/);
    assert.match(trained.stderr, /stopped: batch limit of 12 reached/);
    const ppl = Number(/final perplexity: ([\d.]+)/.exec(trained.stdout)![1]);
    assert.ok(ppl > 1 && ppl < 40, `perplexity ${ppl}`);

    const header = readSafetensorsHeader(await fs.readFile(checkpoint));
    const config = JSON.parse(header.metadata['recurrent']!);
    assert.deepEqual(config.layers.map((l: { type: string }) => l.type), ['oneHot', 'lstm', 'dense']);
    assert.equal(config.vocab.tokens.length, 28);

    const svg = await fs.readFile(path.join(dir, 'lm.perplexity.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(svg, /<circle /);
    assert.match(svg, /training perplexity/);
  });

  test("a user's corpus gets d2l preprocessing and its own char vocabulary (gru, randomized BPTT)", async () => {
    const corpus = path.join(dir, 'corpus.txt');
    await fs.writeFile(corpus, 'Abba, baba: CAB!\n'.repeat(40));
    const out = path.join(dir, 'gru.safetensors');
    const r = await runCli(['train', corpus, ...TINY, '--cell', 'gru', '--bptt', 'random', '--epochs', '2', '--optimizer', 'sgd', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /vocabulary of 5\b/); // <unk>, a, b, space, c
    const info = JSON.parse((await runCli(['info', '--json', out])).stdout);
    assert.equal(info.vocabSize, 5);
    assert.deepEqual(info.layers[1], { type: 'gru', units: 16, layers: 1 });
    assert.match(await fs.readFile(path.join(dir, 'gru.perplexity.svg'), 'utf8'), /<polyline /);
  });

  test('full BPTT with an rnn and --plot elsewhere', async () => {
    const plot = path.join(dir, 'plots', 'rnn.svg');
    const r = await runCli(['train', ...TINY, '--cell', 'rnn', '--nonlinearity', 'relu', '--bptt', 'full', '--max-batches', '3', '--out', path.join(dir, 'rnn.safetensors'), '--plot', plot]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await fs.readFile(plot, 'utf8'), /^<svg /);
  });
});

describe('generate', () => {
  test('stdout holds only the continuation, of the requested length, from the vocabulary', async () => {
    const r = await runCli(['generate', '--model', checkpoint, '--prefix', 'Time traveller', '--length', '25', '--seed', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith('\n'));
    const text = r.stdout.slice(0, -1);
    assert.equal([...text].length, 25, JSON.stringify(r.stdout));
    assert.match(text, /^[a-z ]*$/);
    assert.match(r.stderr, /reading the prefix as "time traveller"/);
    const again = await runCli(['generate', '--model', checkpoint, '--prefix', 'time traveller', '--length', '25', '--seed', '3', '--top-k', '28']);
    assert.equal(again.stdout, r.stdout, 'same seed, same text (top-k of the whole vocabulary changes nothing)');
  });

  test('greedy from the PyTorch folder reproduces its expected continuation', async () => {
    const meta = JSON.parse(await fs.readFile(path.join(TORCH_LM, 'meta.json'), 'utf8'));
    const { prefix, continuation } = meta.expected as { prefix: string; continuation: string };
    const r = await runCli(['generate', '--model', TORCH_LM, '--prefix', prefix, '--length', '60', '--greedy', '--threads', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${continuation.slice(0, 60)}\n`);
    assert.match(r.stderr, /PyTorch folder/);
  });
});

describe('info', () => {
  test('text and JSON agree with the file', async () => {
    const json = await runCli(['info', '--json', checkpoint]);
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    assert.equal(info.kind, 'recurrent');
    assert.equal(info.vocabSize, 28);
    assert.equal(info.tokenizer, 'char');
    assert.deepEqual(info.layers.map((l: { type: string }) => l.type), ['oneHot', 'lstm', 'dense']);
    const count = info.parameters.reduce((n: number, p: { shape: number[] }) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(info.parameterCount, count);
    assert.equal(count, 4 * 16 * (28 + 16) + 2 * 4 * 16 + 28 * 16 + 28);
    assert.equal(info.fileBytes, (await fs.readFile(checkpoint)).byteLength);

    const text = await runCli(['info', checkpoint]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /recurrent checkpoint, .* \([\d,]+ bytes\)/);
    assert.match(text.stdout, /^ {2}1 {2}lstm\(16\)$/m);
    assert.match(text.stdout, new RegExp(`^parameters: ${count.toLocaleString('en-US')} `, 'm'));
  });

  test('a PyTorch folder', async () => {
    const info = JSON.parse((await runCli(['info', '--json', TORCH_LM])).stdout);
    assert.equal(info.kind, 'pytorch');
    assert.deepEqual(info.layers.map((l: { type: string }) => l.type), ['embedding', 'lstm', 'dense']);
  });
});

describe('errors', () => {
  test('bad flags: one line, exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--hidden', 'abc'], /option '--hidden <n>' argument 'abc' is invalid/],
      [['train', '--hiden', '3'], /unknown option '--hiden'.*--hidden/],
      [['train', '--cell', 'transformer'], /Allowed choices are lstm, gru, rnn/],
      [['train', '--lr', '-1'], /option '--lr <x>' argument '-1' is invalid/],
      [['generate', '--prefix', 'x'], /required option '--model <path>' not specified/],
      [['generate', '--model', checkpoint, '--prefix', 'a', '--greedy', '--temperature', '2'], /cannot be used with/],
      [['info'], /missing required argument 'path'/],
      [['fly'], /unknown command 'fly'/],
    ];
    for (const [args, pattern] of cases) assertOneLineError(await runCli(args), 2, pattern);
  });

  test('flag combinations the CLI refuses: one line, exit code 1', async () => {
    assertOneLineError(await runCli(['train', '--bidirectional']), 1, /--bidirectional does not apply to language modelling/);
    assertOneLineError(await runCli(['train', '--cell', 'gru', '--variant', 'peephole']), 1, /--variant "peephole" does not apply to --cell gru/);
    assertOneLineError(await runCli(['train', '--momentum', '0.5']), 1, /--momentum applies to --optimizer momentum only/);
  });

  test('unreadable files: one line naming the file, exit code 1', async () => {
    const missing = path.join(dir, 'missing.safetensors');
    assertOneLineError(await runCli(['generate', '--model', missing, '--prefix', 'a']), 1, /cannot read model ".*missing\.safetensors": no such file or directory/);
    assertOneLineError(await runCli(['info', missing]), 1, /no such file or directory/);
    assertOneLineError(await runCli(['train', path.join(dir, 'missing.txt'), ...TINY]), 1, /cannot read corpus ".*missing\.txt": no such file or directory/);
    const junk = path.join(dir, 'junk.safetensors');
    await fs.writeFile(junk, 'this is not a model');
    assertOneLineError(await runCli(['info', junk]), 1, /junk\.safetensors: safetensors: /);
    assertOneLineError(await runCli(['generate', '--model', dir, '--prefix', 'a']), 1, /a folder without meta\.json/);
    assertOneLineError(await runCli(['train', ...TINY, '--out', dir]), 1, /cannot write checkpoint .*: it is a directory/);
  });

  test('--help for each command', async () => {
    for (const cmd of ['train', 'generate', 'info']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: recurrent ${cmd} `));
    }
  });
});
