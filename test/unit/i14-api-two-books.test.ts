// Issue 14: the two-books line classifier example runs as a user runs it (node --import tsx),
// in its reduced mode, and prints a held-out GRU accuracy clearly above chance beside its
// char-trigram naive Bayes baseline and the margin between them.
import * as childProcess from 'node:child_process';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test } = nodeOnly('runs an example script as a child process');

test('examples/two-books.ts --quick: the GRU beats chance on held-out lines, printed beside the baseline and the margin', { timeout: 180_000 }, async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    childProcess.execFile(
      process.execPath,
      ['--import', 'tsx', repoPath('examples/two-books.ts'), '--quick'],
      { cwd: repoPath('.'), timeout: 170_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  const m = /held-out accuracy \(balanced, chance 0\.500\): GRU ([0-9.]+), char-trigram naive Bayes ([0-9.]+); the GRU (beats|does not beat) the baseline by ([+-][0-9.]+) points/.exec(stdout);
  assert.ok(m, `no held-out figures in the output:\n${stdout}`);
  const [rnn, baseline, margin] = [Number(m[1]), Number(m[2]), Number(m[4])];
  // 320 held-out lines (160 per book) in the reduced mode: 0.6 is 3.5 standard errors above chance.
  assert.ok(rnn > 0.6, `GRU held-out accuracy ${rnn}`);
  assert.ok(baseline > 0.6 && baseline <= 1, `baseline held-out accuracy ${baseline}`);
  assert.ok(Math.abs(margin - 100 * (rnn - baseline)) < 0.16, `margin ${margin} points for ${rnn} - ${baseline}`);
  assert.equal(m[3] === 'beats', rnn > baseline);
});
