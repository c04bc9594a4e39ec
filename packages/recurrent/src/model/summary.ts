/**
 * `model.summary()`: the layers, their output shapes and parameter counts, as Keras prints
 * them. Shapes are batch-major, `(batch, steps, features)` per step or `(batch, features)`
 * after pooling, whatever the layout the model computes in.
 */
import type { Network } from '../network/network.js';
import { TREE_LAYER_TYPES } from './layers.js';

/** The table for `network` (`frozen` modules count as non-trainable). */
export function summarize(network: Network): string {
  const rows: [string, string, string][] = [['Layer (type)', 'Output shape', 'Param #']];
  let pooled = false;
  let [total, trainable] = [0, 0];
  const modules = network.modules;
  modules.forEach((m, i) => {
    // After pooling, or out of a tree encoder (one root state per tree), a row per example.
    if (m.type === 'pool' || (TREE_LAYER_TYPES as readonly string[]).includes(m.type)) pooled = true;
    if (m.type === 'activation') return; // shown with its dense layer
    const params = m.params.reduce((n, p) => n + p.size, 0);
    total += params;
    const frozen = m.configIndex !== undefined && network.frozen.has(m.configIndex);
    if (!frozen) trainable += params;
    const next = modules[i + 1];
    const act = next?.type === 'activation' ? `, ${next.name.slice(m.name.length + 1)}` : '';
    const shape = pooled ? `(batch, ${m.outputSize})` : `(batch, steps, ${m.outputSize})`;
    rows.push([`${m.name} (${m.type}${act}${frozen ? ', frozen' : ''})`, shape, String(params)]);
  });
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`;
  const rule = '-'.repeat(widths[0]! + widths[1]! + widths[2]! + 4);
  return [line(rows[0]!), rule, ...rows.slice(1).map(line), rule, `Total params: ${total}`, `Trainable params: ${trainable}`, `Non-trainable params: ${total - trainable}`].join('\n');
}
