// Issue 14: one default optimiser for every trainer. `fit`, `Seq2Seq.fit`, a tree classifier's
// `optimizer()` and the CLI's `recurrent train` each give no optimiser and the test reads the
// config each one actually trained with (fit and Seq2Seq: the optimiser they built; the CLI:
// its "training:" line, written from the config it hands to fit). They must all agree, and
// agree with the exported DEFAULT_OPTIMIZER.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, test, vi } from 'vitest';

import {
  DEFAULT_OPTIMIZER,
  dense,
  dispose,
  fit,
  gru,
  init,
  leafWords,
  Model,
  type OptimizerConfig,
  parseTrees,
  Seq2Seq,
  sequential,
  TreeClassifier,
  Vocab,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

beforeAll(async () => {
  await init(engineOptions);
});
afterAll(() => dispose());

/** The type and learning rate of a config (the other hyperparameters are each optimiser's own defaults). */
const typeAndLr = (c: OptimizerConfig): { type: string; lr: unknown } => ({ type: c.type, lr: c.lr });

async function fitDefault(): Promise<{ type: string; lr: unknown }> {
  const spy = vi.spyOn(Model.prototype, 'optimizerFor');
  const model = sequential([gru({ units: 3, output: 'last' }), dense({ units: 2 })], { inputSize: 1, seed: 1 });
  try {
    await fit(model, { x: [[[1], [0]], [[0], [1]]], y: [0, 1] }, { epochs: 1 });
    assert.equal(spy.mock.results.length, 1);
    return typeAndLr(spy.mock.results[0]!.value.config);
  } finally {
    spy.mockRestore();
    model.dispose();
  }
}

async function seq2seqDefault(): Promise<{ type: string; lr: unknown }> {
  const spy = vi.spyOn(Seq2Seq.prototype, 'optimizer');
  const model = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: 5, bos: 3, eos: 4, cell: gru({ units: 3 }), seed: 1 });
  try {
    await model.fit([{ source: [1, 2], target: [2, 1] }], { epochs: 1 });
    assert.equal(spy.mock.results.length, 1);
    return typeAndLr(spy.mock.results[0]!.value.config);
  } finally {
    spy.mockRestore();
    model.dispose();
  }
}

function treeDefault(): { type: string; lr: unknown } {
  const trees = parseTrees('(1 (0 a) (1 b))');
  const model = new TreeClassifier({ cell: 'childSumTreeLstm', vocab: new Vocab(leafWords(trees)), hiddenSize: 3, classes: 2 });
  const optimizer = model.optimizer();
  try {
    return typeAndLr(optimizer.config);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

test('fit, Seq2Seq.fit and TreeClassifier.optimizer() default to the same optimiser, DEFAULT_OPTIMIZER', async () => {
  const expected = typeAndLr(DEFAULT_OPTIMIZER);
  assert.deepEqual(expected, { type: 'adam', lr: 0.003 });
  assert.deepEqual(await fitDefault(), expected, 'fit');
  assert.deepEqual(await seq2seqDefault(), expected, 'Seq2Seq.fit');
  assert.deepEqual(treeDefault(), expected, 'TreeClassifier.optimizer()');
});

const cli = nodeOnly('runs the CLI as a child process');

cli.test('`recurrent train` without --optimizer or --lr trains with the same optimiser as fit', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recurrent-i14-'));
  try {
    const args = ['train', '--hidden', '8', '--batch-size', '2', '--seq-len', '4', '--threads', '1', '--max-batches', '1', '--out', path.join(dir, 'lm.safetensors')];
    const stderr = await new Promise<string>((resolve, reject) => {
      childProcess.execFile(process.execPath, [repoPath('packages/recurrent/dist/cli/main.js'), ...args], { timeout: 60_000 }, (error, _out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(err),
      );
    });
    const line = stderr.split('\n').find((l) => l.startsWith('training: '));
    const m = line && /, (\w+) lr ([0-9.e+-]+), /.exec(line);
    assert.ok(m, `no optimiser in the CLI's training line:\n${stderr}`);
    assert.deepEqual({ type: m[1], lr: Number(m[2]) }, await fitDefault());
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
