// Issue 11, first use: the npm tarball had no README and no LICENSE files, and the loadTorch
// folder format (meta.json) was undocumented. The package is packed with pnpm and listed; the
// README's "PyTorch folders" section is checked against the code: its example loads, and the
// limits it states are the ones in force.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = join(ROOT, 'packages/recurrent');

function exec(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 180_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regress-io-firstuse-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the npm tarball', () => {
  test('pnpm pack includes README.md, LICENSE-MIT and LICENSE-APACHE (the root files), and leaves no copies behind', async () => {
    const packageJson = JSON.parse(await readFile(join(PACKAGE, 'package.json'), 'utf8')) as { license: string };
    assert.equal(packageJson.license, 'MIT OR Apache-2.0');
    const before = (await readdir(PACKAGE)).sort();
    await exec('pnpm', ['pack', '--pack-destination', dir], PACKAGE);
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, String(tarballs));
    const tarball = join(dir, tarballs[0]!);
    const listed = (await exec('tar', ['tzf', tarball], dir)).stdout.split('\n');
    for (const name of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json', 'dist/index.js', 'dist/cli/main.js', 'datasets/timemachine.txt']) {
      assert.ok(listed.includes(`package/${name}`), `package/${name} is not in the tarball`);
    }
    for (const name of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE']) {
      const packed = (await exec('tar', ['xzf', tarball, '-O', `package/${name}`], dir)).stdout;
      assert.equal(packed, await readFile(join(ROOT, name), 'utf8'), `${name} in the tarball is the repository's`);
    }
    assert.match(await readFile(join(ROOT, 'LICENSE-MIT'), 'utf8'), /^MIT License\n/);
    assert.match(await readFile(join(ROOT, 'LICENSE-APACHE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    assert.deepEqual((await readdir(PACKAGE)).sort(), before, 'pack leaves the package folder as it was');
  });
});

describe('README: PyTorch folders', () => {
  let section: string;

  before(async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## PyTorch folders\n');
    assert.ok(start >= 0, 'the README has a "PyTorch folders" section');
    const end = readme.indexOf('\n## ', start + 1);
    section = readme.slice(start, end < 0 ? undefined : end);
    await init({ threads: 1 });
  });

  after(async () => {
    await dispose();
  });

  test('its meta.json example, with weights of that architecture, loads with loadTorch', async () => {
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
    const folder = join(dir, 'example');
    await mkdir(folder);
    await writeFile(join(folder, 'model.safetensors'), saveModel(source));
    await writeFile(join(folder, 'meta.json'), json);
    const model = await loadTorch(folder);
    try {
      assert.equal(model.vocab?.size, meta.vocab.length);
      assert.deepEqual(model.stateDict(), source.stateDict());
    } finally {
      model.dispose();
      source.dispose();
    }
  });

  test('the limits it states are the ones in force', () => {
    const text = section.replace(/\s+/g, ' ');
    assert.ok(text.includes('may nest at most 32 levels'), 'the meta.json nesting limit (tested in regress-io-load)');
    assert.ok(text.includes(`at most ${MAX_TENSORS.toLocaleString('en-US')} tensors (\`MAX_TENSORS\`)`), 'MAX_TENSORS');
    assert.ok(text.includes(`header of at most ${MAX_HEADER_LENGTH / 1e6} MB`), 'MAX_HEADER_LENGTH');
    assert.ok(text.includes(`(default ${DEFAULT_TIMEOUT_MS / 60_000} minutes, \`DEFAULT_TIMEOUT_MS\`)`), 'DEFAULT_TIMEOUT_MS');
    assert.ok(text.includes(`(default ${DEFAULT_MAX_BYTES / 2 ** 30} GiB, \`DEFAULT_MAX_BYTES\`)`), 'DEFAULT_MAX_BYTES');
  });
});
