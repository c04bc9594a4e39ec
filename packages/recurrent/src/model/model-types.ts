/** The option and result types of `Model`'s API (the model itself is in `model.ts`). */
import type { Vocab } from '../data/vocab.js';
import type { Loss } from '../network/heads.js';
import type { Optimizer } from './optimizers.js';
import type { ModelState } from './state.js';

export type { SequenceBatch, TreesBatch, CheckedBatch } from '../validate/index.js';
export type { Loss, LossConfig, LossKind, Measured } from '../network/heads.js';
export type { StepResult } from '../network/step.js';

/** Options of `sequential`. */
export interface SequentialOptions {
  /** Seed of the parameter initialisation (and of dropout masks). Default `0`. */
  seed?: number;
  /** Features per step when there is no input layer (otherwise the vocabulary size decides). */
  inputSize?: number;
  /**
   * A vocabulary to keep with the model (used by `generate` with strings, and saved): a
   * `Vocab` with as many tokens as the input layer's `vocabSize` (or, for a model
   * without a token input, as its outputs). Default: none.
   */
  vocab?: Vocab;
  /** How `generate` splits a text prefix into tokens and joins the output. Default `'char'`. */
  tokenizer?: 'char' | 'word';
}

/** Options of one training step. */
export interface TrainStepOptions {
  /** A loss name, or `{ kind, ...options }` (class weights, label smoothing, Huber's delta). */
  loss: Loss;
  optimizer: Optimizer;
  /** Global-norm clipping threshold; `undefined` or `Infinity`: no clipping. */
  clipNorm?: number | undefined;
  /** Carry the final state of this batch into the next one (truncated BPTT). */
  carryState?: boolean;
  /** Start from this state instead (it receives the final state). */
  state?: ModelState;
  /**
   * Memory-saving BPTT: keep the recurrent state only every this many steps and recompute
   * the activations in between during the backward pass (unidirectional layers). The tape
   * then holds this many steps instead of the whole sequence, for about one extra forward.
   * Default `0` (keep everything).
   */
  checkpointEvery?: number;
  /** Epoch (from 1), for the learning-rate schedule. Default `1`. */
  epoch?: number;
}

/** Options of `Model.predict`. */
export interface PredictOptions {
  /** T. */
  seqLen: number;
  /** B. */
  batchSize: number;
  /** Valid steps of each sequence (B integers in [1, T]). Default: all T. */
  lengths?: ArrayLike<number>;
  /** Return log-probabilities instead of logits. Default `false`. */
  logSoftmax?: boolean;
  /** Start from this state (it receives the final state). Default: zeros. */
  state?: ModelState;
}

/** Per-layer norms of dL/dh_t: `norms[d * seqLen + t]` for direction d. */
export interface GradientFlow {
  layer: string;
  stackedLayer: number;
  directions: number;
  seqLen: number;
  norms: Float32Array;
}

/** Where `Model.findNonFinite` found the first NaN or infinity. */
export interface NonFiniteReport {
  /** The layer's module name as in parameter names (`embedding`, `rnn`, `rnn_1`, `fc`; `oneHot`). */
  layer: string;
  /** Its index in the model's layer configs. */
  index: number;
  /** `'parameters'`: one of its parameters holds the value; `'output'`: its output on the batch does. */
  where: 'parameters' | 'output';
  /** The parameter's full name (when `where` is `'parameters'`). */
  parameter?: string;
  /** Flat index of the value in the parameter or the output `[T, B, F]` (`[B, F]` when pooled). */
  offset: number;
  /** Time step of the value in the output (`undefined` for parameters and pooled outputs). */
  step?: number;
  /** Sequence of the value in the output (`undefined` for parameters). */
  sequence?: number;
  /** The value itself: NaN, Infinity or -Infinity. */
  value: number;
}
