/**
 * Layer configurations for {@link sequential}: plain objects made by small factories, each
 * option documented with its default. A model is: an optional input layer (`embedding` or
 * `oneHot`, for token ids), one or more recurrent layers (`rnn`, `gru`, `lstm`), then any
 * number of `dense` (with an `activation`), `dropout` and `layerNorm` layers.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkInt, checkSkip, checkNumber, checkObject, checkOneOf, checkOptionalBoolean, checkOptionalName, checkKnownKeys, checkRange } from '../validate/index.js';
import type { CellKind } from '../core/stack.js';
import { gateBlock, kindOfVariant, variantOptions, type VariantOption } from '../core/cell-kinds.js';
import { checkProjSize } from '../core/proj-size.js';
import { Vocab } from '../data/vocab.js';
import { checkLeak } from './leak.js';
import { OTHER_NAMES } from './option-names.js';

/** Token ids to learned vectors (PyTorch `nn.Embedding`, weight `[vocabSize, dim]`). */
export interface EmbeddingConfig {
  readonly type: 'embedding';
  /** Number of token ids. */
  readonly vocabSize: number;
  /** Size of each vector. */
  readonly dim: number;
  /** Module name in parameter names (`<name>.weight`). Default `'embedding'`. */
  readonly name?: string;
  /** Whether training updates its parameters (`false`: frozen, as Keras' `trainable` and PyTorch's `requires_grad_(False)`). Default `true`. */
  readonly trainable?: boolean;
}

/** Token ids to one-hot vectors of size `vocabSize` (no parameters), as in d2l's char models. */
export interface OneHotConfig {
  readonly type: 'oneHot';
  readonly vocabSize: number;
}

/** What the last recurrent layer hands to the next: every step, or one vector per sequence. */
export type RecurrentOutput = 'sequence' | 'last' | 'mean';

/** Options shared by `rnn`, `gru` and `lstm`. */
export interface RecurrentCommon {
  /** Hidden size H of each direction. */
  readonly units: number;
  /** Stacked layers. Default `1`. */
  readonly layers?: number;
  /** Add a reverse direction; outputs are concatenated per step. Default `false`. */
  readonly bidirectional?: boolean;
  /** Dropout probability between stacked layers while training (PyTorch's `dropout`). Default `0`. */
  readonly dropout?: number;
  /**
   * Variational dropout of each stacked layer's input `x_t` while training (Keras `dropout`,
   * Gal & Ghahramani 2016): one mask per sequence and input feature, the SAME at every step,
   * shared by both directions, kept values scaled by `1 / (1 - p)`; identity in inference and
   * streaming. Masks come from the model's seeded dropout stream, so runs are reproducible,
   * and BPTT applies the same masks. In [0, 1). Default `0`.
   */
  readonly inputDropout?: number;
  /**
   * Variational recurrent dropout while training (Keras `recurrent_dropout`, Gal & Ghahramani
   * 2016): `h_{t-1}` is multiplied by one mask per sequence and unit, the SAME at every step,
   * where it enters the recurrent matmul (`W_hh (m * h_{t-1})`; the reset-before GRU's
   * `W_hn (r * (m * h_{t-1}))`). One mask per layer and direction, shared by every gate (as
   * Keras' `implementation=2`, not one per gate); the carried state itself is not dropped.
   * Inverted scaling `1 / (1 - p)`; identity in inference and streaming; seeded and
   * reproducible like `inputDropout`. Every cell kind. In [0, 1). Default `0`.
   */
  readonly recurrentDropout?: number;
  /**
   * Learned biases `bias_ih_l{k}`, `bias_hh_l{k}` in every layer and direction (PyTorch
   * `bias`, Keras `use_bias`). With `false` the layer has no bias parameters at all: none in
   * its parameter count, state dict, files or PyTorch export (`nn.LSTM(bias=False)` loads
   * it). Default `true`.
   */
  readonly bias?: boolean;
  /**
   * `'sequence'`: every step's output (language models, tagging); `'last'`: the final state
   * (forward direction at each sequence's last step, reverse direction at step 0), for
   * sequence classification; `'mean'`: the mean of the outputs over valid steps. Only the
   * last recurrent layer may pool. Default `'sequence'`.
   */
  readonly output?: RecurrentOutput;
  /** Module name in parameter names (`<name>.weight_ih_l0`). Default `'rnn'`. */
  readonly name?: string;
  /** Whether training updates its parameters (`false`: frozen, as Keras' `trainable` and PyTorch's `requires_grad_(False)`). Default `true`. */
  readonly trainable?: boolean;
}

export interface RnnConfig extends RecurrentCommon {
  readonly type: 'rnn';
  /** `tanh` or `relu`. Default `'tanh'`. */
  readonly nonlinearity?: 'tanh' | 'relu';
  /** Residual form `h_t = h_{t-1} + tanh(...)` (tanh only). Default `false`. */
  readonly residual?: boolean;
  /**
   * Leaky units (multi-timescale, Goodfellow et al. 10.9.2):
   * `h_t = a * h_{t-1} + (1 - a) * tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`, per unit.
   * A number in [0, 1) is the rate `a` of every unit, an array of `units` such numbers one
   * per unit (both fixed: the parameter `leak_a_l{k}` holds them and gets no gradient);
   * `'learn'` learns `a = sigmoid(leak_l{k})`, the logits starting uniform in ±1/sqrt(units)
   * (a near 0.5). tanh only, not residual. The fixed rates share the layer's parameter buffer
   * but are constants, as PyTorch's buffers: no optimiser step changes them, weight decay
   * included (their ranges are frozen in the layer's parameter group). Default: no leak.
   */
  readonly leak?: number | readonly number[] | 'learn';
  /**
   * Skip connection through time (coarse time scales, Goodfellow et al. 10.9.1): every step
   * also adds `W_skip h_{t-skip}` (parameter `weight_skip_l{k}`, `[units, units]`) to the
   * pre-activation, so gradients reach `skip` steps back in one hop. The initial state stands
   * for every state before the first step (in the reverse direction: after each sequence's
   * end). A streaming state carries the last `skip - 1` states (`ModelState.get(i).hist`).
   * With `recurrentDropout` the mask applies to `h_{t-1}` where `W_hh` reads it; the skip
   * matmul reads `h_{t-skip}` unmasked. Works with `bias: false`. An integer in [2, 4096].
   * Default: none.
   */
  readonly skip?: number;
}

export interface GruConfig extends RecurrentCommon {
  readonly type: 'gru';
  /** Reset gate applied after the hidden matmul (PyTorch, cuDNN, Keras) or before it (d2l, the source notes). Default `true`. */
  readonly resetAfter?: boolean;
}

/** LSTM variants of the source notes (the `lstm` rows of the core's cell kind table). */
export type LstmVariant = VariantOption<'lstm'>;

export interface LstmConfig extends RecurrentCommon {
  readonly type: 'lstm';
  /** `'peephole'` (gates see the cell), `'cifg'` (coupled input-forget gate, f = 1 - i), `'noForget'` (c_t = c_{t-1} + i g). Default `'standard'`. */
  readonly variant?: LstmVariant;
  /**
   * Initial forget-gate bias (the notes recommend 1 to 2): sets `bias_ih`'s forget block to
   * this value and `bias_hh`'s to 0. Default: PyTorch's uniform init, like every other bias.
   */
  readonly forgetBias?: number;
  /**
   * Project each state to `projSize` features (PyTorch `proj_size`): `h_t = W_hr (o_t *
   * tanh(c_t))` with the parameter `weight_hr_l{k}` `[projSize, units]` in every layer and
   * direction (and `weight_hh` `[4*units, projSize]`). The output per direction, the `h`
   * states and the next stacked layer's input are then `projSize` wide; the cell state `c`
   * stays `units` wide. An integer in `[1, units)`, as PyTorch requires. Default: no
   * projection. (ONNX export refuses it: ONNX's LSTM has no projection.)
   */
  readonly projSize?: number;
}

/** What a dense layer applies to its output. */
export type ActivationKind = 'linear' | 'relu' | 'gelu' | 'tanh' | 'sigmoid' | 'softmax';

/** Every {@link ActivationKind}. */
export const ACTIVATIONS: readonly ActivationKind[] = ['linear', 'relu', 'gelu', 'tanh', 'sigmoid', 'softmax'];

/**
 * A fully connected layer on each step's output, or on each sequence's after pooling
 * (PyTorch `nn.Linear`, weight `[units, in]`). Several make an MLP head.
 */
export interface DenseConfig {
  readonly type: 'dense';
  readonly units: number;
  /**
   * Applied to the output: `'relu'`, `'gelu'` (exact, PyTorch's default), `'tanh'`,
   * `'sigmoid'`, `'softmax'` (output layer only) or `'linear'`. Cross-entropy and binary
   * cross-entropy compute from the logits and skip a final softmax or sigmoid, which then only
   * shapes what `predict` returns (probabilities). Default `'linear'`.
   */
  readonly activation?: ActivationKind;
  /** Add a learned bias (PyTorch `bias=True`). Default `true`. */
  readonly bias?: boolean;
  /** Module name. Default `'fc'`, then `'fc_1'`, `'fc_2'`... for further dense layers. */
  readonly name?: string;
  /** Whether training updates its parameters (`false`: frozen, as Keras' `trainable` and PyTorch's `requires_grad_(False)`). Default `true`. */
  readonly trainable?: boolean;
}

/** Inverted dropout between layers after the recurrent ones (PyTorch `nn.Dropout(rate)`). */
export interface DropoutConfig {
  readonly type: 'dropout';
  /** Probability of zeroing each value while training, in [0, 1). */
  readonly rate: number;
}

/** Layer normalisation over each row's features (PyTorch `nn.LayerNorm(width)`, eps 1e-5). */
export interface LayerNormConfig {
  readonly type: 'layerNorm';
  /** Module name (`<name>.weight`, `<name>.bias`). Default `'norm'`, then `'norm_1'`... */
  readonly name?: string;
  /** Whether training updates its parameters (`false`: frozen, as Keras' `trainable` and PyTorch's `requires_grad_(False)`). Default `true`. */
  readonly trainable?: boolean;
}

/** The tree encoders: a recursive network over each input tree, the root's state its output. */
export type TreeLayerType = 'treeRnn' | 'childSumTreeLstm' | 'naryTreeLstm';

/** Every {@link TreeLayerType}. */
export const TREE_LAYER_TYPES: readonly TreeLayerType[] = ['treeRnn', 'childSumTreeLstm', 'naryTreeLstm'];

/**
 * A tree encoder as a model's first layer (docs/ARCHITECTURE.md, "The network"): the leaves'
 * words (and any internal node's word) through a learned embedding, then the tree cell over
 * the forest of a batch, batched by level in the core; its output is each tree's root state
 * `[trees, units]`, which any layers and loss after it read. Parameters `<name>.embedding.weight`
 * `[vocab, embeddingSize]` and the cell's (`<name>.weight_ih`, ... as the tree fixtures name them).
 */
export interface TreeLayerConfig {
  readonly type: TreeLayerType;
  /** Width H of the node states (and of the output). */
  readonly units: number;
  /** The words of the leaves by id, `<unk>` first (a `Vocab`'s tokens); words not in it are `<unk>`. */
  readonly vocab: readonly string[];
  /** Width of the word vectors. Default: `units` (which a `treeRnn` requires: its leaves are their word vectors). */
  readonly embeddingSize?: number;
  /** Module name in parameter names. Default `'tree'`. */
  readonly name?: string;
  /** Whether training updates its parameters. Default `true`. */
  readonly trainable?: boolean;
}

/** Options of the tree encoder factories: a {@link TreeLayerConfig} whose `vocab` may also be a `Vocab`. */
export type TreeLayerOptions = Omit<TreeLayerConfig, 'type' | 'vocab'> & { readonly vocab: Vocab | readonly string[] };

export type RecurrentConfig = RnnConfig | GruConfig | LstmConfig;
export type LayerConfig = EmbeddingConfig | OneHotConfig | TreeLayerConfig | RecurrentConfig | DenseConfig | DropoutConfig | LayerNormConfig;

/** The options each factory takes (anything else is an error, with a suggestion where one fits). */
const COMMON = ['units', 'layers', 'bidirectional', 'dropout', 'inputDropout', 'recurrentDropout', 'bias', 'output', 'name', 'trainable'] as const;
const TREE_OPTIONS = ['units', 'vocab', 'embeddingSize', 'name', 'trainable'];
const OPTIONS: Readonly<Record<LayerConfig['type'], readonly string[]>> = {
  embedding: ['vocabSize', 'dim', 'name', 'trainable'],
  oneHot: ['vocabSize'],
  rnn: [...COMMON, 'nonlinearity', 'residual', 'leak', 'skip'],
  gru: [...COMMON, 'resetAfter'],
  lstm: [...COMMON, 'variant', 'forgetBias', 'projSize'],
  dense: ['units', 'activation', 'bias', 'name', 'trainable'],
  dropout: ['rate'],
  layerNorm: ['name', 'trainable'],
  treeRnn: TREE_OPTIONS,
  childSumTreeLstm: TREE_OPTIONS,
  naryTreeLstm: TREE_OPTIONS,
};

/** Throws unless `options` is an object of known options whose `name` (if any) is a non-empty string. */
function checkOptions(op: LayerConfig['type'], options: unknown): void {
  checkObject(op, 'options', options, 'an options object');
  checkKnownKeys(op, options as object, OPTIONS[op], OTHER_NAMES);
  checkOptionalName(op, 'name', (options as { name?: unknown }).name);
  checkOptionalBoolean(op, 'trainable', (options as { trainable?: unknown }).trainable);
}

/** An embedding layer. */
export function embedding(options: Omit<EmbeddingConfig, 'type'>): EmbeddingConfig {
  checkOptions('embedding', options);
  checkInt('embedding', 'vocabSize', options.vocabSize, 1);
  checkInt('embedding', 'dim', options.dim, 1);
  return { type: 'embedding', ...options };
}

/** A one-hot input layer. */
export function oneHot(options: Omit<OneHotConfig, 'type'>): OneHotConfig {
  checkOptions('oneHot', options);
  checkInt('oneHot', 'vocabSize', options.vocabSize, 1);
  return { type: 'oneHot', ...options };
}

function checkCommon(op: RecurrentConfig['type'], o: RecurrentCommon): void {
  if (op !== 'lstm' && typeof o === 'object' && o !== null && 'projSize' in o) {
    throw new InvalidArgumentError(`${op}: argument \`projSize\` is only for lstm layers (PyTorch's proj_size projects the LSTM's h = o * tanh(c))`);
  }
  checkOptions(op, o);
  checkInt(op, 'units', o.units, 1, 1 << 16);
  checkInt(op, 'layers', o.layers ?? 1, 1, 64);
  checkNumber(op, 'dropout', o.dropout ?? 0, 0, 0.999);
  for (const name of ['inputDropout', 'recurrentDropout'] as const) {
    if (o[name] !== undefined) checkRange(op, name, o[name], { min: 0, max: 1, maxOpen: true });
  }
  checkOneOf(op, 'output', o.output ?? 'sequence', ['sequence', 'last', 'mean'] as const);
  checkOptionalBoolean(op, 'bidirectional', o.bidirectional);
  checkOptionalBoolean(op, 'bias', o.bias);
}

/** A vanilla RNN layer. */
export function rnn(options: Omit<RnnConfig, 'type'>): RnnConfig {
  checkCommon('rnn', options);
  checkOneOf('rnn', 'nonlinearity', options.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const);
  checkOptionalBoolean('rnn', 'residual', options.residual);
  if (options.residual && options.nonlinearity === 'relu') {
    throw new InvalidArgumentError("rnn: the residual form is defined with tanh; got nonlinearity 'relu'");
  }
  if (options.leak !== undefined) checkLeak(options);
  if (options.skip !== undefined) checkSkip('rnn', options.skip);
  return { type: 'rnn', ...options };
}

/** A GRU layer. */
export function gru(options: Omit<GruConfig, 'type'>): GruConfig {
  checkCommon('gru', options);
  checkOptionalBoolean('gru', 'resetAfter', options.resetAfter);
  return { type: 'gru', ...options };
}

/** An LSTM layer. */
export function lstm(options: Omit<LstmConfig, 'type'>): LstmConfig {
  checkCommon('lstm', options);
  const variant = checkOneOf('lstm', 'variant', options.variant ?? 'standard', variantOptions('lstm'));
  if (options.forgetBias !== undefined) {
    checkNumber('lstm', 'forgetBias', options.forgetBias, -100, 100);
    if (options.bias === false) {
      throw new InvalidArgumentError('lstm: `forgetBias` sets a bias, but `bias: false` gives the layer none');
    }
    if (gateBlock(kindOfVariant('lstm', variant)!, 'f') < 0) {
      throw new InvalidArgumentError(`lstm: variant '${options.variant}' has no forget gate, so \`forgetBias\` does not apply`);
    }
  }
  if (options.projSize !== undefined) checkProjSize('lstm', 'projSize', options.projSize, kindOfVariant('lstm', variant)!, options.units);
  return { type: 'lstm', ...options };
}

/** A dense layer. */
export function dense(options: Omit<DenseConfig, 'type'>): DenseConfig {
  checkOptions('dense', options);
  checkInt('dense', 'units', options.units, 1);
  if (options.activation !== undefined) checkOneOf('dense', 'activation', options.activation, ACTIVATIONS);
  checkOptionalBoolean('dense', 'bias', options.bias);
  return { type: 'dense', ...options };
}

/** A dropout layer. */
export function dropout(options: Omit<DropoutConfig, 'type'>): DropoutConfig {
  checkOptions('dropout', options);
  checkRange('dropout', 'rate', options.rate, { min: 0, max: 1, maxOpen: true });
  return { type: 'dropout', ...options };
}

/** A layer normalisation layer. */
export function layerNorm(options: Omit<LayerNormConfig, 'type'> = {}): LayerNormConfig {
  checkOptions('layerNorm', options);
  return { type: 'layerNorm', ...options };
}

/** A tree encoder of `type`: the options checked, `vocab` kept as its tokens (plain data, saved with the model). */
function treeLayer(type: TreeLayerType, options: TreeLayerOptions): TreeLayerConfig {
  checkOptions(type, options);
  const units = checkInt(type, 'units', options.units, 1, 1 << 16);
  const embeddingSize = checkInt(type, 'embeddingSize', options.embeddingSize ?? units, 1, 1 << 16);
  if (type === 'treeRnn' && embeddingSize !== units) {
    throw new InvalidArgumentError(`treeRnn: its leaves are their word vectors, so \`embeddingSize\` must equal \`units\`; got ${embeddingSize} and ${units}`);
  }
  const given = options.vocab;
  if (!(given instanceof Vocab) && !Array.isArray(given)) {
    throw new InvalidArgumentError(`${type}: option \`vocab\` expected a Vocab or its tokens (string[], '<unk>' first), got ${given === null ? 'null' : typeof given}`);
  }
  // Vocab.fromJSON checks the tokens (strings, distinct, '<unk>' first).
  const vocab = given instanceof Vocab ? given : Vocab.fromJSON(given);
  return { type, ...options, vocab: vocab.tokens };
}

/** A binary tree RNN (Socher et al.): `h = tanh(W [h_left; h_right] + b)`, leaves their word vectors. */
export function treeRnn(options: TreeLayerOptions): TreeLayerConfig {
  return treeLayer('treeRnn', options);
}

/** A Child-Sum Tree-LSTM (Tai, Socher & Manning 2015): any number of children, a forget gate per child. */
export function childSumTreeLstm(options: TreeLayerOptions): TreeLayerConfig {
  return treeLayer('childSumTreeLstm', options);
}

/** An N-ary Tree-LSTM with N = 2 (Tai et al. 2015): a matrix per child position. */
export function naryTreeLstm(options: TreeLayerOptions): TreeLayerConfig {
  return treeLayer('naryTreeLstm', options);
}

/** The skip delay of a recurrent layer configuration, or 0 without a skip connection. */
export function skipOf(c: RecurrentConfig): number {
  return c.type === 'rnn' ? (c.skip ?? 0) : 0;
}

/** The core cell kind of a recurrent layer configuration (its row of the cell kind table). */
export function cellKindOf(c: RecurrentConfig): CellKind {
  const variant =
    c.type === 'rnn'
      ? c.leak !== undefined
        ? c.leak === 'learn'
          ? 'leaky'
          : 'leaky_fixed'
        : c.residual
          ? 'residual'
          : (c.nonlinearity ?? 'tanh')
      : c.type === 'gru' ? (c.resetAfter === false ? 'reset_before' : 'reset_after') : (c.variant ?? 'standard');
  const kind = kindOfVariant(c.type, variant);
  if (kind === undefined) throw new InvalidArgumentError(`${c.type}: no cell kind for variant ${JSON.stringify(variant)}`);
  return kind;
}
