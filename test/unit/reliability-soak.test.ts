// Soak: 100,000 streaming steps and 5,000 training steps (test/soak/soak.ts, in a child process
// with --expose-gc so heap figures follow full collections). After warm-up, wasm memory and the
// JS heap grow by less than 1%; disposing everything returns every wasm buffer; models dropped
// without dispose() are freed by the finalizer safety net.
import * as childProcess from 'node:child_process';
import * as util from 'node:util';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test } = nodeOnly('runs test/soak/soak.ts in a child Node process started with --expose-gc');

interface Figures {
  wasmBytes: number;
  heapBytes: number;
  liveBuffers: number;
}
interface Phase {
  warm: Figures;
  end: Figures;
  wasmGrowthPct: number;
  heapGrowthPct: number;
  seconds: number;
}
interface Soak {
  streamSteps: number;
  trainSteps: number;
  stream: Phase;
  train: Phase & { finalLoss: number };
  disposedLiveBuffers: number;
  finalizer: { droppedBuffers: number; leftAfterGc: number; rounds: number };
}

const script = repoPath('test/soak/soak.ts');

test('soak: 100,000 streaming steps and 5,000 training steps keep wasm memory and the heap flat', { timeout: 300_000 }, async () => {
  const { stdout } = await util.promisify(childProcess.execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as Soak;
  const line = (name: string, p: Phase) =>
    `[soak] ${name}: wasm memory ${p.warm.wasmBytes} bytes after warm-up, ${p.end.wasmBytes} at the end (${p.wasmGrowthPct.toFixed(3)}%); ` +
    `JS heap ${p.warm.heapBytes} -> ${p.end.heapBytes} bytes (${p.heapGrowthPct.toFixed(3)}%); live wasm buffers ${p.warm.liveBuffers} -> ${p.end.liveBuffers}; ${p.seconds.toFixed(2)} s`;
  console.log(line(`${r.streamSteps} streaming steps`, r.stream));
  console.log(line(`${r.trainSteps} training steps`, r.train));
  console.log(`[soak] after dispose: ${r.disposedLiveBuffers} live wasm buffers; finalizer: ${r.finalizer.droppedBuffers} buffers of dropped models, ${r.finalizer.leftAfterGc} left after collection`);
  assert.equal(r.streamSteps, 100_000);
  assert.equal(r.trainSteps, 5_000);
  for (const [name, p] of [['stream', r.stream], ['train', r.train]] as const) {
    assert.ok(p.wasmGrowthPct < 1, `${name}: wasm memory grew ${p.wasmGrowthPct}%`);
    assert.ok(p.heapGrowthPct < 1, `${name}: JS heap grew ${p.heapGrowthPct}%`);
    assert.equal(p.end.liveBuffers, p.warm.liveBuffers, `${name}: live wasm buffers changed`);
  }
  assert.ok(Number.isFinite(r.train.finalLoss));
  assert.equal(r.disposedLiveBuffers, 0);
  assert.ok(r.finalizer.droppedBuffers > 0);
  assert.equal(r.finalizer.leftAfterGc, 0, 'the FinalizationRegistry safety net freed every dropped model');
});
