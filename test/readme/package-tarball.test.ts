// Issue 11, first use: the npm tarball had no README and no LICENSE files. The package is packed
// with pnpm and listed. In the `readme` project only (run once per test run, in Node): `pnpm pack`
// copies the root files into the package folder for a moment (prepack/postpack), so two packs at
// once (one per project) would see each other's copies.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';

import assert from '../support/assert.js';
import { repoPath } from '../support/files.js';

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

