/** The fixed shapes and seeds of the model workloads (docs/ARCHITECTURE.md, "Benchmarks: W1, W2, W3"), in one place. */

/** W1: char LM training. */
export const W1 = { vocab: 28, hidden: 256, batch: 32, seqLen: 35, lr: 1, clipNorm: 1 } as const;
export const W1_KINDS = ['lstm', 'gru', 'rnn'] as const;
export type W1Kind = (typeof W1_KINDS)[number];

/** W2: batch-1 streaming steps. */
export const W2_CASES = [
  { id: 'lstm h256', input: 28, hidden: 256 },
  { id: 'lstm h512', input: 28, hidden: 512 },
] as const;
export const W2_SEED = 7100;
/** Timed steps per case (each timed alone; the figure is their median). */
export const W2_STEPS = 2000;
export const W2_WARMUP = 200;

/** W3: 2-layer bidirectional LSTM encoder, forward only. */
export const W3_SHAPE = { inputSize: 64, hiddenSize: 256, layers: 2, bidirectional: true } as const;
export const W3 = { batch: 64, seqLen: 100 } as const;
export const W3_SEED = 7300;
