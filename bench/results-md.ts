/**
 * Prints `results/latest.json` (+ `latest-env.json`) as Markdown, for pasting a run into
 * RESULTS.md: `node --import tsx results-md.ts [results/latest.json]`.
 */
import { readFile } from 'node:fs/promises';

import type { Row } from './lib/types.js';

const path = process.argv[2] ?? new URL('./results/latest.json', import.meta.url).pathname;
const rows = JSON.parse(await readFile(path, 'utf8')) as Row[];
const env = JSON.parse(await readFile(path.replace(/\.json$/, '-env.json'), 'utf8')) as {
  date: string;
  durationS: number;
  node: string;
  cpu: string;
  logicalCpus: number;
  subjects: Record<string, Record<string, unknown>>;
  notes: string[];
};
const fmt = (v: number | null): string => {
  if (v === null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
};
console.log(`Run of ${env.date}: node ${env.node}, ${env.cpu}, ${env.logicalCpus} logical CPUs, ${Math.round(env.durationS)} s in all.\n`);
console.log('| workload | variant | threads | unit | ours | vs peer | peer | ratio |');
console.log('| --- | --- | ---: | --- | ---: | --- | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.workload} | ${r.variant} | ${r.threads} | ${r.unit} | ${fmt(r.ours)} | ${r.peer} | ${fmt(r.peerValue)} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`} |`);
}
console.log('\nEngines as they reported themselves:\n');
for (const [id, info] of Object.entries(env.subjects)) {
  console.log(`- \`${id}\`: ${Object.entries(info).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
}
if (env.notes.length) {
  console.log('\nNotes of the run:\n');
  for (const n of env.notes) console.log(`- ${n}`);
}
