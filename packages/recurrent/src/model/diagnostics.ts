/**
 * Diagnostics over a model's network, changing nothing: the per-step gradient norms that show
 * vanishing and exploding gradients (`gradientFlow`), and the first layer whose parameters or
 * output hold a NaN or infinity (`findNonFinite`).
 */
import { inputOf, type LossHead, runLoss } from '../network/heads.js';
import type { Activation } from '../network/layer.js';
import type { Network } from '../network/network.js';
import type { Param } from './param.js';
import type { CheckedBatch } from '../validate/index.js';
import type { GradientFlow, NonFiniteReport } from './model-types.js';

/** Norms of dL/dh_t for every step, per recurrent layer and stacked layer, on one batch (no update). */
export function gradientFlow(network: Network, head: LossHead, batch: CheckedBatch): GradientFlow[] {
  const T = batch.seqLen;
  const recurrent = network.recurrent;
  const buffers = recurrent.map((r) => Array.from({ length: r.layers }, (_, l) => network.ws.get(`${r.name}.flow${l}`, r.directions * T)));
  network.zeroGrad();
  // A training pass (dropout with seed 0), as the curve is meant to show training's gradients.
  const pass = network.pass({ seqLen: T, batch: batch.batchSize, lengths: batch.lengths, training: true, flow: buffers });
  runLoss(network, head, pass, inputOf(batch), batch.targets!, true, batch.weights);
  return recurrent.flatMap((r, i) =>
    Array.from({ length: r.layers }, (_, l) => ({ layer: r.name, stackedLayer: l, directions: r.directions, seqLen: T, norms: buffers[i]![l]!.view().slice(0, r.directions * T) })),
  );
}

/**
 * Runs the batch forward (inference: no dropout, zero initial state) layer by layer and
 * reports the first layer, in order, whose parameters or output hold a NaN or infinity.
 * Layers a config implies (pooling) are reported under the next one.
 */
export function findNonFinite(network: Network, batch: CheckedBatch): NonFiniteReport | undefined {
  const pass = network.pass({ seqLen: batch.seqLen, batch: batch.batchSize, lengths: batch.lengths, scores: 'logits' });
  const firstBad = (v: Float32Array): number => v.findIndex((x) => !Number.isFinite(x));
  const inParams = (layer: string, index: number, params: readonly Param[]): NonFiniteReport | undefined => {
    for (const q of params) {
      const v = q.read();
      const i = firstBad(v);
      if (i >= 0) return { layer, index, where: 'parameters', parameter: q.name, offset: i, value: v[i]! };
    }
    return undefined;
  };
  const inOutput = (layer: string, index: number, a: Activation): NonFiniteReport | undefined => {
    const v = a.data.view().subarray(0, a.rows * a.width);
    const i = firstBad(v);
    if (i < 0) return undefined;
    const row = Math.floor(i / a.width);
    const where = a.perStep ? { step: Math.floor(row / batch.batchSize), sequence: row % batch.batchSize } : { sequence: row };
    return { layer, index, where: 'output', offset: i, ...where, value: v[i]! };
  };
  const entry = network.entry;
  const input = inputOf(batch);
  if (entry.configIndex !== undefined) {
    const bad = inParams(entry.name, entry.configIndex, entry.params);
    if (bad) return bad;
  }
  let a = entry.forward(pass, input);
  if (entry.configIndex !== undefined) {
    const out = inOutput(entry.name, entry.configIndex, a);
    if (out) return out;
  }
  for (const layer of network.layers) {
    if (layer.configIndex !== undefined) {
      const bad = inParams(layer.name, layer.configIndex, layer.params);
      if (bad) return bad;
    }
    a = layer.forward(pass, a);
    if (layer.configIndex !== undefined) {
      const out = inOutput(layer.name, layer.configIndex, a);
      if (out) return out;
    }
  }
  return undefined;
}
