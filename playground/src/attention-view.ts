/**
 * The attention heat map: one row per output character, one column per source character,
 * each cell shaded by the weight the decoder gave that source character when it produced that
 * output character (a small SVG; every row sums to 1).
 */
import { svg } from './dom.js';

const CELL = 18;
const LEFT = 26;
const TOP = 64;

/** Draws `weights` (`[output][source]`) into `box`, replacing what was there. */
export function drawAttention(box: HTMLElement, source: string, output: string, weights: readonly (readonly number[])[]): SVGSVGElement {
  const cols = [...source];
  const rows = [...output];
  const width = LEFT + cols.length * CELL + 8;
  const height = TOP + rows.length * CELL + 8;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'attention-map', role: 'img', 'aria-label': `attention of ${output} over ${source}` });
  cols.forEach((c, s) => {
    const x = LEFT + s * CELL + CELL / 2;
    root.append(svg('text', { x, y: TOP - 6, transform: `rotate(-60 ${x} ${TOP - 6})`, class: 'attention-label' }, c === ' ' ? '␣' : c));
  });
  rows.forEach((c, t) => {
    root.append(svg('text', { x: LEFT - 8, y: TOP + t * CELL + CELL * 0.7, 'text-anchor': 'end', class: 'attention-label' }, c));
    cols.forEach((_, s) => {
      const w = weights[t]?.[s] ?? 0;
      const cell = svg('rect', { x: LEFT + s * CELL, y: TOP + t * CELL, width: CELL - 1, height: CELL - 1, fill: '#2f6fde', 'fill-opacity': Math.max(0.04, w).toFixed(3), 'data-weight': w.toFixed(4), class: 'attention-cell' });
      cell.append(svg('title', {}, `${c} <- "${cols[s]}": ${(100 * w).toFixed(1)}%`));
      root.append(cell);
    });
  });
  box.replaceChildren(root);
  return root;
}
