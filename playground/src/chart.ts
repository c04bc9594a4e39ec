/**
 * A small hand-written SVG line chart: a few series of (x, y) points on linear x and linear
 * or log-10 y axes, with ticks, axis labels and a legend. Redraws at most once per frame, so
 * it can be fed a point per training batch.
 */
import { short, svg } from './dom.js';

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [x: number, y: number])[];
  /** A dot at every point (with `labels`, a tooltip on each). Default `false`. */
  dots?: boolean;
  /** Tooltips of the dots, one per point. */
  labels?: readonly string[];
  /** Line width; `0` draws the dots only. Default `2`. */
  width?: number;
  /** Opacity of the line. Default `1`. */
  opacity?: number;
}

export interface ChartOptions {
  xLabel: string;
  yLabel: string;
  /** Log-10 y axis (points with y <= 0 are left out). Default `false`. */
  logY?: boolean;
  /** Start a linear y axis at 0. Default `false`. */
  yFromZero?: boolean;
  /** What the empty chart says. */
  empty?: string;
  /** Corner of the legend (drawn when there are two series or more). Default `'right'` (top right). */
  legend?: 'left' | 'right';
  /** Size of the drawing in SVG units (it scales to its box). Default 720 x 300. */
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 16, top: 14, bottom: 44 };

/** A chart drawn into an `<svg>` appended to `parent`. */
export class LineChart {
  readonly element: SVGSVGElement;
  readonly #options: ChartOptions;
  readonly #width: number;
  readonly #height: number;
  #series: readonly Series[] = [];
  #frame = 0;

  constructor(parent: HTMLElement, options: ChartOptions) {
    this.#options = options;
    this.#width = options.width ?? 720;
    this.#height = options.height ?? 300;
    this.element = svg('svg', { viewBox: `0 0 ${this.#width} ${this.#height}`, class: 'chart', role: 'img' });
    parent.append(this.element);
    this.render();
  }

  /** Replaces the series and redraws on the next frame. */
  set(series: readonly Series[]): void {
    this.#series = series;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.render();
    });
  }

  /** Redraws now. */
  render(): void {
    const { logY = false } = this.#options;
    const root = this.element;
    root.replaceChildren();
    const series = this.#series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0)) }));
    const all = series.flatMap((s) => s.points);
    // The count the test (and a curious reader) can check: points of the first series.
    root.dataset['points'] = String(series[0]?.points.length ?? 0);
    root.dataset['series'] = String(series.filter((s) => s.points.length > 0).length);
    const plot = { x0: MARGIN.left, x1: this.#width - MARGIN.right, y0: MARGIN.top, y1: this.#height - MARGIN.bottom };
    root.append(svg('rect', { x: plot.x0, y: plot.y0, width: plot.x1 - plot.x0, height: plot.y1 - plot.y0, class: 'plot-area' }));
    this.#axisLabels(plot);
    if (all.length === 0) {
      root.append(svg('text', { x: (plot.x0 + plot.x1) / 2, y: (plot.y0 + plot.y1) / 2, class: 'empty', 'text-anchor': 'middle' }, this.#options.empty ?? 'no data yet'));
      return;
    }

    // Domains.
    let [xMin, xMax] = extent(all.map((p) => p[0]));
    if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
    const ys = all.map((p) => (logY ? Math.log10(p[1]) : p[1]));
    let [yMin, yMax] = extent(ys);
    if (logY) {
      yMin = Math.floor(yMin);
      yMax = Math.ceil(yMax);
      if (yMin === yMax) yMax = yMin + 1;
    } else {
      if (this.#options.yFromZero) yMin = Math.min(0, yMin);
      if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
      const step = niceStep((yMax - yMin) / 5);
      yMin = Math.floor(yMin / step) * step;
      yMax = Math.ceil(yMax / step) * step;
    }
    const sx = (x: number) => plot.x0 + ((x - xMin) / (xMax - xMin)) * (plot.x1 - plot.x0);
    const sy = (y: number) => plot.y1 - (((logY ? Math.log10(y) : y) - yMin) / (yMax - yMin)) * (plot.y1 - plot.y0);

    // Grid and ticks.
    const grid = svg('g', { class: 'grid' });
    const labels = svg('g', { class: 'ticks' });
    for (const x of linearTicks(xMin, xMax, 6)) {
      grid.append(svg('line', { x1: sx(x), x2: sx(x), y1: plot.y0, y2: plot.y1 }));
      labels.append(svg('text', { x: sx(x), y: plot.y1 + 16, 'text-anchor': 'middle' }, short(x)));
    }
    if (logY) {
      const decades = yMax - yMin;
      const every = Math.max(1, Math.ceil(decades / 8));
      for (let d = yMin; d <= yMax; d++) {
        const y = plot.y1 - ((d - yMin) / (yMax - yMin)) * (plot.y1 - plot.y0);
        grid.append(svg('line', { x1: plot.x0, x2: plot.x1, y1: y, y2: y, class: (d - yMin) % every === 0 ? '' : 'minor' }));
        if ((d - yMin) % every === 0) labels.append(svg('text', { x: plot.x0 - 8, y: y + 4, 'text-anchor': 'end' }, powerOfTen(d)));
      }
    } else {
      for (const y of linearTicks(yMin, yMax, 5)) {
        grid.append(svg('line', { x1: plot.x0, x2: plot.x1, y1: sy(y), y2: sy(y) }));
        labels.append(svg('text', { x: plot.x0 - 8, y: sy(y) + 4, 'text-anchor': 'end' }, short(y)));
      }
    }
    root.append(grid, labels);

    // Series.
    for (const s of series) {
      if (s.points.length === 0) continue;
      const g = svg('g', { class: 'series' });
      const width = s.width ?? 2;
      if (width > 0 && s.points.length > 1) {
        const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
        g.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': width, 'stroke-opacity': s.opacity ?? 1, 'stroke-linejoin': 'round' }));
      }
      if (s.dots) {
        s.points.forEach(([x, y], i) => {
          const dot = svg('circle', { cx: sx(x), cy: sy(y), r: 3.5, fill: s.color, class: 'dot' });
          const label = s.labels?.[i];
          if (label) dot.append(svg('title', {}, label));
          g.append(dot);
        });
      }
      root.append(g);
    }
    this.#legend(plot, series);
  }

  #axisLabels(plot: { x0: number; x1: number; y0: number; y1: number }): void {
    const midY = (plot.y0 + plot.y1) / 2;
    this.element.append(
      svg('text', { x: (plot.x0 + plot.x1) / 2, y: this.#height - 6, class: 'axis-label', 'text-anchor': 'middle' }, this.#options.xLabel),
      svg('text', { x: 14, y: midY, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 14 ${midY})` }, this.#options.yLabel),
    );
  }

  #legend(plot: { x0: number; x1: number; y0: number }, series: readonly Series[]): void {
    const shown = series.filter((s) => s.points.length > 0);
    if (shown.length < 2) return;
    const g = svg('g', { class: 'legend' });
    const rowHeight = 18;
    const boxWidth = 10 + Math.max(...shown.map((s) => s.name.length)) * 7 + 34;
    const x = this.#options.legend === 'left' ? plot.x0 + 8 : plot.x1 - boxWidth - 8;
    g.append(svg('rect', { x, y: plot.y0 + 8, width: boxWidth, height: shown.length * rowHeight + 8, rx: 4, class: 'legend-box' }));
    shown.forEach((s, i) => {
      const y = plot.y0 + 8 + 4 + rowHeight * i + rowHeight / 2;
      g.append(
        svg('line', { x1: x + 8, x2: x + 30, y1: y, y2: y, stroke: s.color, 'stroke-width': 3, 'stroke-opacity': Math.max(s.opacity ?? 1, 0.6) }),
        svg('text', { x: x + 36, y: y + 4 }, s.name),
      );
    });
    this.element.append(g);
  }
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** 1, 2 or 5 times a power of ten, near `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/** About `count` round ticks in [lo, hi]. */
function linearTicks(lo: number, hi: number, count: number): number[] {
  const step = niceStep((hi - lo) / count);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** `-5` -> `10⁻⁵`; `0` -> `1`; `1` -> `10`. */
function powerOfTen(exponent: number): string {
  if (exponent === 0) return '1';
  if (exponent === 1) return '10';
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}
