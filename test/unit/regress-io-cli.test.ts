// Issue 11, items 8 and 18: `recurrent train` overwrote its own inputs and failed late. `--plot`
// equal to `--out` replaced the checkpoint with the SVG (and reported success), `--out` equal to
// the corpus replaced the training text, `--out ''` trained the whole run and then failed, and
// `--out /proc/nope/m.safetensors` spun forever in Node's recursive mkdir. Outputs are now
// checked before any work. Every run is a child process with a hard timeout.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe } from 'vitest';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test, beforeAll, afterAll } = nodeOnly('runs the CLI as child processes on temporary files');

const CLI = repoPath('packages/recurrent/dist/cli/main.js');
const TINY = ['--hidden', '8', '--batch-size', '2', '--seq-len', '4', '--threads', '1', '--max-batches', '2'];
const CORPUS_TEXT = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us '.repeat(20);

interface Run {
  code: number | string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], cwd: string, timeout = 30_000): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve) => {
    childProcess.execFile(process.execPath, [CLI, ...args], { cwd, timeout, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? (error.code ?? error.signal ?? null) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** A failure before any work: one line on stderr naming `pattern`, nothing on stdout, no training. */
function assertRefused(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${String(r.code)} after ${r.ms.toFixed(0)} ms, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^recurrent: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /corpus:|final perplexity/);
}

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'regress-io-cli-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fresh folder holding `corpus.txt`. */
async function workspace(name: string): Promise<string> {
  const w = path.join(dir, name);
  await fs.mkdir(w);
  await fs.writeFile(path.join(w, 'corpus.txt'), CORPUS_TEXT);
  return w;
}

describe('item 8: outputs are checked before training', () => {
  test('--plot equal to --out is refused; an existing file there is left alone', async () => {
    const w = await workspace('plot-out');
    await fs.writeFile(path.join(w, 'm.safetensors'), 'keep');
    const r = await run(['train', 'corpus.txt', ...TINY, '--out', 'm.safetensors', '--plot', 'm.safetensors'], w);
    assertRefused(r, 1, /--plot "m\.safetensors" is the same file as --out "m\.safetensors": writing the plot would replace the checkpoint/);
    assert.equal(await fs.readFile(path.join(w, 'm.safetensors'), 'utf8'), 'keep');
    // also when spelled differently
    const r2 = await run(['train', 'corpus.txt', ...TINY, '--out', 'sub/../m.safetensors', '--plot', path.join(w, 'm.safetensors')], w);
    assertRefused(r2, 1, /is the same file as --out/);
  });

  test('--out equal to the corpus (by name, symlink or hard link) is refused; the corpus is intact', async () => {
    const w = await workspace('out-corpus');
    await fs.symlink(path.join(w, 'corpus.txt'), path.join(w, 'alias.txt'));
    await fs.link(path.join(w, 'corpus.txt'), path.join(w, 'hard.txt'));
    for (const out of ['corpus.txt', './corpus.txt', path.join(w, 'corpus.txt'), 'alias.txt', 'hard.txt']) {
      const r = await run(['train', 'corpus.txt', ...TINY, '--out', out], w);
      assertRefused(r, 1, /--out ".*" is the same file as the corpus "corpus\.txt": writing the checkpoint would destroy the corpus/);
    }
    assert.equal(await fs.readFile(path.join(w, 'corpus.txt'), 'utf8'), CORPUS_TEXT);
    // --plot on the corpus, and the default plot path on the corpus
    assertRefused(await run(['train', 'corpus.txt', ...TINY, '--out', 'm.safetensors', '--plot', 'corpus.txt'], w), 1, /--plot "corpus\.txt" is the same file as the corpus/);
    await fs.writeFile(path.join(w, 'lm.perplexity.svg'), CORPUS_TEXT);
    assertRefused(await run(['train', 'lm.perplexity.svg', ...TINY, '--out', 'lm.safetensors'], w), 1, /the default plot path "lm\.perplexity\.svg" is the same file as the corpus.*set --plot to another path/);
    assert.equal(await fs.readFile(path.join(w, 'lm.perplexity.svg'), 'utf8'), CORPUS_TEXT);
  });

  test('--out on the shipped Time Machine is refused; the file is untouched', async () => {
    const w = await workspace('shipped');
    const shipped = repoPath('packages/recurrent/datasets/timemachine.txt');
    const before = await fs.stat(shipped);
    const text = await fs.readFile(shipped);
    try {
      assertRefused(await run(['train', ...TINY, '--out', shipped], w), 1, /is the same file as the corpus/);
      assert.equal((await fs.stat(shipped)).mtimeMs, before.mtimeMs);
    } finally {
      // Unfixed, the run replaces the package's corpus with a checkpoint: put it back.
      if (!(await fs.readFile(shipped)).equals(text)) await fs.writeFile(shipped, text);
      await fs.rm(`${shipped}.perplexity.svg`, { force: true });
    }
  });

  test("--out '' and --plot '' are usage errors at once (exit 2), not failures after the run", async () => {
    const w = await workspace('empty');
    assertRefused(await run(['train', 'corpus.txt', ...TINY, '--out', ''], w), 2, /option '--out <path>' argument '' is invalid\. Expected a non-empty path\./);
    assertRefused(await run(['train', 'corpus.txt', ...TINY, '--plot', ''], w), 2, /--plot <path>.*non-empty path/);
  });

  test('distinct outputs in new folders train and save as before', async () => {
    const w = await workspace('ok');
    const r = await run(['train', 'corpus.txt', ...TINY, '--out', 'a/b/m.safetensors', '--plot', 'c/p.svg'], w);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await fs.stat(path.join(w, 'a/b/m.safetensors'))).size > 0);
    assert.match(await fs.readFile(path.join(w, 'c/p.svg'), 'utf8'), /^<svg /);
  });
});

describe('item 18: folders that cannot be created fail fast', () => {
  test('--out /proc/nope/m.safetensors fails at once with a clear message (it used to spin forever)', async () => {
    const w = await workspace('proc');
    const r = await run(['train', 'corpus.txt', ...TINY, '--out', '/proc/nope/m.safetensors'], w, 20_000);
    assertRefused(r, 1, /cannot write checkpoint "\/proc\/nope\/m\.safetensors": cannot create folder "\/proc\/nope": its parent exists but the file system refuses new folders/);
    assert.ok(r.ms < 15_000, `${r.ms.toFixed(0)} ms`);
  });

  test('a file in the way, and too many new folders, are refused before training', async () => {
    const w = await workspace('blocked');
    await fs.writeFile(path.join(w, 'file'), 'x');
    assertRefused(await run(['train', 'corpus.txt', ...TINY, '--out', 'file/m.safetensors'], w), 1, /"[^"]*file" is not a folder/);
    const deep = `${Array.from({ length: 17 }, (_, i) => `d${i}`).join('/')}/m.safetensors`;
    assertRefused(await run(['train', 'corpus.txt', ...TINY, '--out', deep], w), 1, /needs more than 16 new folders/);
    await assert.rejects(fs.stat(path.join(w, 'd0')), /ENOENT/);
  });
});
