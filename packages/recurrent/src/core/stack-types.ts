/**
 * The option and result types of {@link RecurrentStack} (`stack.ts`): what a stack is made
 * from, what its forward and backward take and give.
 */
import type { CellKind } from './cell-kinds.js';
import type { RecurrentStack } from './stack.js';

/** Options of {@link RecurrentStack}. */
export interface RecurrentStackOptions {
  /** Cell kind. */
  kind: CellKind;
  /** Features per step of the input. */
  inputSize: number;
  /** Features of the state of each direction. */
  hiddenSize: number;
  /** Stacked layers; layer l+1 reads layer l's output. Default `1`. */
  layers?: number;
  /** Run a reverse direction too and concatenate both per step. Default `false`. */
  bidirectional?: boolean;
  /**
   * Give every layer and direction the biases `bias_ih`, `bias_hh` (PyTorch `bias`). With
   * `false` the stack has no bias tensors at all (not zeros that train). Default `true`.
   */
  bias?: boolean;
  /**
   * LSTM kinds only: project each state to `projSize` features (PyTorch `proj_size`):
   * `h_t = W_hr (o_t * tanh(c_t))` with `weight_hr_l{k}` `[projSize, hiddenSize]`. `h`, the
   * output per direction and the next layer's input are then `projSize` wide; `c` stays
   * `hiddenSize` wide. An integer with `1 <= projSize < hiddenSize`. Default: no projection.
   */
  projSize?: number;
  /**
   * Skip connection through time (plain RNN kinds only): every step also adds
   * `W_skip h_{s-skip}` (`weight_skip_l{k}`, `[H, H]`), with the initial state standing for every
   * state before the first step. An integer in [2, 4096]; default: none.
   */
  skip?: number;
}

/** One parameter tensor: PyTorch name, shape, and where it sits in the flat buffer. */
export interface ParameterInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Memory order of sequence tensors: `[T, B, F]` (`time-major`) or `[B, T, F]`. */
export type SequenceLayout = 'time-major' | 'batch-major';

/** Options of {@link RecurrentStack.forward}. */
export interface StackForwardOptions {
  /** Steps T. */
  seqLen: number;
  /** Sequences B. */
  batch: number;
  /** Layout of `x` and `y`. Default `'time-major'`. */
  layout?: SequenceLayout;
  /** Valid length of each sequence (B integers in [1, T]); padded outputs are zero. Default: all T. */
  lengths?: ArrayLike<number>;
  /** Initial states `[L*D, B, H]`. Default zeros. */
  h0?: Float32Array;
  /** Initial cells `[L*D, B, H]` (LSTM family). Default zeros. */
  c0?: Float32Array;
  /** Record what {@link RecurrentStack.backward} needs. Default `false`. */
  training?: boolean;
}

/** What {@link RecurrentStack.forward} returns (copies). */
export interface StackForwardResult {
  /** Last layer's output `[T, B, D*H]` (or batch-major), forward direction first. */
  y: Float32Array;
  /** Final states `[L*D, B, H]`. */
  hN: Float32Array;
  /** Final cells `[L*D, B, H]` (LSTM family only). */
  cN?: Float32Array;
}

/** Options of {@link RecurrentStack.backward}. */
export interface StackBackwardOptions {
  /** dL/dy, shaped like `y`. */
  gy: Float32Array;
  /** dL/dh_n `[L*D, B, H]`. Default zeros. */
  ghn?: Float32Array;
  /** dL/dc_n `[L*D, B, H]` (LSTM family). Default zeros. */
  gcn?: Float32Array;
  /** Return dL/dx. Default `true`. */
  inputGradient?: boolean;
  /** Return dL/dh0 (and dL/dc0). Default `false`. */
  stateGradient?: boolean;
  /**
   * Return the per-step gradient norms `stepNorms` `[L, D, T]`: how strongly the loss
   * reaches each step's state, i.e. whether gradients vanish or explode through time.
   * Default `false` (then they cost nothing).
   */
  stepNorms?: boolean;
}

/**
 * Shape of {@link StackBackwardResult.stepNorms}: `[layers, directions, seqLen]`, row-major,
 * so the norm for layer `l`, direction `d` (0 forward, 1 reverse) and step `t` (natural time
 * order for both directions) is at `(l * directions + d) * seqLen + t`.
 */
export type StepNormsShape = readonly [layers: number, directions: number, seqLen: number];

/** What {@link RecurrentStack.backward} returns; parameter gradients accumulate in the stack. */
export interface StackBackwardResult {
  gx?: Float32Array;
  gh0?: Float32Array;
  gc0?: Float32Array;
  /**
   * With `stepNorms: true`: `[L, D, T]` (see {@link StepNormsShape}), the L2 norm over the
   * batch and hidden units of dL/dh_t, the total gradient reaching the state h_t of that
   * layer and direction (through the step's output, and through the next step the direction
   * processes or dL/dh_n at its last), taken just before BPTT sends it back through the cell
   * of step t. Only `h` is measured (not the LSTM cell state); padded steps of a
   * variable-length batch contribute nothing (0 where every sequence is padded). Computed in
   * f32 like the gradients, summed in f64; identical for any thread count.
   */
  stepNorms?: Float32Array;
  /** `[L, D, T]` of `stepNorms`, when returned. */
  stepNormsShape?: StepNormsShape;
}

