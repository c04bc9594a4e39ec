/**
 * A line chart of perplexity per epoch as a standalone SVG document, written by hand (no
 * dependency): axes with round-number ticks, the curve, a dot and label per point.
 */

export interface PlotPoint {
  /** Epochs of training done at this point (fractional for an epoch cut short). */
  epoch: number;
  perplexity: number;
  /** Measured on an epoch cut short (drawn as an open circle). */
  partial?: boolean;
}

export interface PlotOptions {
  title: string;
  subtitle?: string;
}

const W = 640;
const H = 400;
const M = { left: 64, right: 24, top: 64, bottom: 52 };

/** About `count` round steps (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): { lo: number; hi: number; step: number } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return { lo: Math.floor(lo / step + 1e-9) * step, hi: Math.ceil(hi / step - 1e-9) * step, step };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

/** The SVG text of the chart. */
export function perplexitySvg(points: readonly PlotPoint[], options: PlotOptions): string {
  const pts = points.filter((p) => Number.isFinite(p.perplexity) && Number.isFinite(p.epoch));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const maxEpoch = Math.max(1, ...pts.map((p) => p.epoch));
  const xt = niceTicks(0, Math.ceil(maxEpoch), Math.min(10, Math.ceil(maxEpoch)));
  const xStep = Math.max(1, xt.step);
  const xHi = Math.max(xStep, Math.ceil(maxEpoch / xStep) * xStep);
  const ys = pts.map((p) => p.perplexity);
  const yt = niceTicks(ys.length ? Math.max(0, Math.min(...ys)) : 0, ys.length ? Math.max(...ys) : 30, 6);
  const x = (e: number) => M.left + (e / xHi) * plotW;
  const y = (v: number) => M.top + plotH - ((v - yt.lo) / (yt.hi - yt.lo)) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`);
  out.push(`<title>${esc(options.title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="600" fill="#111">${esc(options.title)}</text>`);
  if (options.subtitle) out.push(`<text x="${M.left}" y="42" fill="#555">${esc(options.subtitle)}</text>`);
  // Grid and y ticks.
  for (let v = yt.lo, i = 0; v <= yt.hi + yt.step * 1e-6 && i < 50; v += yt.step, i++) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#444">${fmt(v)}</text>`);
  }
  // x ticks.
  for (let e = 0, i = 0; e <= xHi + 1e-9 && i < 50; e += xStep, i++) {
    const xx = x(e).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top + plotH}" y2="${M.top + plotH + 5}" stroke="#444"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 18}" text-anchor="middle" fill="#444">${fmt(e)}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#444"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#444"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 10}" text-anchor="middle" fill="#222">epoch</text>`);
  out.push(`<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">training perplexity</text>`);
  if (pts.length === 0) {
    out.push(`<text x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle" fill="#888">no epoch finished</text>`);
  } else {
    const path = pts.map((p) => `${x(p.epoch).toFixed(1)},${y(p.perplexity).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${path}" fill="none" stroke="#2563eb" stroke-width="2" stroke-linejoin="round"/>`);
    const labelEvery = Math.ceil(pts.length / 12);
    pts.forEach((p, i) => {
      const cx = x(p.epoch).toFixed(1);
      const cy = y(p.perplexity).toFixed(1);
      const fill = p.partial ? 'fill="#ffffff" stroke="#2563eb" stroke-width="1.5"' : 'fill="#2563eb"';
      const note = p.partial ? ' (epoch cut short)' : '';
      out.push(`<circle cx="${cx}" cy="${cy}" r="3.5" ${fill}><title>epoch ${fmt(p.epoch)}: perplexity ${p.perplexity.toFixed(3)}${note}</title></circle>`);
      if (i % labelEvery === 0 || i === pts.length - 1) {
        out.push(`<text x="${cx}" y="${(Number(cy) - 9).toFixed(1)}" text-anchor="middle" font-size="10" fill="#1e3a8a">${p.perplexity.toFixed(2)}</text>`);
      }
    });
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
