// scripts/to-vitest.ts (the node:test converter) on a file that runs a script in a child
// process: the imports inside the script's template string are text, not the file's imports.
// The converter used to add the shim's import after the last `import` it found anywhere, so
// inside the script (where the child process then failed), and to list the script's `node:`
// imports as the file's.
import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';
import { repoPath } from '../support/files.js';

const { test } = nodeOnly('converts with scripts/to-vitest.ts, a Node script (node:path)');

const SOURCE = `// A test that runs a script in a child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';

const SCRIPT = \`
import wt from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
console.log(typeof wt.Worker, typeof syncBuiltinESMExports);
\`;

test('runs', () => {
  assert.ok(execFile && SCRIPT);
});
`;

test("imports go after the file's own imports, never into a script in a template string", async () => {
  const { convert } = (await import(/* @vite-ignore */ repoPath('scripts/to-vitest.ts'))) as typeof import('../../scripts/to-vitest.js');
  const { source, notes } = convert(SOURCE, repoPath('test/unit/example.test.ts'));
  assert.equal(
    source.slice(0, source.indexOf('const SCRIPT')),
    `// A test that runs a script in a child process.
import { execFile } from 'node:child_process';
import { test } from 'vitest';

import assert from '../support/assert.js';

`,
  );
  // The script is unchanged.
  const script = (s: string) => s.slice(s.indexOf('const SCRIPT'), s.indexOf("test('runs"));
  assert.equal(script(source), script(SOURCE));
  assert.deepEqual(notes, ['imports node:child_process: Node only; gate its tests with nodeOnly(reason), or use test/support/files.ts for data']);
});
