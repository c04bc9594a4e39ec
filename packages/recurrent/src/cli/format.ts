/** Text formatting shared by the commands: numbers, sizes, durations, layer summaries. */
import type { LayerConfig } from '../model/layers.js';

/** `1234567` as `1,234,567`. */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as `812 B`, `12.3 kB`, `1.20 MB`. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Seconds as `42s`, `3m 05s`, `1h 02m`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A number with `digits` significant digits, without exponent for everyday sizes. */
export function sig(n: number, digits = 4): string {
  if (!Number.isFinite(n)) return String(n);
  return Number(n.toPrecision(digits)).toString();
}

/** One layer as a short phrase: `lstm(256, 2 layers, peephole)`. */
export function layerSummary(c: LayerConfig): string {
  switch (c.type) {
    case 'embedding':
      return `embedding(${c.vocabSize} -> ${c.dim})`;
    case 'oneHot':
      return `one-hot(${c.vocabSize})`;
    case 'dense':
      return c.activation && c.activation !== 'linear' ? `dense(${c.units}, ${c.activation})` : `dense(${c.units})`;
    case 'dropout':
      return `dropout(${c.rate})`;
    case 'layerNorm':
      return 'layer-norm';
    case 'treeRnn':
    case 'childSumTreeLstm':
    case 'naryTreeLstm':
      return `${c.type}(${c.units}, ${c.vocab.length} words${(c.embeddingSize ?? c.units) !== c.units ? `, embedding ${c.embeddingSize}` : ''})`;
    default: {
      const parts = [String(c.units)];
      if ((c.layers ?? 1) > 1) parts.push(`${c.layers} layers`);
      if (c.bidirectional) parts.push('bidirectional');
      if (c.type === 'lstm' && c.variant && c.variant !== 'standard') parts.push(c.variant);
      if (c.type === 'lstm' && c.forgetBias !== undefined) parts.push(`forget bias ${c.forgetBias}`);
      if (c.type === 'lstm' && c.projSize) parts.push(`projection ${c.projSize}`);
      if (c.type === 'gru' && c.resetAfter === false) parts.push('reset before');
      if (c.type === 'rnn' && c.nonlinearity === 'relu') parts.push('relu');
      if (c.type === 'rnn' && c.residual) parts.push('residual');
      if (c.type === 'rnn' && c.leak !== undefined) parts.push(c.leak === 'learn' ? 'leak learned' : 'leaky');
      if (c.dropout) parts.push(`dropout ${c.dropout}`);
      if (c.output && c.output !== 'sequence') parts.push(`output ${c.output}`);
      return `${c.type}(${parts.join(', ')})`;
    }
  }
}

/** The whole stack: `one-hot(28) -> lstm(256) -> dense(28)`. */
export function modelSummary(layers: readonly LayerConfig[]): string {
  return layers.map(layerSummary).join(' -> ');
}
