// Issue 11, items 14, 15 and 17 (crc32): loading without an engine blamed the file
// (FormatError) instead of saying the engine is not loaded (InitError); loadTorch let a raw
// RangeError out of a deeply nested meta.json (the CLI said "internal error"), a raw TypeError
// out of loadTorch(123), and read /meta.json for loadTorch(''); crc32(undefined) threw a raw
// TypeError.
import * as childProcess from 'node:child_process';
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  crc32,
  dense,
  dispose,
  FormatError,
  init,
  InitError,
  InvalidArgumentError,
  loadModel,
  loadTorch,
  lstm,
  modelFromBytes,
  oneHot,
  saveModel,
  sequential,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { fixturePath, readData, readDataJson, repoPath, type TempFolder, withTempFolder } from '../support/files.js';

const TORCH_LM = fixturePath('torch-lm');
const CLI = repoPath('packages/recurrent/dist/cli/main.js');

let meta: Record<string, unknown>;
let weights: Uint8Array;

/**
 * `dir` as a PyTorch folder: the fixture's weights with `metaText` as meta.json. A test reuses
 * its folder, each load awaited before the next write.
 */
async function folder(dir: TempFolder, metaText: string): Promise<string> {
  await dir.write('meta.json', metaText);
  await dir.write('model.safetensors', weights);
  return dir.location;
}

/** The fixture's meta.json with an `extra` field nested `levels` arrays deep (meta.json is then 1 + levels deep). */
function nested(levels: number): string {
  return JSON.stringify({ ...meta, extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(levels)}${']'.repeat(levels)}`);
}

beforeAll(async () => {
  meta = await readDataJson<Record<string, unknown>>(fixturePath('torch-lm/meta.json'));
  weights = await readData(fixturePath('torch-lm/model.safetensors'));
});

describe('item 14: loading without an engine is an InitError, not the file\'s fault', () => {
  test('before init(): loadModel, modelFromBytes and loadTorch say the engine is not loaded, before reading', async () => {
    await assert.rejects(loadModel(new Uint8Array(16)), (e: unknown) => e instanceof InitError && /init\(\)/.test(e.message));
    assert.throws(() => modelFromBytes(new Uint8Array(16)), InitError);
    // nothing is read: a missing file is not the error
    await assert.rejects(loadModel(fixturePath('no-such-file.safetensors')), InitError);
    await assert.rejects(loadTorch(TORCH_LM), InitError);
  });

  test('after dispose(): a valid model file is an InitError, not a FormatError', async () => {
    await init({ threads: 1 });
    const model = sequential([oneHot({ vocabSize: 5 }), lstm({ units: 3 }), dense({ units: 5 })], { seed: 2 });
    const bytes = saveModel(model);
    model.dispose();
    (await loadModel(bytes)).dispose(); // the file is fine
    await dispose();
    await assert.rejects(loadModel(bytes), (e: unknown) => {
      assert.ok(e instanceof InitError, `expected InitError, got ${String(e)}`);
      assert.ok(!(e instanceof FormatError));
      return true;
    });
    assert.throws(() => modelFromBytes(bytes), InitError);
    await assert.rejects(loadTorch(TORCH_LM), InitError);
  });
});

describe('item 15: loadTorch gives typed errors', () => {
  beforeAll(async () => {
    await init(engineOptions);
  });
  afterAll(async () => {
    await dispose();
  });

  test('a deeply nested meta.json is a FormatError naming the limit of 32 levels', () => withTempFolder(async (dir) => {
    const deep = await folder(dir, nested(100_000));
    await assert.rejects(loadTorch(deep), (e: unknown) => {
      assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
      assert.match(e.message, /meta\.json: nested deeper than 32 levels/);
      return true;
    });
    // the limit itself: 32 levels load, 33 do not
    (await loadTorch(await folder(dir, nested(31)))).dispose();
    await assert.rejects(loadTorch(await folder(dir, nested(32))), /deeper than 32 levels/);
  }));

  test('bad `folder` arguments are InvalidArgumentErrors naming `folder`; nothing is read', async () => {
    for (const bad of [123, '', null, undefined, {}, ['a']]) {
      await assert.rejects(loadTorch(bad as never), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, `${String(bad)}: expected InvalidArgumentError, got ${String(e)}`);
        assert.match(e.message, /loadTorch: argument `folder` expected a non-empty path or a URL/);
        assert.doesNotMatch(e.message, /\/meta\.json/);
        return true;
      });
    }
  });

  test('meta.json fields of the wrong kind are FormatErrors, not ignored', () => withTempFolder(async (dir) => {
    await assert.rejects(loadTorch(await folder(dir, JSON.stringify({ ...meta, vocab: 'abc' }))), /`vocab` expected an array of tokens/);
    await assert.rejects(loadTorch(await folder(dir, JSON.stringify({ ...meta, vocab: { tokens: ['<unk>'] } }))), FormatError);
    await assert.rejects(loadTorch(await folder(dir, JSON.stringify({ ...meta, tokenizer: { level: 'bpe' } }))), /`tokenizer` expected \{ level: 'char' \| 'word' \}, got level "bpe"/);
    await assert.rejects(loadTorch(await folder(dir, JSON.stringify({ ...meta, tokenizer: 5 }))), FormatError);
    const modules = meta['architecture'] as Record<string, unknown>[];
    const gelu = { ...meta, architecture: [modules[0], { ...modules[1], type: 'rnn', nonlinearity: 'gelu' }, modules[2]] };
    await assert.rejects(loadTorch(await folder(dir, JSON.stringify(gelu))), /`nonlinearity` expected 'tanh' or 'relu', got "gelu"/);
    // the fixture as is, and without the optional tokenizer, load
    (await loadTorch(TORCH_LM)).dispose();
    const { tokenizer: _, ...noTokenizer } = meta;
    (await loadTorch(await folder(dir, JSON.stringify(noTokenizer)))).dispose();
  }));

  nodeOnly('runs the CLI in a child process on a temporary folder').test('the CLI reports a deeply nested meta.json as a one-line error, not an internal error', async () => {
    const r = await withTempFolder(async (dir) => {
      const deep = await folder(dir, nested(100_000));
      return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        childProcess.execFile(process.execPath, [CLI, 'info', deep], { timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        });
      });
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^recurrent: meta\.json: nested deeper than 32 levels/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

describe('item 17: crc32', () => {
  test('crc32 of anything but a Uint8Array is an InvalidArgumentError naming `bytes`', () => {
    for (const bad of [undefined, null, 'abc', [1, 2, 3], new Float32Array(2), 5]) {
      assert.throws(() => crc32(bad as never), (e: unknown) => e instanceof InvalidArgumentError && /crc32: argument `bytes` expected a Uint8Array/.test(e.message));
    }
    // the standard check value of CRC-32/ISO-HDLC
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  nodeOnly('Buffer is a Node global').test('crc32 of a Node Buffer (a Uint8Array) is the same', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
});
