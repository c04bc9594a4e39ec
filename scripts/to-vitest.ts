// Converts test files written for node:test + node:assert/strict to this repository's vitest
// setup, in place: `node --import tsx scripts/to-vitest.ts test/unit/regress-*.test.ts`.
// What it changes (see test/README.md):
//   - `import assert from 'node:assert/strict'` -> the shim test/support/assert.ts (same API);
//   - `import { ... } from 'node:test'` -> vitest, with `before`/`after` as `beforeAll`/`afterAll`;
//   - `(t) => { ... t.diagnostic(msg) ... }` -> `({ annotate }) => { ... annotate(msg) ... }`;
//   - `init({ threads: 1 })` -> `init(engineOptions)` (the project's thread count).
// It prints what is left for a person: `node:` imports, which run only in Node (gate those
// tests with nodeOnly(reason) from test/support/env.ts, or read data with test/support/files.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SUPPORT = resolve(dirname(fileURLToPath(import.meta.url)), '../test/support');

/** The converted source, and notes on what still needs a person. */
export function convert(source: string, file: string): { source: string; notes: string[] } {
  const notes: string[] = [];
  let support = relative(dirname(resolve(file)), SUPPORT).split('\\').join('/');
  if (!support.startsWith('.')) support = `./${support}`;
  let out = source;
  // Only the strict flavour: the shim has strict semantics (the loose `node:assert` would change them).
  const assertImport = /^import\s+assert\s+from\s+['"]node:assert\/strict['"];?\n/m;
  if (assertImport.test(out)) {
    out = addImport(out.replace(assertImport, ''), `import assert from '${support}/assert.js';`);
  }

  out = out.replace(/import\s*\{([^}]*)\}\s*from\s*['"]node:test['"];?/, (_, names: string) => {
    const mapped = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => ({ before: 'beforeAll', after: 'afterAll' })[n] ?? n);
    return `import { ${[...new Set(mapped)].sort().join(', ')} } from 'vitest';`;
  });
  out = out.replace(/(^|[^.\w])before\(/g, '$1beforeAll(').replace(/(^|[^.\w])after\(/g, '$1afterAll(');

  // node:test's context `t` on a test's line: only `t.diagnostic` has a counterpart here.
  const contextual = /^(\s*(?:test|it)\(.*,\s*(?:async\s*)?)\(t\)\s*=>/gm;
  if (contextual.test(out)) {
    out = out.replace(contextual, '$1({ annotate }) =>').replace(/\bt\.diagnostic\(/g, 'annotate(');
    if (/\bt\.(?:skip|todo|mock|plan|test|before|after|signal|name)\b/.test(out)) {
      notes.push('uses the node:test context `t` beyond t.diagnostic: convert by hand');
    }
  }

  // The engine a file's hook loads for all its tests: the project's thread count. A test that
  // asks for one build on purpose (init({ threads: 1 }) inside a test) keeps its own.
  const hookInit = /(beforeAll\((?:async\s*)?\(\)\s*=>\s*\{?\s*(?:await\s+)?)init\(\{\s*threads:\s*1\s*\}\)/g;
  if (hookInit.test(out)) {
    out = out.replace(hookInit, '$1init(engineOptions)');
    out = addImport(out, `import { engineOptions } from '${support}/env.js';`);
  }
  for (const m of header(out).matchAll(/from\s+['"](node:[\w/]+)['"]/g)) {
    notes.push(`imports ${m[1]}: Node only; gate its tests with nodeOnly(reason), or use test/support/files.ts for data`);
  }
  return { source: out, notes };
}

/**
 * The file's leading block of comments and import statements: imports further down are text
 * (a script in a template string, run in a child process), not this file's imports.
 */
function header(source: string): string {
  return /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|import\s[^;]+;)*/.exec(source)![0];
}

/** Adds an import of test/support after the file's last import (in the support group, sorted). */
function addImport(source: string, line: string): string {
  const imports = [...header(source).matchAll(/^import [^;]+;$/gms)];
  const last = imports.at(-1);
  if (!last) return `${line}\n${source}`;
  const end = last.index + last[0].length;
  const separator = /support\//.test(last[0]) ? '\n' : '\n\n';
  return `${source.slice(0, end)}${separator}${line}${source.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node --import tsx scripts/to-vitest.ts <test files...>');
    process.exit(2);
  }
  for (const file of files) {
    const { source, notes } = convert(await readFile(file, 'utf8'), file);
    await writeFile(file, source);
    console.log(`${file}: converted${notes.length ? '' : ', nothing left to do'}`);
    for (const n of notes) console.log(`  - ${n}`);
  }
}
