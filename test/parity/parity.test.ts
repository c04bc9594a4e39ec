// PyTorch parity: every case file in a folder (default ../shared/fixtures/parity, or
// $PARITY_FIXTURES) through the public API of `recurrent`, at the fixture README's default
// tolerance tier; one test per case. The parity reporter prints one line per case with its
// worst forward and gradient errors, and last `parity: N passed, N failed`. A case that cannot
// run fails.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, inject, test } from 'vitest';

import { dispose, init } from 'recurrent';

import { runCharLmStep } from './char-lm-step.js';
import { familyRunners } from './families.js';
import type { CharLmCase, FixtureCase, RnnParityCase } from './fixture.js';
import { parityOutcome } from './outcome.js';
import { runRnnParity } from './rnn-parity.js';
import { runTreeParity, TREE_CASE_TYPES, type TreeCase } from './tree-parity.js';

const dir = resolve(process.env['PARITY_FIXTURES'] ?? join(inject('paths').fixtures, 'parity'));
const threads = Number(process.env['PARITY_THREADS'] ?? 1);

let files: string[] = [];
let unreadable: string | undefined;
try {
  files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'index.json').sort();
} catch (e) {
  unreadable = `cannot read fixtures folder ${dir}: ${(e as Error).message}`;
}

beforeAll(() => init({ threads }));
afterAll(() => dispose());

if (unreadable !== undefined || files.length === 0) {
  test(`the fixtures folder ${dir}`, ({ task }) => {
    const line = unreadable ?? `no parity case (*.json) in ${dir}`;
    task.meta.parity = { ok: false, line };
    throw new Error(line);
  });
}

for (const file of files) {
  test(file.replace(/\.json$/, ''), async ({ task }) => {
    let outcome: { ok: boolean; line: string };
    try {
      const c = JSON.parse(await readFile(join(dir, file), 'utf8')) as FixtureCase;
      if (c.type === 'rnn_parity') outcome = parityOutcome(runRnnParity(c as RnnParityCase));
      else if (c.type === 'char_lm_step') outcome = parityOutcome(runCharLmStep(c as CharLmCase));
      else if (c.type in TREE_CASE_TYPES) outcome = parityOutcome(runTreeParity(c as TreeCase));
      else if (Object.hasOwn(familyRunners, c.type)) outcome = parityOutcome(familyRunners[c.type]!(c));
      else throw new Error(`unknown case type ${JSON.stringify(c.type)}`);
    } catch (e) {
      outcome = { ok: false, line: `could not run: ${(e as Error).message}` };
    }
    task.meta.parity = outcome;
    if (!outcome.ok) throw new Error(outcome.line);
  });
}
