/**
 * The source notes' lesson on vanishing gradients, measured: an RNN, a leaky RNN, a GRU and an
 * LSTM of the same size read the same batch of T characters and predict the character after
 * the last one. The loss sits at the last step only, so the gradient reaching the state h_t
 * has come back through T-1-t steps of the recurrence; `gradientFlow` returns its norm
 * ||dL/dh_t|| for every t. Through tanh and small recurrent weights it shrinks geometrically;
 * leaky units (h_t = a h_{t-1} + (1 - a) tanh(...), a close to 1) and the gates' additive paths
 * (and an LSTM forget gate biased open) let it through.
 */
import { adam, dense, gru, lstm, oneHot, randomBatches, rnn, type Batch, type LayerConfig, type SequenceBatch } from 'recurrent';
import type { RecurrentWorker } from 'recurrent/worker';

import type { CellKind } from './settings.js';
import type { Corpus } from './trainer.js';

/** The models compared: the playground's cells and the leaky RNN (`rnn({ leak })`). */
export type FlowCell = CellKind | 'leaky';

export interface FlowSettings {
  /** Steps T of the batch. */
  seqLen: number;
  hidden: number;
  /** Initial LSTM forget-gate bias; `null`: PyTorch's default init. */
  forgetBias: number | null;
  /** The leaky RNN's rate `a` of every unit, or `'learn'` (a = sigmoid of a learned logit). */
  leak: number | 'learn';
  /** Training steps on the same task before measuring (0: measure at initialisation). */
  warmup: number;
  seed: number;
}

export interface FlowCurve {
  cell: FlowCell;
  /** ||dL/dh_t|| for t = 0 .. T-1. */
  norms: Float32Array;
  /** Loss on the measured batch. */
  loss: number;
  milliseconds: number;
}

export const FLOW_BATCH = 16;
export const FLOW_CELLS: readonly FlowCell[] = ['rnn', 'leaky', 'gru', 'lstm'];
export const FLOW_NAMES: Record<FlowCell, string> = { rnn: 'RNN', leaky: 'Leaky RNN', gru: 'GRU', lstm: 'LSTM' };

/** A language-model batch turned into "read T characters, predict the next one": y is `[B]`. */
export function lastStepBatch(b: Batch): SequenceBatch {
  const { seqLen: T, batchSize: B } = b;
  return { x: b.x, y: b.y.slice((T - 1) * B, T * B), seqLen: T, batchSize: B };
}

function layersFor(cell: FlowCell, s: FlowSettings, vocabSize: number): LayerConfig[] {
  const common = { units: s.hidden, output: 'last' as const };
  const recurrent =
    cell === 'rnn'
      ? rnn(common)
      : cell === 'leaky'
        ? rnn({ ...common, leak: s.leak })
        : cell === 'gru'
          ? gru(common)
          : lstm({ ...common, ...(s.forgetBias !== null ? { forgetBias: s.forgetBias } : {}) });
  return [oneHot({ vocabSize }), recurrent, dense({ units: vocabSize })];
}

/** Measures the four models on one batch, each from the same seed; calls `onCurve` as each is done. */
export async function compareGradientFlow(remote: RecurrentWorker, corpus: Corpus, s: FlowSettings, onCurve: (curve: FlowCurve) => void): Promise<FlowCurve[]> {
  const probe = randomBatches(corpus.ids, { batchSize: FLOW_BATCH, seqLen: s.seqLen, seed: s.seed }).next().value;
  if (!probe) throw new Error('the book is too short for one batch of this length');
  const batch = lastStepBatch(probe);
  const warmup: SequenceBatch[] = [];
  if (s.warmup > 0) {
    for (const b of randomBatches(corpus.ids, { batchSize: FLOW_BATCH, seqLen: s.seqLen, seed: s.seed + 1 })) {
      warmup.push(lastStepBatch(b));
      if (warmup.length >= s.warmup) break;
    }
  }
  const curves: FlowCurve[] = [];
  for (const cell of FLOW_CELLS) {
    const started = performance.now();
    const model = await remote.sequential(layersFor(cell, s, corpus.vocab.size), { seed: s.seed });
    try {
      if (warmup.length > 0) await model.fit({ batches: warmup }, { epochs: 1, optimizer: adam({ lr: 0.01 }), clipNorm: 1 });
      const [flow] = await model.gradientFlow(batch);
      const { loss } = await model.evaluate(batch);
      if (!flow) throw new Error('gradientFlow returned no curve');
      const curve: FlowCurve = { cell, norms: flow.norms, loss, milliseconds: performance.now() - started };
      curves.push(curve);
      onCurve(curve);
    } finally {
      await model.dispose();
    }
  }
  return curves;
}

/** How many times smaller the gradient at t = 0 is than at the last step. */
export function attenuation(norms: Float32Array): number {
  const last = norms[norms.length - 1] ?? 0;
  const first = norms[0] ?? 0;
  return first > 0 ? last / first : Infinity;
}
