// Issue 11, first use: the npm tarball had no README and no LICENSE files, and the loadTorch
// folder format (meta.json) was undocumented. The package is packed with pnpm and listed; the
// README's "PyTorch folders" section is checked against the code: its example loads, and the
// limits it states are the ones in force.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  dense,
  dispose,
  embedding,
  init,
  loadTorch,
  lstm,
  MAX_HEADER_LENGTH,
  MAX_TENSORS,
  saveModel,
  sequential,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions, nodeOnly } from '../support/env.js';
import { readDataText, repoPath, withTempFolder } from '../support/files.js';

const PACKAGE = repoPath('packages/recurrent');

function exec(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    childProcess.execFile(file, args, { cwd, timeout: 180_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('the npm tarball', () => {
  const { test, beforeAll, afterAll } = nodeOnly('packs the package with pnpm and lists it with tar (child processes)');
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'regress-io-firstuse-'));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('pnpm pack includes README.md, LICENSE-MIT and LICENSE-APACHE (the root files), and leaves no copies behind', async () => {
    const packageJson = JSON.parse(await fs.readFile(path.join(PACKAGE, 'package.json'), 'utf8')) as { license: string };
    assert.equal(packageJson.license, 'MIT OR Apache-2.0');
    const before = (await fs.readdir(PACKAGE)).sort();
    await exec('pnpm', ['pack', '--pack-destination', dir], PACKAGE);
    const tarballs = (await fs.readdir(dir)).filter((f) => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, String(tarballs));
    const tarball = path.join(dir, tarballs[0]!);
    const listed = (await exec('tar', ['tzf', tarball], dir)).stdout.split('\n');
    for (const name of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json', 'dist/index.js', 'dist/cli/main.js', 'datasets/timemachine.txt']) {
      assert.ok(listed.includes(`package/${name}`), `package/${name} is not in the tarball`);
    }
    for (const name of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE']) {
      const packed = (await exec('tar', ['xzf', tarball, '-O', `package/${name}`], dir)).stdout;
      assert.equal(packed, await fs.readFile(repoPath(name), 'utf8'), `${name} in the tarball is the repository's`);
    }
    assert.match(await fs.readFile(repoPath('LICENSE-MIT'), 'utf8'), /^MIT License\n/);
    assert.match(await fs.readFile(repoPath('LICENSE-APACHE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    assert.deepEqual((await fs.readdir(PACKAGE)).sort(), before, 'pack leaves the package folder as it was');
  });
});

describe('README: PyTorch folders', () => {
  let section: string;

  beforeAll(async () => {
    const readme = await readDataText(repoPath('README.md'));
    const start = readme.indexOf('\n## PyTorch folders\n');
    assert.ok(start >= 0, 'the README has a "PyTorch folders" section');
    const end = readme.indexOf('\n## ', start + 1);
    section = readme.slice(start, end < 0 ? undefined : end);
    await init(engineOptions);
  });

  afterAll(async () => {
    await dispose();
  });

  test('its meta.json example, with weights of that architecture, loads with loadTorch', () => withTempFolder(async (folder) => {
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(json, 'the section shows a meta.json');
    const meta = JSON.parse(json) as {
      architecture: { type: string; name: string; num_embeddings?: number; embedding_dim?: number; hidden_size?: number; out_features?: number }[];
      vocab: string[];
    };
    const [emb, rnn, fc] = meta.architecture;
    assert.deepEqual(meta.architecture.map((m) => m.type), ['embedding', 'lstm', 'linear']);
    // A model of the same architecture saves its tensors under PyTorch's names.
    const source = sequential(
      [
        embedding({ vocabSize: emb!.num_embeddings!, dim: emb!.embedding_dim!, name: emb!.name }),
        lstm({ units: rnn!.hidden_size!, name: rnn!.name }),
        dense({ units: fc!.out_features!, name: fc!.name }),
      ],
      { seed: 4 },
    );
    await folder.write('model.safetensors', saveModel(source));
    await folder.write('meta.json', json);
    const model = await loadTorch(folder.location);
    try {
      assert.equal(model.vocab?.size, meta.vocab.length);
      assert.deepEqual(model.stateDict(), source.stateDict());
    } finally {
      model.dispose();
      source.dispose();
    }
  }));

  test('the limits it states are the ones in force', () => {
    const text = section.replace(/\s+/g, ' ');
    assert.ok(text.includes('may nest at most 32 levels'), 'the meta.json nesting limit (tested in regress-io-load)');
    assert.ok(text.includes(`at most ${MAX_TENSORS.toLocaleString('en-US')} tensors (\`MAX_TENSORS\`)`), 'MAX_TENSORS');
    assert.ok(text.includes(`header of at most ${MAX_HEADER_LENGTH / 1e6} MB`), 'MAX_HEADER_LENGTH');
    assert.ok(text.includes(`(default ${DEFAULT_TIMEOUT_MS / 60_000} minutes, \`DEFAULT_TIMEOUT_MS\`)`), 'DEFAULT_TIMEOUT_MS');
    assert.ok(text.includes(`(default ${DEFAULT_MAX_BYTES / 2 ** 30} GiB, \`DEFAULT_MAX_BYTES\`)`), 'DEFAULT_MAX_BYTES');
  });
});
