// PyTorch parity: every case file in a folder (default ../shared/fixtures/parity, or
// $PARITY_FIXTURES) through the public API of `recurrent`, at the fixture README's default
// tolerance tier. One line per case with its worst forward and gradient errors; the last
// line is `parity: N passed, N failed`. A case that cannot run counts as failed.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { dispose, init } from 'recurrent';

import { runCharLmStep } from './char-lm-step.js';
import type { CharLmCase, FixtureCase, RnnParityCase } from './fixture.js';
import { runRnnParity } from './rnn-parity.js';
import type { Comparison } from './tolerance.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = resolve(process.env.PARITY_FIXTURES ?? join(here, '../../../shared/fixtures/parity'));
const threads = Number(process.env.PARITY_THREADS ?? 1);

function worst(list: Comparison[]): Comparison | undefined {
  return list.reduce<Comparison | undefined>((w, c) => (w === undefined || c.usage > w.usage ? c : w), undefined);
}

function fmt(c: Comparison | undefined): string {
  if (!c) return '-';
  return `${c.name} usage ${c.usage.toExponential(2)} (|err| ${c.maxAbs.toExponential(2)})${c.problem ? ` ${c.problem}` : ''}`;
}

let files: string[];
try {
  files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'index.json').sort();
} catch (e) {
  console.error(`parity: cannot read fixtures folder ${dir}: ${(e as Error).message}`);
  console.log('parity: 0 passed, 1 failed');
  process.exit(1);
}

await init({ threads });
let passed = 0;
let failed = 0;
for (const file of files) {
  let line: string;
  let ok = false;
  try {
    const c = JSON.parse(await readFile(join(dir, file), 'utf8')) as FixtureCase;
    let result: { forward: Comparison[]; gradients: Comparison[] };
    if (c.type === 'rnn_parity') result = runRnnParity(c as RnnParityCase);
    else if (c.type === 'char_lm_step') result = runCharLmStep(c as CharLmCase);
    else throw new Error(`unknown case type ${JSON.stringify(c.type)}`);
    const all = [...result.forward, ...result.gradients];
    ok = all.length > 0 && all.every((x) => x.usage <= 1 && x.problem === undefined);
    line = `forward: ${fmt(worst(result.forward))}; gradients: ${fmt(worst(result.gradients))}`;
  } catch (e) {
    line = `could not run: ${(e as Error).message}`;
  }
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${file.replace(/\.json$/, '')}: ${line}`);
}
await dispose();
console.log(`parity: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
