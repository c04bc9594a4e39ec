// Issue 13 (architecture), the rules of docs/ARCHITECTURE.md checked on the sources of
// packages/recurrent/src: files stay small, the validation module sits at the bottom of the
// import graph, tensors import nothing above them, generation does not know the model, tasks
// use only the public members of the classes they compose, and comments cite the
// architecture document that is in the repository (every section they name exists).
// Before this work: model.ts was 830 lines, io/safetensors.ts 610 and online/rtrl.ts 549;
// tensor/buffer.ts imported core/validate.ts; model.ts and generate.ts imported each other;
// tasks/seq2seq.ts used Model's @internal `input`, `recurrent`, `ws`, `dense`, `groups` and
// `engine`; comments cited a DESIGN.md that is not in the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as url from 'node:url';

import type ts from 'typescript';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';

const { test, beforeAll } = nodeOnly('reads the package sources from the file system');

/**
 * Files the Rust/ABI half of the architecture work owns (issue 13's other helper): the TS face
 * of the core stack, split when its checks and loops move into the core.
 */
const OWNED_ELSEWHERE = new Set(['core/stack.ts']);
const MAX_LINES = 400;

function files(dir: string, ext = '.ts'): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' || e.name === 'target' ? [] : files(file, ext);
    return e.name.endsWith(ext) ? [file] : [];
  });
}

interface Source {
  path: string;
  rel: string;
  text: string;
}

let ROOT: string;
let SRC: string;
let sources: Source[];

beforeAll(() => {
  ROOT = url.fileURLToPath(new URL('../..', import.meta.url));
  SRC = path.join(ROOT, 'packages/recurrent/src');
  sources = files(SRC).map((file) => ({ path: file, rel: path.relative(SRC, file), text: fs.readFileSync(file, 'utf8') }));
});

/** The relative module specifiers a file imports or re-exports. */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]!);
}

test(`no source file is over ${MAX_LINES} lines (except those the core's half owns)`, () => {
  const long = sources
    .filter((s) => !OWNED_ELSEWHERE.has(s.rel))
    .map((s) => ({ rel: s.rel, lines: s.text.split('\n').length - (s.text.endsWith('\n') ? 1 : 0) }))
    .filter((s) => s.lines > MAX_LINES);
  assert.deepEqual(long, [], `files over ${MAX_LINES} lines: ${long.map((s) => `${s.rel} (${s.lines})`).join(', ')}`);
});

test('validate/ is the bottom of the import graph: it imports errors.ts and itself only', () => {
  const validate = sources.filter((s) => s.rel.startsWith('validate/'));
  assert.ok(validate.length >= 3, 'the validation module exists');
  for (const s of validate) {
    for (const spec of importsOf(s.text)) assert.ok(spec === '../errors.js' || spec.startsWith('./'), `${s.rel} imports ${spec}`);
  }
});

test('tensor/ imports nothing above it (the engine, errors, validation only)', () => {
  for (const s of sources.filter((x) => x.rel.startsWith('tensor/'))) {
    for (const spec of importsOf(s.text)) {
      assert.ok(/^\.\/|^\.\.\/(engine|validate)\/|^\.\.\/errors\.js$/.test(spec), `${s.rel} imports ${spec}`);
    }
  }
});

test('every argument rule lives in validate/: no other file defines describe, checkInt, checkNumber, checkFloats, checkObject or checkOptionalBoolean', () => {
  const rules = ['describe', 'checkInt', 'checkNumber', 'checkFloats', 'checkOneOf', 'checkObject', 'checkOptionalBoolean', 'checkFinite', 'checkLengths'];
  for (const s of sources) {
    if (s.rel.startsWith('validate/') || OWNED_ELSEWHERE.has(s.rel) || s.rel.startsWith('io/safetensors')) continue;
    for (const name of rules) assert.ok(!new RegExp(`function ${name}\\(`).test(s.text), `${s.rel} defines its own ${name}`);
  }
});

test('generation knows a token stream, not the model: model/generate.ts does not import model.ts', () => {
  const gen = sources.find((s) => s.rel === 'model/generate.ts')!;
  assert.ok(!importsOf(gen.text).some((spec) => /model\.js$/.test(spec)), 'generate.ts imports model.ts');
});

test("tasks, the worker and the CLI use only public members of the classes they compose (no @internal, no private)", async () => {
  const ts = (await import('typescript')).default;
  const dirs = ['tasks', 'worker', 'cli'];
  const roots = sources.filter((s) => dirs.some((d) => s.rel.startsWith(`${d}/`))).map((s) => s.path);
  const program = ts.createProgram(roots, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!roots.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        const decl = symbol?.declarations?.[0];
        const owner = decl && ts.findAncestor(decl, ts.isClassLike);
        const here = ts.findAncestor(node, ts.isClassLike);
        // A member of another class: fine when public and not marked @internal.
        if (decl && owner && owner !== here && decl.getSourceFile().fileName.startsWith(SRC)) {
          const internal = ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal') || /@internal/.test(decl.getFullText().slice(0, decl.getLeadingTriviaWidth()));
          const modifiers = ts.canHaveModifiers(decl) ? (ts.getModifiers(decl) ?? []) : [];
          const hidden = modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
          if (internal || hidden) {
            const { line } = file.getLineAndCharacterOfPosition(node.getStart());
            found.push(`${path.relative(SRC, file.fileName)}:${line + 1} ${node.getText()} (${owner.name?.text}.${node.name.text})`);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  // The worker's client and its own handles share one module's @internal plumbing (the call
  // queue a RemoteModel is given); the rule is about the model classes tasks compose.
  const modelClasses = found.filter((f) => /\((Model|ModelState|Network|Optimizer|Seq2Seq|RecurrentLayer|DenseLayer|InputLayer)\./.test(f));
  assert.deepEqual(modelClasses, [], `internal members used from outside their class:\n${modelClasses.join('\n')}`);
});

test('comments cite docs/ARCHITECTURE.md (not DESIGN.md), and every section they name exists', () => {
  const doc = path.join(ROOT, 'docs/ARCHITECTURE.md');
  assert.ok(fs.existsSync(doc), 'docs/ARCHITECTURE.md is in the repository');
  const headings = new Set([...fs.readFileSync(doc, 'utf8').matchAll(/^#{1,4} (.+)$/gm)].map((m) => m[1]!.trim()));
  const everywhere = [
    ...sources,
    ...['bench', 'examples', 'scripts', 'test', 'playground/src']
      .flatMap((d) => (fs.existsSync(path.join(ROOT, d)) ? files(path.join(ROOT, d)) : []))
      .map((file) => ({ path: file, rel: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') })),
  ];
  for (const s of everywhere) {
    if (s.path === url.fileURLToPath(import.meta.url)) continue;
    assert.ok(!/DESIGN\.md/.test(s.text), `${s.rel} cites DESIGN.md`);
    for (const m of s.text.matchAll(/ARCHITECTURE\.md, "([^"]+)"/g)) assert.ok(headings.has(m[1]!), `${s.rel} cites a section "${m[1]}" that docs/ARCHITECTURE.md does not have`);
  }
});
