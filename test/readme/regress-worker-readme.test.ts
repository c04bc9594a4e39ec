// Every README snippet is run by a test (issue 11, first use: the README's worker snippet
// failed as written). Each fenced block of README.md is found and handled by its language:
// - ```ts / ```js programs are written to a scratch folder inside the repository (so the
//   bare `recurrent` import resolves to this workspace's package) and run with
//   `node --import tsx` in a child process, with a timeout; each must exit with 0;
// - ```ts / ```js blocks that are configuration (`export default ...`, e.g. the Vite config)
//   are imported, and must export an object;
// - every ```ts block is also type-checked with the project's strict compiler options;
// - blocks in other languages (sh, python) are not programs of this package and are listed
//   as such; a block without a language fails the test, so none is skipped silently.
// The blocks are found when this file loads, so a block added to README.md is picked up.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';
import { fileURLToPath, pathToFileURL } from 'node:url';

import assert from '../support/assert.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = join(ROOT, 'README.md');
/** Longest a snippet may run; the README's training snippets take well under a minute. */
const TIMEOUT_MS = 5 * 60_000;

interface Block {
  /** 1-based, in reading order. */
  index: number;
  lang: string;
  /** Line of the opening fence. */
  line: number;
  /** The `##` heading the block is under. */
  section: string;
  code: string;
}

/** The fenced code blocks of a markdown text (indented fences too, as in list items). */
function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let section = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]!);
    if (heading) section = heading[1]!.trim();
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).exec(lines[j]!);
      if (close) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart());
    }
    assert.ok(j < lines.length, `README.md line ${i + 1}: a code block that is never closed`);
    blocks.push({ index: blocks.length + 1, lang: lang.toLowerCase(), line: i + 1, section, code: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

const TS = new Set(['ts', 'typescript', 'mts']);
const JS = new Set(['js', 'javascript', 'mjs']);
/** Languages that are not programs of this package: shown, not run. */
const NOT_RUN = new Set(['sh', 'bash', 'shell', 'console', 'python', 'py', 'text', 'json', 'html', 'diff']);

const blocks = fencedBlocks(readFileSync(README, 'utf8'));
const isScript = (b: Block) => TS.has(b.lang) || JS.has(b.lang);
const isConfig = (b: Block) => /^\s*export\s+default\b/m.test(b.code);
const programs = blocks.filter((b) => isScript(b) && !isConfig(b));
const configs = blocks.filter((b) => isScript(b) && isConfig(b));
const label = (b: Block) => `README block ${b.index} (\`\`\`${b.lang}, line ${b.line}, "${b.section}")`;

let scratch: string;
const fileOf = (b: Block) => join(scratch, `block-${b.index}.${TS.has(b.lang) ? 'mts' : 'mjs'}`);
const report: string[] = [];

beforeAll(async () => {
  // Inside the repository (so `recurrent` resolves), in a folder git ignores (.scratch*/).
  scratch = await mkdtemp(join(ROOT, '.scratch-readme-'));
  for (const b of blocks.filter(isScript)) await writeFile(fileOf(b), b.code);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  console.log(`# README.md: ${blocks.length} code blocks\n${report.map((r) => `#   ${r}`).join('\n')}`);
});

test('README.md: every code block has a language this test knows, and there are programs to run', () => {
  for (const b of blocks) {
    assert.ok(isScript(b) || NOT_RUN.has(b.lang), `${label(b)}: give the block a language (ts, js, sh, python, ...) so this test knows whether to run it`);
    if (!isScript(b)) report.push(`${label(b)}: not run (${b.lang}: not a JavaScript or TypeScript program)`);
  }
  assert.ok(programs.length >= 2, `found ${programs.length} JavaScript/TypeScript programs in README.md: the block extraction is broken`);
  assert.ok(programs.some((b) => /from 'recurrent\/worker'/.test(b.code)), 'the worker snippet is among the programs');
});

for (const block of programs) {
  test(`${label(block)} runs as written`, async () => {
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', fileOf(block)], { cwd: ROOT, timeout: TIMEOUT_MS, maxBuffer: 64 << 20 }, (error, out, err) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout: out, stderr: err });
      });
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0, `${label(block)} failed (exit ${code}, ${seconds.toFixed(1)} s):\n${stderr}\n${stdout}`);
    const lines = stdout.trim().split('\n');
    report.push(`${label(block)}: ran, exit 0 in ${seconds.toFixed(1)} s; last output line: ${JSON.stringify(lines.at(-1))}`);
  });
}

for (const block of configs) {
  test(`${label(block)} is a configuration module that loads`, async () => {
    const module = (await import(pathToFileURL(fileOf(block)).href)) as { default?: unknown };
    assert.equal(typeof module.default, 'object', `${label(block)}: expected \`export default\` of an object`);
    assert.ok(module.default !== null);
    report.push(`${label(block)}: configuration, imported (default export with keys ${Object.keys(module.default as object).join(', ')})`);
  });
}

test('README.md: every TypeScript block type-checks with the project\'s strict options', async () => {
  const ts = blocks.filter((b) => TS.has(b.lang));
  assert.ok(ts.length > 0);
  const config = {
    extends: join(ROOT, 'tsconfig.base.json'),
    // A snippet may show a value it does not use.
    compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, types: ['node'] },
    files: ts.map(fileOf),
  };
  await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify(config));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], { cwd: ROOT, timeout: TIMEOUT_MS }, (error, out, err) => {
      resolve({ code: error ? 1 : 0, out: `${out}${err}` });
    });
  });
  // Errors name the scratch file: point at the README block instead.
  const explained = result.out.replace(/[^\s(]*block-(\d+)\.mts\((\d+),(\d+)\)/g, (_, n: string, l: string, c: string) => {
    const b = blocks[Number(n) - 1]!;
    return `README.md:${b.line + Number(l)}:${c} (block ${n})`;
  });
  assert.equal(result.code, 0, `README TypeScript blocks do not type-check:\n${explained}`);
  report.push(`type-checked ${ts.length} TypeScript block(s): ${ts.map((b) => b.index).join(', ')}`);
});
