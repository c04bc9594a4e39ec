/**
 * Issue 16's bench: training throughput (nodes/s) of a Child-Sum Tree-LSTM on a forest of 32
 * trees of 10-40 nodes (random shapes: each new node hangs under a random earlier one), hidden
 * 128, input 128 at the leaves. One timed step = forward over the whole forest, the loss
 * `sum(h * gh) + sum(c * gc)` over every node, backpropagation through structure, an SGD
 * update. Ours level-batched (`TreeCell.forward(forest, x)`: one GEMM per level and matrix)
 * against ours one node at a time (`levelBatched: false`: the same core, one node per pass) in
 * the same process, and against PyTorch's node-at-a-time loop (`peers/torch_tree.py`, the way
 * Tree-LSTMs are written by hand in PyTorch) run from the same child right after ours, with
 * the same thread count. PyTorch is Debian's `python3-torch` (`/usr/bin/python3`,
 * `TORCH_PYTHON` overrides); without it that row is left out with a note.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { rng, uniform } from '../lib/data.js';
import { pairRows, pick, record, type Pairing } from '../lib/rows.js';
import { measure } from '../lib/stats.js';
import { oursOnlyWorkload } from '../lib/ours-only.js';
import { oursSpec, subjectLabel } from '../lib/subjects.js';
import type { Measurement, MeasureContext, PrintedRow, SubjectSpec, Workload } from '../lib/types.js';
import type { OursHandle } from '../ours/recurrent.js';
import { torchEnv } from '../peers/torch.js';

const WORKLOAD = 'trees';
const UNIT = 'nodes/s';
const TREES = 32;
const H = 128;
const I = 128;
const CASES = [{ id: 'child-sum 32 trees H128' }];

/** The forest: trees of 10..40 nodes, post-order, leaves with an input row each. */
function forest(seed: number) {
  const r = rng(seed);
  const offsets = [0];
  const children: number[] = [];
  const xRows: number[] = [];
  const roots: number[] = [];
  let inputs = 0;
  for (let t = 0; t < TREES; t++) {
    const size = 10 + Math.floor(r() * 31);
    const kids: number[][] = Array.from({ length: size }, () => []);
    for (let v = 1; v < size; v++) kids[Math.floor(r() * v)]!.push(v);
    // Post-order, iteratively: a node's index is given after its children's.
    const index = new Array<number>(size);
    const stack: [number, boolean][] = [[0, false]];
    while (stack.length > 0) {
      const [v, seen] = stack.pop()!;
      if (!seen && kids[v]!.length > 0) {
        stack.push([v, true]);
        for (const k of [...kids[v]!].reverse()) stack.push([k, false]);
        continue;
      }
      index[v] = xRows.length;
      for (const k of kids[v]!) children.push(index[k]!);
      offsets.push(children.length);
      xRows.push(kids[v]!.length === 0 ? inputs++ : -1);
    }
    roots.push(index[0]!);
  }
  return { offsets, children, xRows, roots, inputs };
}

function measureOurs(h: OursHandle, spec: SubjectSpec, ctx: MeasureContext): Measurement[] {
  const { Float32Buffer, TreeCell, Optimizer, sgd, NO_INPUT, engine } = h.lib;
  const f = forest(16);
  const nodes = f.xRows.length;
  const tree = { nodes, childOffsets: Uint32Array.from(f.offsets), children: Uint32Array.from(f.children), xRows: Uint32Array.from(f.xRows, (r) => (r < 0 ? NO_INPUT : r)), numInputs: f.inputs };
  const out: Measurement[] = [];
  for (const c of pick(CASES, ctx)) {
    const cell = new TreeCell('childSumTreeLstm', I, H);
    cell.params.write(uniform(cell.params.length, 31).map((v) => v / Math.sqrt(H)));
    const x = Float32Buffer.from(uniform(f.inputs * I, 32));
    const gh = Float32Buffer.from(uniform(nodes * H, 33).map((v) => v * 0.01));
    const gc = Float32Buffer.from(uniform(nodes * H, 34).map((v) => v * 0.01));
    const optimizer = new Optimizer(sgd({ lr: 0.01 }), [{ value: cell.params, grad: cell.grads }], engine());
    const step = (levelBatched: boolean) => () => {
      cell.grads.view().fill(0);
      cell.forward(tree, x, levelBatched);
      cell.backward(gh, gc);
      optimizer.apply(1, 0);
    };
    const base = { workload: WORKLOAD, caseId: c.id, spec, unit: UNIT, better: 'higher' as const, value: (ms: number) => nodes / (ms / 1000) };
    for (const [mode, levelBatched] of [['level-batched', true], ['node-at-a-time', false]] as const) {
      const t = measure(step(levelBatched), ctx.timing);
      out.push(record({ ...base, mode }, t, ctx));
      ctx.log(`    ${c.id} ${mode}: ${t.medianMs.toFixed(2)} ms/step = ${(nodes / (t.medianMs / 1000)).toFixed(0)} nodes/s (${nodes} nodes)`);
    }
    const torch = runTorch(f, spec.threads, ctx);
    if (torch) {
      out.push({ workload: WORKLOAD, caseId: c.id, subject: `torch-${spec.threads}t`, mode: 'node-at-a-time', unit: UNIT, better: 'higher', value: nodes / (torch.median_ms / 1000), medianMs: torch.median_ms, minMs: torch.min_ms, calls: torch.samples, samples: torch.samples, spread: 0 });
      ctx.log(`    ${c.id} PyTorch ${torch.torch} (${torch.threads} threads) node-at-a-time: ${torch.median_ms.toFixed(2)} ms/step = ${(nodes / (torch.median_ms / 1000)).toFixed(0)} nodes/s`);
    }
    for (const o of [cell, x, gh, gc, optimizer]) o.dispose();
  }
  return out;
}

interface TorchResult {
  median_ms: number;
  min_ms: number;
  samples: number;
  torch: string;
  threads: number;
}

function runTorch(f: ReturnType<typeof forest>, threads: number, ctx: MeasureContext): TorchResult | undefined {
  const python = process.env['TORCH_PYTHON'] ?? '/usr/bin/python3';
  const script = fileURLToPath(new URL('../peers/torch_tree.py', import.meta.url));
  const input = JSON.stringify({ offsets: f.offsets, children: f.children, x_rows: f.xRows, roots: f.roots, input_size: I, hidden_size: H, num_inputs: f.inputs, threads, budget_ms: ctx.timing.budgetMs, seed: 1 });
  const r = spawnSync(python, [script], { input, encoding: 'utf8', timeout: 600_000, env: torchEnv(threads) });
  if (r.status !== 0) {
    ctx.log(`    PyTorch peer not run: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

function rows(ms: Measurement[], threads: number[]): { rows: PrintedRow[]; notes: string[] } {
  const pairings: Pairing[] = [];
  for (const c of CASES) {
    for (const t of threads) {
      const o = oursSpec(t);
      const ours = { subject: o.id, mode: 'level-batched' };
      pairings.push({ variant: `${c.id} level-batched vs node-at-a-time`, caseId: c.id, threads: t, ours, peer: { subject: o.id, mode: 'node-at-a-time', label: `${subjectLabel(o)} node-at-a-time` } });
      pairings.push({ variant: `${c.id} vs PyTorch node-at-a-time`, caseId: c.id, threads: t, ours, peer: { subject: `torch-${t}t`, mode: 'node-at-a-time', label: `PyTorch ${t}T node-at-a-time` } });
    }
  }
  const notes = ms.some((m) => m.subject.startsWith('torch')) ? [] : ['trees: PyTorch was not available (no python3-torch), so its row is empty'];
  return { rows: pairRows(WORKLOAD, ms, pairings), notes };
}

export const treesWorkload: Workload = oursOnlyWorkload({
  name: WORKLOAD,
  title: `Child-Sum Tree-LSTM training, ${TREES} trees of 10-40 nodes, hidden ${H}: level-batched vs node-at-a-time, and vs PyTorch (nodes/s)`,
  caseIds: () => CASES.map((c) => c.id),
  measureOurs,
  rows,
});
