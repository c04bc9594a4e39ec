/**
 * `Model`: a sequential recurrent network — optional input layer, recurrent layers, dense /
 * dropout / layer-norm layers — with training by BPTT, inference, streaming and generation: a
 * {@link Network} with a loss head per loss kind and the one optimisation step of every task;
 * tensors live in wasm memory (docs/ARCHITECTURE.md, "Data flow of one training step").
 */
import { Random } from '../data/random.js';
import type { Vocab } from '../data/vocab.js';
import type { Engine } from '../engine/engine.js';
import { engine as currentEngine } from '../engine/loader.js';
import { InvalidArgumentError } from '../errors.js';
import { buildNetwork } from '../network/build.js';
import { DenseBlock } from '../network/dense.js';
import { checkLoss, inputOf, type Loss, type LossHead, lossHead, type Measured, runLoss } from '../network/heads.js';
import type { Network } from '../network/network.js';
import { optimizationStep, SeedSequence, type StepResult } from '../network/step.js';
import { TreeEntry, treeLayout } from '../network/tree-entry.js';
import type { Tree } from '../trees/tree.js';
import { type BatchShape, checkBatch, type CheckedBatch, checkClipNorm, checkInt, checkObject, checkOptionalBoolean, isCheckedBatch, type SequenceBatch, type TreesBatch } from '../validate/index.js';
import { Owned } from '../tensor/owned.js';
import { asOutOfMemory, checkLayerConfigs, checkOptimizer, checkParameterBudget, checkState, checkVocab, type VocabSizes } from './checks.js';
import type { DenseLayer } from './dense-layer.js';
import { findNonFinite, gradientFlow } from './diagnostics.js';
import { generateText, generateTokens, type GenerateOptions } from './generate.js';
import type { LayerConfig, RecurrentOutput } from './layers.js';
import type { GradientFlow, NonFiniteReport, PredictOptions, SequentialOptions, TrainStepOptions } from './model-types.js';
import { Optimizer, type OptimizerConfig } from './optimizers.js';
import type { Param, ParamGroup } from './param.js';
import type { LayerState, RecurrentLayer } from './recurrent-layer.js';
import { loadStateDict, readStateDict, type StateDictInput } from './state-dict.js';
import { ModelState } from './state.js';
import { stepInput } from './step-input.js';
import { summarize } from './summary.js';

export class Model extends Owned {
  readonly configs: readonly LayerConfig[];
  readonly seed: number;
  #vocab: Vocab | undefined;
  /** How text maps to tokens for {@link Model.generate}. */
  readonly tokenizer: 'char' | 'word';
  /** @internal */ readonly engine: Engine;
  /** The network: entry, layers, workspace; what tasks compose (docs/ARCHITECTURE.md, "The network"). */
  readonly network: Network;
  /** Features per step fed to the first recurrent layer. */
  readonly featureSize: number;
  /** What the last recurrent layer outputs. */
  readonly output: RecurrentOutput;
  /** What batches are checked against. */
  readonly #shape: BatchShape;
  readonly #seeds: SeedSequence;
  readonly #heads = new Map<string, LossHead>();
  #carried: ModelState | undefined;
  #optimizer: { key: string; optimizer: Optimizer } | undefined;

  /** @internal Use {@link sequential}. */
  constructor(layers: readonly LayerConfig[], options: SequentialOptions = {}) {
    super('Model');
    const op = 'sequential';
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new InvalidArgumentError(`${op}: argument \`layers\` expected a non-empty array of layer configs, got ${String(layers)}`);
    }
    checkObject(op, 'options', options, 'an options object');
    // Every config is checked, and the size bounded, before anything is allocated.
    checkLayerConfigs(op, layers);
    if (options.inputSize !== undefined) checkInt(op, 'inputSize', options.inputSize, 1);
    checkParameterBudget(op, layers, options.inputSize);
    this.configs = layers;
    this.seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff);
    this.tokenizer = options.tokenizer ?? 'char';
    if (this.tokenizer !== 'char' && this.tokenizer !== 'word') {
      throw new InvalidArgumentError(`${op}: option \`tokenizer\` expected 'char' or 'word', got ${String(this.tokenizer)}`);
    }
    this.engine = currentEngine();
    this.attachEngine(this.engine);
    try {
      ({ network: this.network, output: this.output } = buildNetwork(op, layers, options.inputSize, new Random(this.seed), this.engine));
    } catch (e) {
      // buildNetwork frees what it built: a failed constructor leaves nothing behind.
      throw asOutOfMemory(op, e);
    }
    try {
      this.#vocab = checkVocab(op, 'option `vocab`', options.vocab, this.#vocabSizes());
    } catch (e) {
      this.network.dispose();
      throw e;
    }
    this.featureSize = this.network.featureSize;
    this.#shape = {
      tokens: this.network.entry.vocabSize,
      featureSize: this.featureSize,
      outputSize: this.outputSize,
      pooled: this.output !== 'sequence',
      floatsPerPosition: this.network.floatsPerPosition,
      layoutTrees: treeLayout(this.network.entry),
    };
    this.#seeds = new SeedSequence(this.seed);
  }

  /**
   * The vocabulary kept with the model, or undefined. Setting it checks it the way
   * {@link sequential}'s `vocab` option is checked.
   */
  get vocab(): Vocab | undefined {
    return this.#vocab;
  }

  set vocab(value: Vocab | undefined) {
    this.#vocab = checkVocab('Model.vocab', 'the assigned value', value, this.#vocabSizes());
  }

  #vocabSizes(): VocabSizes {
    const entry = this.network.entry;
    const tokens = entry.vocabSize;
    return { input: tokens === undefined ? undefined : { type: entry.type as 'embedding' | 'oneHot', vocabSize: tokens }, outputSize: this.outputSize };
  }

  /** Features of the model's output per position. */
  get outputSize(): number {
    return this.network.outputSize;
  }

  /** Whether inputs are trees (a tree encoder comes first): batches are {@link TreesBatch}es. */
  get takesTrees(): boolean {
    return this.network.entry instanceof TreeEntry;
  }

  /** Whether inputs are token ids (an embedding or one-hot layer comes first). */
  get takesTokens(): boolean {
    return this.network.entry.vocabSize !== undefined;
  }

  /** @internal The output dense layer, if any. */
  get dense(): DenseLayer | undefined {
    const last = this.network.layers.at(-1);
    return last instanceof DenseBlock ? last.layer : undefined;
  }

  /** @internal The recurrent layers, in order (what a {@link ModelState} holds one state for each of). */
  get recurrent(): readonly RecurrentLayer[] {
    return this.network.recurrent;
  }

  /** Every parameter tensor with its PyTorch state-dict name. */
  parameters(): Param[] {
    return this.network.params();
  }

  /** @internal Flat parameter buffers with their gradients. */
  groups(): ParamGroup[] {
    return this.network.groups();
  }

  /** Floats held by the recurrent layers' BPTT tapes (for memory reports). */
  get tapeFloats(): number {
    return this.network.recurrent.reduce((n, r) => n + r.tapeFloats, 0);
  }

  /** Total number of parameter floats (frozen layers included). */
  get parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** The layers, their output shapes and parameter counts, as Keras' `model.summary()` prints them. */
  summary(): string {
    return summarize(this.network);
  }

  /** Forgets the state carried between batches (truncated BPTT); the next batch starts from zeros. */
  resetState(): void {
    this.#carried?.dispose();
    this.#carried = undefined;
  }

  /**
   * The optimiser `fit` uses for `config`: the previous one when the settings are the same
   * (so its state carries over, as in Keras), else a new one.
   */
  optimizerFor(config: OptimizerConfig): Optimizer {
    this.live();
    let key: string;
    try {
      key = JSON.stringify(config, (_, v: unknown) => (typeof v === 'function' ? `fn:${String(v)}` : v));
    } catch (e) {
      // A BigInt or a cycle: not an optimiser config.
      throw new InvalidArgumentError(`optimizer: expected sgd(), adam() or adamw(), got an object that is not plain data (${(e as Error).message})`);
    }
    if (this.#optimizer?.key !== key) {
      const optimizer = new Optimizer(config, this.groups(), this.engine);
      this.#optimizer?.optimizer.dispose();
      this.#optimizer = { key, optimizer };
    }
    return this.#optimizer.optimizer;
  }

  /** Forgets the optimiser state kept between `fit` calls. */
  resetOptimizer(): void {
    this.#optimizer?.optimizer.dispose();
    this.#optimizer = undefined;
  }

  /** A zero state for `batchSize` sequences, for {@link Model.step} or as a starting state. */
  zeroState(batchSize: number): ModelState {
    this.live();
    return new ModelState(this, this.network.recurrent, checkInt('zeroState', 'batchSize', batchSize, 1, 1 << 20));
  }

  /** The state carried between batches (truncated BPTT), created at zero for a new batch size. */
  carriedState(batchSize: number): ModelState {
    if (this.#carried?.batchSize !== batchSize) {
      this.resetState();
      this.#carried = this.zeroState(batchSize);
    }
    return this.#carried;
  }

  #states(state: ModelState | undefined, carry: boolean | undefined, batch: number, what: string): LayerState[] | undefined {
    if (state) return state.use(this, batch, what);
    return carry ? this.carriedState(batch).layers : undefined;
  }

  /** The loss head of `loss`, checked (throws when the model cannot have it). */
  #head(what: string, loss: unknown): LossHead {
    const spec = checkLoss(what, loss);
    let head = this.#heads.get(spec.key);
    if (!head) {
      head = lossHead(what, spec, this.network);
      this.#heads.set(spec.key, head);
    }
    return head;
  }

  /** `batch` checked for this model (and `head`'s targets), unless it was checked already. */
  #check(batch: SequenceBatch | TreesBatch | CheckedBatch, what: string, head?: LossHead): CheckedBatch {
    this.live();
    if (isCheckedBatch(batch, this.#shape) && (head === undefined || batch.targetKind === head.targets)) return batch;
    return checkBatch(what, batch, this.#shape, head?.targets);
  }

  /**
   * Checks `batch` for a training step with `loss` and returns it checked: {@link Model.trainStep},
   * {@link Model.evaluate} and {@link Model.gradientFlow} take it without checking it again
   * (`fit` checks each batch once this way). Throws what `trainStep` would throw for it.
   */
  checkBatch(batch: SequenceBatch | TreesBatch, loss: Loss = 'crossEntropy', what = 'checkBatch'): CheckedBatch {
    this.live();
    return this.#check(batch, what, this.#head(what, loss));
  }

  /**
   * One optimisation step on `batch`: forward, loss, BPTT, global-norm clipping, update.
   * A step whose loss or gradients are not finite, or whose update would leave a non-finite
   * parameter or optimiser value, changes nothing and throws {@link NonFiniteError}.
   */
  trainStep(batch: SequenceBatch | TreesBatch | CheckedBatch, options: TrainStepOptions): StepResult {
    const op = 'trainStep';
    this.live();
    checkObject(op, 'options', options, 'an options object { loss, optimizer, ... }');
    const head = this.#head(op, options.loss);
    const b = this.#check(batch, op, head);
    const clipNorm = checkClipNorm(op, options.clipNorm);
    const optimizer = checkOptimizer(op, options.optimizer, this.groups());
    const epoch = checkInt(op, 'epoch', options.epoch ?? 1, 1);
    checkOptionalBoolean(op, 'carryState', options.carryState);
    const state = checkState(op, 'state', options.state);
    const checkpointEvery = checkInt(op, 'checkpointEvery', options.checkpointEvery ?? 0, 0);
    const states = this.#states(state, options.carryState, b.batchSize, op);
    const net = this.network;
    return optimizationStep(op, {
      groups: this.groups(),
      engine: this.engine,
      optimizer,
      clipNorm,
      epoch,
      seeds: this.#seeds,
      states,
      run: (seed) => {
        const pass = net.pass({ seqLen: b.seqLen, batch: b.batchSize, lengths: b.lengths, training: true, seed, checkpointEvery, states });
        return runLoss(net, head, pass, inputOf(b), b.targets!, true, b.weights);
      },
    });
  }

  /** Loss (and accuracy counts) of a batch without changing anything (no dropout). */
  evaluate(batch: SequenceBatch | TreesBatch | CheckedBatch, loss: Loss = 'crossEntropy', options: { carryState?: boolean; state?: ModelState } = {}): Measured {
    checkObject('evaluate', 'options', options, 'an options object');
    const head = this.#head('evaluate', loss);
    const b = this.#check(batch, 'evaluate', head);
    checkOptionalBoolean('evaluate', 'carryState', options.carryState);
    const states = this.#states(checkState('evaluate', 'state', options.state), options.carryState, b.batchSize, 'evaluate');
    const pass = this.network.pass({ seqLen: b.seqLen, batch: b.batchSize, lengths: b.lengths, states });
    return runLoss(this.network, head, pass, inputOf(b), b.targets!, false, b.weights);
  }

  /**
   * The model's output for a batch of inputs: logits (or dense outputs) `[T, B, O]` for a
   * sequence model, `[B, O]` for a pooled one or a tree model (given its trees, no shape options).
   */
  predict(trees: readonly Tree[], options?: Pick<PredictOptions, 'logSoftmax'>): Float32Array;
  predict(x: ArrayLike<number>, options: PredictOptions): Float32Array;
  predict(x: ArrayLike<number> | readonly Tree[], options: Partial<PredictOptions> = {}): Float32Array {
    checkObject('predict', 'options', options, this.takesTrees ? 'an options object { logSoftmax? }' : 'an options object { seqLen, batchSize, ... }');
    const { seqLen, batchSize, lengths } = options;
    const b = this.#check(this.takesTrees ? { x: x as readonly Tree[], y: [] } : { x: x as ArrayLike<number>, y: [], seqLen: seqLen!, batchSize: batchSize!, ...(lengths !== undefined ? { lengths } : {}) }, 'predict');
    checkOptionalBoolean('predict', 'logSoftmax', options.logSoftmax);
    const states = checkState('predict', 'state', options.state)?.use(this, b.batchSize, 'predict');
    const scores = options.logSoftmax ? 'logSoftmax' : 'logits';
    const pass = this.network.pass({ seqLen: b.seqLen, batch: b.batchSize, lengths: b.lengths, scores, states });
    const out = this.network.forward(pass, inputOf(b)).output;
    return out.data.view().slice(0, out.rows * out.width);
  }

  /** Every parameter by its PyTorch state-dict name (copies). */
  stateDict(): Map<string, Float32Array> {
    this.live();
    return readStateDict(this.parameters());
  }

  /**
   * Sets parameters from a state dict (PyTorch names and shapes). Every parameter of the
   * model must be present and no other name may appear, unless `strict` is false. Nothing is
   * changed when a check fails.
   */
  loadStateDict(dict: StateDictInput, options: { strict?: boolean } = {}): void {
    this.live();
    loadStateDict('loadStateDict', this.parameters(), dict, options);
  }

  /**
   * One streaming step for `state.batchSize` sequences: `x` holds B token ids (or `[B, F]`
   * features); returns the output `[B, O]` (logits, or log-probabilities with `logSoftmax`)
   * and updates `state` in place. Constant work per step: nothing before is recomputed.
   */
  step(x: ArrayLike<number>, state: ModelState, options: { logSoftmax?: boolean } = {}): Float32Array {
    this.live();
    const checked = checkState('step', 'state', state);
    if (!checked) throw new InvalidArgumentError('step: argument `state` expected a ModelState (from model.zeroState), got undefined');
    checkObject('step', 'options', options, 'an options object');
    checkOptionalBoolean('step', 'logSoftmax', options.logSoftmax);
    const [b, layers] = [checked.batchSize, checked.use(this, checked.batchSize, 'step')];
    this.network.checkStreamable('step');
    const input = stepInput(this.network, x, b);
    const pass = this.network.pass({ seqLen: 1, batch: b, scores: options.logSoftmax ? 'logSoftmax' : 'logits', states: layers });
    const out = this.network.step(pass, input);
    return out.data.view().slice(0, b * this.outputSize);
  }

  /**
   * Generates a continuation of `prefix` (text, with the model's vocabulary; or token ids),
   * feeding the prefix one token at a time and then each sampled token. Returns text for a
   * text prefix and ids for ids. `temperature: 0` is greedy.
   */
  generate(prefix: string, options: GenerateOptions): string;
  generate(prefix: ArrayLike<number>, options: GenerateOptions): number[];
  generate(prefix: string | ArrayLike<number>, options: GenerateOptions): string | number[] {
    this.live();
    checkObject('generate', 'options', options, '{ length, temperature?, topK?, seed? }');
    // A token stream: each generated id is fed back, so the outputs must score the input's tokens.
    const tokens = this.network.entry.vocabSize;
    if (tokens === undefined || !this.dense) throw new InvalidArgumentError('generate: needs a model with an embedding or oneHot input and a dense output');
    if (this.outputSize !== tokens) {
      throw new InvalidArgumentError(
        `generate: needs a dense layer with one unit per input token (its outputs are fed back as inputs), got ${this.outputSize} units for ${tokens} input token ids`,
      );
    }
    return typeof prefix === 'string' ? generateText(this, prefix, options) : generateTokens(this, prefix, options).ids;
  }

  /**
   * Norms of dL/dh_t for every step, per recurrent layer and stacked layer, on one batch
   * (no update): the curve that shows vanishing and exploding gradients.
   */
  gradientFlow(batch: SequenceBatch | CheckedBatch, loss: Loss = 'crossEntropy'): GradientFlow[] {
    const head = this.#head('gradientFlow', loss);
    return gradientFlow(this.network, head, this.#check(batch, 'gradientFlow', head));
  }

  /**
   * Opt-in diagnosis of non-finite values: runs the batch forward (inference: no dropout,
   * zero initial state) layer by layer and reports the first layer, in order, whose
   * parameters or output hold a NaN or infinity; `undefined` when every layer's output is
   * finite (then a non-finite training step comes from the loss or the gradients). Only
   * `batch.x` is used. Changes nothing.
   */
  findNonFinite(batch: Omit<SequenceBatch, 'y'> & { y?: ArrayLike<number> }): NonFiniteReport | undefined {
    const op = 'findNonFinite';
    checkObject(op, 'batch', batch, 'an object { x, seqLen, batchSize }');
    return findNonFinite(this.network, this.#check({ ...batch, y: [] }, op));
  }

  protected free(): void {
    this.resetState();
    this.resetOptimizer();
    this.network.dispose();
  }
}

/** Builds a model from layer configs: `sequential([embedding(...), lstm(...), dense(...)])`. */
export function sequential(layers: readonly LayerConfig[], options: SequentialOptions = {}): Model {
  return new Model(layers, options);
}
