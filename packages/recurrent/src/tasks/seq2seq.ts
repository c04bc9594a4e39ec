/**
 * `Seq2Seq`: an encoder-decoder (the notes' "many to many, unequal lengths"). The encoder
 * (embedding + recurrent layer) reads the source; its final state, per stacked layer, is the
 * decoder's initial state; the decoder (embedding + recurrent layer + dense) predicts the
 * target one token at a time.
 *
 * - Training uses teacher forcing: the decoder reads `[bos, y_0, ..., y_{n-1}]` and predicts
 *   `[y_0, ..., y_{n-1}, eos]`. BPTT runs through the decoder, then dL/d(decoder's initial
 *   state) enters the encoder as dL/d(its final state), so one loss trains both.
 * - Inference is free-running: the decoder starts from `bos` and is fed its own greedy
 *   (arg-max) choice at every step, until `eos` or a length limit.
 *
 * Both halves are ordinary {@link Model}s (`encoder`, `decoder`): their parameters carry
 * PyTorch names, and `stateDict()` prefixes them with `encoder.` / `decoder.`.
 *
 * With `attention` (issue 15, d2l's Bahdanau decoder) the decoder also attends: at every step
 * its previous top-layer state queries the encoder's outputs (masked to each source's length),
 * and the context goes before the embedded token into its first layer. The decoder model is
 * then `[cell, dense]` reading `[context; embedding]`; the target embedding and the attention
 * parameters (`decoder.embedding.weight`, `decoder.attention.*`) live beside it
 * (`seq2seq-attention.ts`), and the core runs all target steps in one call each way.
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import { checkLoss, type LossHead, lossHead, type Measured } from '../network/heads.js';
import { activation, type NetworkInput } from '../network/layer.js';
import type { Network, Trace } from '../network/network.js';
import { optimizationStep, SeedSequence, type StepResult } from '../network/step.js';
import { checkClipNorm, checkInt, checkKnownKeys, checkObject, checkOneOf } from '../validate/index.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import { checkOptimizer } from '../model/checks.js';
import type { AttentionKind } from '../model/attention-decoder.js';
import { dense, embedding, type RecurrentConfig } from '../model/layers.js';
import type { Param } from '../model/param.js';
import type { EpochInfo, History } from '../model/loop.js';
import { runEpochs } from '../model/loop.js';
import { Model } from '../model/model.js';
import { Optimizer, type OptimizerConfig } from '../model/optimizers.js';
import { DEFAULT_OPTIMIZER } from '../model/default-optimizer.js';
import type { LayerState, StateGradients } from '../model/recurrent-layer.js';
import { checkStateDict, stateDictEntries } from '../model/state-dict.js';
import { withTraining } from '../model/training-lock.js';
import { Workspace } from '../model/workspace.js';
import { AttentionHalf, attentionSizeOf } from './seq2seq-attention.js';
import { type TeacherForced, teacherForced, translate, type TranslateOptions, type TranslateParts, type Translations } from './seq2seq-translate.js';
import { type Prepared, prepareBatch, type Seq2SeqPair, shuffledBatches } from './seq2seq-batch.js';

export type { Seq2SeqPair } from './seq2seq-batch.js';
export type { TeacherForced, TranslateOptions, Translations } from './seq2seq-translate.js';

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions {
  /** Token ids of the source side: [0, sourceVocabSize). */
  sourceVocabSize: number;
  /** Token ids of the target side, `bos` and `eos` included: [0, targetVocabSize). */
  targetVocabSize: number;
  /** Target id that starts decoding (fed to the decoder first). */
  bos: number;
  /** Target id that ends a target sequence (predicted last; decoding stops there). */
  eos: number;
  /**
   * The recurrent layer of both halves, e.g. `gru({ units: 128 })` or
   * `lstm({ units: 64, layers: 2, dropout: 0.1 })`. Unidirectional, `output: 'sequence'`.
   */
  cell: RecurrentConfig;
  /** Size of the embeddings of both sides. Default `32`. */
  embeddingDim?: number;
  /** Seed of the initialisation (the decoder uses seed + 1). Default `0`. */
  seed?: number;
  /**
   * Attention in the decoder: `'additive'` (Bahdanau, d2l's `AdditiveAttention`) or `'dot'`
   * (scaled dot product on a learned projection of the query). Default: none (the decoder
   * sees the source only through the encoder's final state). Not with `cell.dropout`.
   */
  attention?: AttentionKind;
  /** Hidden size A of the additive attention. Default: the cell's `units`. Additive only. */
  attentionSize?: number;
  /**
   * A source id that pads (d2l's convention): sources are padded with it to the batch's
   * longest, the encoder reads the padding, and attention stops at the first padding token of
   * each source. Default: none (the encoder stops at each source's end, padding is never read).
   */
  sourcePad?: number;
}

/** The options of {@link Seq2Seq}, in one place for the check. */
const OPTIONS: readonly (keyof Seq2SeqOptions)[] = ['sourceVocabSize', 'targetVocabSize', 'bos', 'eos', 'cell', 'embeddingDim', 'seed', 'attention', 'attentionSize', 'sourcePad'];

/** Options of {@link Seq2Seq.fit}. */
export interface Seq2SeqFitOptions {
  /** Epochs over the pairs. Default `1`. */
  epochs?: number;
  /** Pairs per batch. Default `32`. */
  batchSize?: number;
  /** Optimiser. Default `adam({ lr: 0.003 })` ({@link DEFAULT_OPTIMIZER}, the default of every trainer and of the CLI). */
  optimizer?: OptimizerConfig;
  /** Global-norm clipping threshold over both halves. Default: none. */
  clipNorm?: number;
  /** Seed of the shuffling. Default `0`. */
  seed?: number;
  /** Called after every epoch (loss and accuracy per target token, teacher-forced). Returning `false` stops. */
  onEpochEnd?: (info: EpochInfo) => void | boolean | Promise<void | boolean>;
  /** Aborting stops training after the current batch; `fit` then rejects with the reason. */
  signal?: AbortSignal;
}

/** The decoder's seed offset from the encoder's: each half draws its own dropout masks. */
const DECODER_SEED = 7919;

export class Seq2Seq extends Owned {
  /** Embedding + recurrent layer over the source. */
  readonly encoder: Model;
  /** Embedding + recurrent layer + dense over the target. */
  readonly decoder: Model;
  readonly bos: number;
  readonly eos: number;
  /** The options that rebuild this model (defaults filled in; what its file stores). */
  readonly options: Readonly<Seq2SeqOptions>;
  /** The target embedding and attention beside the decoder, with `attention`. */
  readonly #attn: AttentionHalf | undefined;
  readonly #sourcePad: number | undefined;
  readonly #sourceVocab: number;
  readonly #targetVocab: number;
  readonly #seeds: SeedSequence;
  /** The decoder's cross-entropy, fused with its dense layer. */
  readonly #head: LossHead;
  /** The state handed from encoder to decoder, and its gradient back. */
  readonly #ws = new Workspace();

  constructor(options: Seq2SeqOptions) {
    super('Seq2Seq');
    const op = 'Seq2Seq';
    checkObject(op, 'options', options, 'an options object');
    checkKnownKeys(op, options, OPTIONS);
    const src = checkInt(op, 'sourceVocabSize', options.sourceVocabSize, 1);
    const tgt = checkInt(op, 'targetVocabSize', options.targetVocabSize, 2);
    this.bos = checkInt(op, 'bos', options.bos, 0, tgt - 1);
    this.eos = checkInt(op, 'eos', options.eos, 0, tgt - 1);
    if (this.bos === this.eos) throw new InvalidArgumentError(`${op}: \`bos\` and \`eos\` must differ, got ${this.bos} for both`);
    const cell = options.cell;
    if (typeof cell !== 'object' || cell === null || !['rnn', 'gru', 'lstm'].includes(cell.type)) {
      throw new InvalidArgumentError(`${op}: option \`cell\` expected rnn(...), gru(...) or lstm(...), got ${JSON.stringify(cell)}`);
    }
    if (cell.bidirectional) throw new InvalidArgumentError(`${op}: the cell must be unidirectional (the decoder's state is the encoder's)`);
    if ((cell.output ?? 'sequence') !== 'sequence') throw new InvalidArgumentError(`${op}: the cell's output must be 'sequence', got '${cell.output}'`);
    const dim = checkInt(op, 'embeddingDim', options.embeddingDim ?? 32, 1);
    const seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xfffffffe);
    const attention = options.attention === undefined ? undefined : checkOneOf(op, 'attention', options.attention, ['additive', 'dot'] as const);
    const attentionSize = attentionSizeOf(op, attention, options.attentionSize, cell);
    this.#sourcePad = options.sourcePad === undefined ? undefined : checkInt(op, 'sourcePad', options.sourcePad, 0, src - 1);
    this.options = Object.freeze({
      sourceVocabSize: src, targetVocabSize: tgt, bos: this.bos, eos: this.eos, cell, embeddingDim: dim, seed,
      ...(attention && { attention }), ...(attentionSize !== undefined && { attentionSize }), ...(this.#sourcePad !== undefined && { sourcePad: this.#sourcePad }),
    });
    this.#sourceVocab = src;
    this.#targetVocab = tgt;
    this.#seeds = new SeedSequence(seed);
    this.encoder = new Model([embedding({ vocabSize: src, dim }), cell], { seed });
    try {
      this.decoder = attention
        ? new Model([cell, dense({ units: tgt })], { seed: seed + 1, inputSize: cell.units + dim })
        : new Model([embedding({ vocabSize: tgt, dim }), cell, dense({ units: tgt })], { seed: seed + 1 });
    } catch (e) {
      this.encoder.dispose();
      throw e;
    }
    try {
      this.#attn = attention && new AttentionHalf(attention, attentionSize!, tgt, dim, this.decoder);
    } catch (e) {
      this.encoder.dispose();
      this.decoder.dispose();
      throw e;
    }
    this.#head = lossHead(op, checkLoss(op, 'crossEntropy'), this.decoder.network);
  }

  /** Every parameter, `encoder.<name>` and `decoder.<name>` (copies). */
  stateDict(): Map<string, Float32Array> {
    this.live();
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.encoder.stateDict()) out.set(`encoder.${k}`, v);
    for (const p of this.#decoderParameters()) out.set(`decoder.${p.name}`, p.read());
    return out;
  }

  /** Every named tensor of the decoder side: its model's, and with attention the target embedding and attention. */
  #decoderParameters(): Param[] {
    return [...(this.#attn?.parameters() ?? []), ...this.decoder.parameters()];
  }

  /** Every parameter (with its gradient), named as in {@link Seq2Seq.stateDict}. */
  parameters(): Param[] {
    this.live();
    const named = (prefix: string, ps: readonly Param[]) => ps.map((p): Param => ({ ...p, name: `${prefix}${p.name}` }));
    return [...named('encoder.', this.encoder.parameters()), ...named('decoder.', this.#decoderParameters())];
  }

  /** Sets every parameter from a {@link Seq2Seq.stateDict}; both halves are checked before either is written. */
  loadStateDict(dict: ReadonlyMap<string, ArrayLike<number>>): void {
    this.live();
    const op = 'Seq2Seq.loadStateDict';
    const entries = stateDictEntries(op, dict);
    const part = (prefix: string) => new Map([...entries].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const enc = part('encoder.');
    const dec = part('decoder.');
    if (enc.size + dec.size !== entries.size) throw new InvalidArgumentError(`${op}: every name must start with \`encoder.\` or \`decoder.\``);
    const writes = [...checkStateDict(op, this.encoder.parameters(), enc, true), ...checkStateDict(op, this.#decoderParameters(), dec, true)];
    for (const [p, f] of writes) p.write(f);
  }

  /** Pads a list of pairs into a teacher-forced, time-major batch. */
  #prepare(pairs: readonly Seq2SeqPair[], what: string): Prepared {
    this.live();
    return prepareBatch(pairs, what, { bos: this.bos, eos: this.eos, sourceVocab: this.#sourceVocab, targetVocab: this.#targetVocab, sourcePad: this.#sourcePad });
  }

  /** Per stacked layer of the shared cell: `[1, B, H]` buffers named `name` (zeroed with `zero`). */
  #stateBuffers(net: Network, name: string, b: number, zero: boolean): LayerState {
    let k = 0;
    const [state] = net.zeroStates(b, (size) => (zero ? this.#ws.zeros(`${name}.${k++}`, size) : this.#ws.get(`${name}.${k++}`, size)));
    return state!;
  }

  /**
   * Forward (and with `train`, backward) of a teacher-forced batch: the encoder over the
   * source, its final state as the decoder's initial state, the decoder over [bos, y...] and
   * its cross-entropy; then BPTT through the decoder, whose dL/d(initial state) enters the
   * encoder as dL/d(its final state). Gradients accumulate into both halves.
   */
  #run(p: Prepared, train: boolean, seed: number): Measured {
    const enc = this.encoder.network;
    const dec = this.decoder.network;
    // The encoder's final state (varlen: each sequence's last step) lands in `state`.
    const state = this.#stateBuffers(enc, 'enc.state', p.b, true);
    const encPass = enc.pass({ seqLen: p.srcLen, batch: p.b, lengths: p.srcLengths, training: train, seed, states: [state] });
    const encTrace = enc.forward(encPass, { ids: p.srcIds, x: undefined });
    if (this.#attn) {
      const { measured, grads } = this.#attn.run(p, encTrace.output.data, state, this.#head, train, seed + DECODER_SEED);
      if (grads) this.#encoderBackward(enc, encTrace, p, seed, { gh0: grads.gh, gc0: grads.gc }, grads.gy);
      return measured;
    }
    // The decoder starts from a copy of it (its forward overwrites its state with the final one).
    const decState = this.#stateBuffers(dec, 'dec.state', p.b, false);
    // `h` is P wide with an LSTM projection, `c` H wide.
    const [n, nc] = [enc.recurrent[0]!.stateSize(p.b), enc.recurrent[0]!.cellStateSize(p.b)];
    state.h.forEach((h, l) => decState.h[l]!.view().set(h.view().subarray(0, n)));
    state.c.forEach((c, l) => decState.c[l]!.view().set(c.view().subarray(0, nc)));
    const grads = train ? this.#initialStateGradients(dec, p.b) : undefined;
    const decPass = dec.pass({
      seqLen: p.tgtLen, batch: p.b, lengths: p.tgtLengths, training: train, seed: seed + DECODER_SEED, states: [decState], stateGrads: [grads],
    });
    const decInput: NetworkInput = { ids: p.inIds, x: undefined };
    const decTrace = dec.forward(decPass, decInput, dec.layers.length - this.#head.fused);
    const { measured, grad } = this.#head.loss(decPass, decTrace.output, p.outIds, train);
    if (!grad || !grads) return measured;
    dec.backward(decPass, decTrace, grad);
    this.#encoderBackward(enc, encTrace, p, seed, grads);
    return measured;
  }

  /** Buffers receiving the decoder's dL/d(initial h) (and c) per stacked layer. */
  #initialStateGradients(dec: Network, b: number): StateGradients {
    const g = this.#stateBuffers(dec, 'dec.grad0', b, false);
    return { gh0: g.h, gc0: g.c };
  }

  /**
   * BPTT through the encoder from dL/d(its final state) and dL/d(its outputs) `gy` (with
   * attention; without, its outputs feed no loss: zeros).
   */
  #encoderBackward(enc: Network, trace: Trace, p: Prepared, seed: number, decoder: StateGradients, gy?: Float32Buffer): void {
    const pass = enc.pass({ seqLen: p.srcLen, batch: p.b, lengths: p.srcLengths, training: true, seed, stateGrads: [{ ghn: decoder.gh0!, gcn: decoder.gc0! }] });
    const out = trace.output;
    const g = gy ?? enc.ws.zeros('gy', out.rows * out.width);
    enc.backward(pass, trace, activation(g, out.rows, out.width, true));
  }

  /**
   * One optimisation step with teacher forcing on `pairs`. `optimizer` must come from
   * {@link Seq2Seq.optimizer}. A step whose loss or gradients are not finite changes nothing
   * and throws {@link NonFiniteError}.
   */
  trainStep(pairs: readonly Seq2SeqPair[], options: { optimizer: Optimizer; clipNorm?: number | undefined; epoch?: number }): StepResult {
    const op = 'Seq2Seq.trainStep';
    const p = this.#prepare(pairs, op);
    checkObject(op, 'options', options, 'an options object { optimizer, clipNorm?, epoch? }');
    const groups = this.#groups();
    return optimizationStep(op, {
      groups,
      engine: this.decoder.network.engine,
      optimizer: checkOptimizer(op, options.optimizer, groups),
      clipNorm: checkClipNorm(op, options.clipNorm),
      epoch: checkInt(op, 'epoch', options.epoch ?? 1, 1),
      seeds: this.#seeds,
      run: (seed) => this.#run(p, true, seed),
    });
  }

  #groups() {
    return [...this.encoder.network.groups(), ...(this.#attn?.groups() ?? []), ...this.decoder.network.groups()];
  }

  /**
   * An optimiser over both halves' parameters, for {@link Seq2Seq.trainStep}. Dispose it when
   * done. Default config: {@link DEFAULT_OPTIMIZER}, `adam({ lr: 0.003 })`.
   */
  optimizer(config: OptimizerConfig = DEFAULT_OPTIMIZER): Optimizer {
    this.live();
    return new Optimizer(config, this.#groups(), this.decoder.network.engine);
  }

  /** Teacher-forced loss and per-token accuracy (the `eos` included) on `pairs`. */
  evaluate(pairs: readonly Seq2SeqPair[], options: { batchSize?: number } = {}): { loss: number; accuracy: number; count: number } {
    const chunk = checkInt('Seq2Seq.evaluate', 'batchSize', options.batchSize ?? 256, 1);
    let sum = 0;
    let count = 0;
    let correct = 0;
    for (let i = 0; i < pairs.length; i += chunk) {
      const m = this.#run(this.#prepare(pairs.slice(i, i + chunk), 'Seq2Seq.evaluate'), false, 0);
      sum += m.loss * m.count;
      count += m.count;
      correct += m.correct;
    }
    return { loss: sum / count, accuracy: correct / count, count };
  }

  /**
   * Trains on `pairs` with teacher forcing, shuffled each epoch. As `fit`, one at a time: while
   * one runs, another rejects with `InvalidArgumentError`.
   */
  async fit(pairs: readonly Seq2SeqPair[], options: Seq2SeqFitOptions = {}): Promise<History> {
    const op = 'Seq2Seq.fit';
    this.live();
    checkObject(op, 'options', options, 'an options object');
    const epochs = checkInt(op, 'epochs', options.epochs ?? 1, 1, 1e9);
    const batchSize = checkInt(op, 'batchSize', options.batchSize ?? 32, 1);
    const clipNorm = checkClipNorm(op, options.clipNorm);
    const seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff);
    if (!Array.isArray(pairs) || pairs.length === 0) throw new InvalidArgumentError(`${op}: expected a non-empty array of { source, target } pairs`);
    return withTraining(this, async () => {
      const optimizer = this.optimizer(options.optimizer ?? DEFAULT_OPTIMIZER);
      try {
        return await runEpochs<readonly Seq2SeqPair[]>({
          op,
          epochs,
          batches: (epoch) => shuffledBatches(pairs, batchSize, new Random(seed + (epoch - 1) * 0x9e3779b1)),
          train: (batch, epoch) => {
            const m = this.trainStep(batch, { optimizer, clipNorm, epoch });
            const sum = m.loss * m.count;
            return { sum, count: m.count, weight: m.count, correct: m.correct, positions: m.count, gradNorm: m.gradNorm, clipped: m.clipScale < 1, skipped: false };
          },
          nonFiniteHint: 'Lower the learning rate or set clipNorm',
          emptyEpochHint: '',
          classes: true,
          signal: options.signal,
          onEpochEnd: options.onEpochEnd,
          yieldEvery: 1,
        });
      } finally {
        optimizer.dispose();
      }
    });
  }

  /**
   * Free-running decoding: for each source, the target ids the decoder produces from `bos`
   * up to `eos` (not included) or `maxLength` tokens. Greedy (feeding back the arg-max) with
   * `beamWidth: 1` (the default); beam search with K hypotheses per source otherwise, ranked
   * at the end with GNMT's length normalisation `lengthPenalty` (alpha, default 0). With
   * `returnAttention` (attention models) also the weights each token was produced with.
   */
  translate(sources: readonly ArrayLike<number>[], options?: TranslateOptions & { returnAttention?: false }): number[][];
  translate(sources: readonly ArrayLike<number>[], options: TranslateOptions & { returnAttention: true }): Translations;
  translate(sources: readonly ArrayLike<number>[], options: TranslateOptions = {}): number[][] | Translations {
    return translate(this.#parts('Seq2Seq.translate'), sources, options);
  }

  /** The decoder's logits (and attention weights) at every target step of `pairs`, teacher-forced. */
  teacherForced(pairs: readonly Seq2SeqPair[]): TeacherForced {
    return teacherForced(this.#parts('Seq2Seq.teacherForced'), [...pairs]);
  }

  #parts(op: string): TranslateParts {
    this.live();
    return { encoder: this.encoder, decoder: this.decoder, attention: this.#attn, bos: this.bos, eos: this.eos, prepare: (pairs) => this.#prepare(pairs, op) };
  }

  protected free(): void {
    this.#ws.dispose();
    this.#attn?.dispose();
    this.encoder.dispose();
    this.decoder.dispose();
  }
}
