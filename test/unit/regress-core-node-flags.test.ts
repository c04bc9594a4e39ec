// Issue 11, item 7: Node options that a worker thread refuses when they are passed to it
// (--max-old-space-size, --expose-gc, --stack-size, --no-opt, --title) made init({ threads }),
// spawnWorker() and the CLI fail with a raw `Initiated Worker with invalid execArgv flags`,
// because the pool passed process.execArgv to its workers. Run as child processes with those
// options: everything starts, threads included.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test } = nodeOnly('starts Node child processes with Node options');

// The scripts import 'recurrent' as the tests do: resolved from this folder.
const HERE = repoPath('test/unit');
const CLI = repoPath('packages/recurrent/dist/cli/main.js');
const FLAGS = ['--max-old-space-size=512', '--expose-gc', '--stack-size=2000', '--no-opt', '--title=recurrent-flags'];

// init with the pool, a threaded computation, then a worker (its own pool inside), then done.
const SCRIPT = `
import { init, dispose, RecurrentStack } from 'recurrent';
import { spawnWorker } from 'recurrent/worker';
const e = await init({ threads: 2 });
const s = new RecurrentStack({ kind: 'gru', inputSize: 4, hiddenSize: 64 });
const f = s.forward(new Float32Array(8 * 16 * 4).fill(0.5), { seqLen: 8, batch: 16 });
const worker = await spawnWorker({ threads: 2 });
const info = await worker.engineInfo();
await worker.dispose();
console.log(JSON.stringify({ build: e.build, threads: e.threads, finite: f.y.every(Number.isFinite), worker: info }));
await dispose();
`;

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    childProcess.execFile(process.execPath, args, { cwd: HERE, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

for (const flags of [FLAGS, ...FLAGS.map((f) => [f])]) {
  test(`init({ threads: 2 }) and spawnWorker() under ${flags.join(' ')}`, async () => {
    const r = await node([...flags, '--input-type=module', '-e', SCRIPT]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /execArgv|Error/);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { build: string; threads: number; finite: boolean; worker: { build: string } };
    assert.equal(out.build, 'threads');
    assert.equal(out.threads, 2);
    assert.equal(out.finite, true);
    assert.equal(out.worker.build, 'threads');
  });
}

test(`the CLI trains with 2 threads under ${FLAGS.join(' ')}`, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recurrent-flags-'));
  try {
    const out = path.join(dir, 'm.safetensors');
    const r = await node([...FLAGS, CLI, 'train', '--hidden', '8', '--batch-size', '4', '--seq-len', '8', '--threads', '2', '--max-batches', '2', '--out', out]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
    assert.ok((await fs.stat(out)).size > 0);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// Where no worker can start at all: an explicit thread count is an InitError; 'auto' falls
// back to the single-threaded build with one warning.
const NO_WORKERS = `
import wt from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
wt.Worker = class { constructor() { throw new Error('worker threads are disabled here'); } };
syncBuiltinESMExports();
const { init, dispose } = await import('recurrent');
let explicit;
try { await init({ threads: 2 }); explicit = 'loaded'; } catch (e) { explicit = e.name + ': ' + e.message; }
const e = await init({ threads: 'auto' });
console.log(JSON.stringify({ explicit, build: e.build, threads: e.threads }));
await dispose();
`;

test("a pool that cannot start: InitError for threads: 2, one thread with a warning for 'auto'", async () => {
  const r = await node(['--input-type=module', '-e', NO_WORKERS]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { explicit: string; build: string; threads: number };
  assert.match(out.explicit, /^InitError: could not start a pool worker \(worker_threads\): worker threads are disabled here/);
  assert.equal(out.build, 'simd');
  assert.equal(out.threads, 1);
  assert.match(r.stderr, /recurrent: using the single-threaded build because the threaded one could not start/);
});
