/** The printed table, and `results/latest.json` (rows) plus `results/latest-env.json`. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { PrintedRow, Row } from './types.js';

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

const fmtRatio = (r: number | null): string => (r === null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}x`);

/** A plain-text table, one block per workload. `ratio > 1` means ours is better. */
export function formatTable(rows: readonly PrintedRow[]): string {
  const header = ['workload', 'variant', 'thr', 'unit', 'ours', 'vs peer', 'peer', 'ratio', 'note'];
  const body = rows.map((r) => [
    r.workload,
    r.variant,
    String(r.threads),
    r.unit,
    fmt(r.ours),
    r.peer,
    fmt(r.peerValue),
    fmtRatio(r.ratio),
    r.note ?? '',
  ]);
  const right = new Set([2, 4, 6, 7]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (let i = 0; i < body.length; i++) {
    const w = rows[i]?.workload ?? '';
    if (last && w !== last) out.push('');
    last = w;
    out.push(line(body[i] ?? []));
  }
  return out.join('\n');
}

/** Only the fields of {@link Row}, in a fixed order (the table's notes stay out). */
export function toRow(r: PrintedRow): Row {
  return {
    workload: r.workload,
    variant: r.variant,
    threads: r.threads,
    unit: r.unit,
    ours: r.ours,
    peer: r.peer,
    peerValue: r.peerValue,
    ratio: r.ratio,
  };
}

/** Writes through a `.tmp` file and a rename, so a reader never sees half a file. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
