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
 */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { checkClipNorm, checkInt } from '../validate/index.js';
import { Owned } from '../tensor/owned.js';
import { dense, embedding, type RecurrentConfig } from '../model/layers.js';
import { Model, type StepResult } from '../model/model.js';
import { Optimizer, type OptimizerConfig, adam } from '../model/optimizers.js';
import type { LayerState, StateGradients } from '../model/recurrent-layer.js';
import type { EpochInfo, History } from '../model/fit.js';
import { Random } from '../data/random.js';

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
}

/** One source sequence and its target (without `bos` / `eos`). */
export interface Seq2SeqPair {
  source: ArrayLike<number>;
  target: ArrayLike<number>;
}

/** Options of {@link Seq2Seq.fit}. */
export interface Seq2SeqFitOptions {
  /** Epochs over the pairs. Default `1`. */
  epochs?: number;
  /** Pairs per batch. Default `32`. */
  batchSize?: number;
  /** Optimiser. Default `adam({ lr: 0.005 })`. */
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

/** A teacher-forced batch, time-major, ready for the kernels. */
interface Prepared {
  b: number;
  srcLen: number;
  srcIds: Uint32Array;
  srcLengths: Uint32Array;
  tgtLen: number;
  inIds: Uint32Array;
  outIds: Uint32Array;
  tgtLengths: Uint32Array;
  /** 1 for counted decoder rows. */
  weights: Float32Array;
}

export class Seq2Seq extends Owned {
  /** Embedding + recurrent layer over the source. */
  readonly encoder: Model;
  /** Embedding + recurrent layer + dense over the target. */
  readonly decoder: Model;
  readonly bos: number;
  readonly eos: number;
  #steps = 0;
  readonly #seed: number;

  constructor(options: Seq2SeqOptions) {
    super('Seq2Seq');
    const op = 'Seq2Seq';
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${op}: argument \`options\` expected an options object`);
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
    this.#seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xfffffffe);
    this.encoder = new Model([embedding({ vocabSize: src, dim }), cell], { seed: this.#seed });
    try {
      this.decoder = new Model([embedding({ vocabSize: tgt, dim }), cell, dense({ units: tgt })], { seed: this.#seed + 1 });
    } catch (e) {
      this.encoder.dispose();
      throw e;
    }
  }

  /** Every parameter, `encoder.<name>` and `decoder.<name>` (copies). */
  stateDict(): Map<string, Float32Array> {
    this.live();
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.encoder.stateDict()) out.set(`encoder.${k}`, v);
    for (const [k, v] of this.decoder.stateDict()) out.set(`decoder.${k}`, v);
    return out;
  }

  /** Sets every parameter from a {@link Seq2Seq.stateDict}. */
  loadStateDict(dict: ReadonlyMap<string, ArrayLike<number>>): void {
    this.live();
    const part = (prefix: string) => new Map([...dict].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const enc = part('encoder.');
    const dec = part('decoder.');
    if (enc.size + dec.size !== dict.size) throw new InvalidArgumentError('Seq2Seq.loadStateDict: every name must start with `encoder.` or `decoder.`');
    this.encoder.loadStateDict(enc);
    this.decoder.loadStateDict(dec);
  }

  /** Pads a list of pairs into a teacher-forced, time-major batch. */
  #prepare(pairs: readonly Seq2SeqPair[], what: string): Prepared {
    this.live();
    if (!Array.isArray(pairs) || pairs.length === 0) throw new InvalidArgumentError(`${what}: expected a non-empty array of { source, target } pairs`);
    const b = pairs.length;
    const srcLengths = new Uint32Array(b);
    const tgtLengths = new Uint32Array(b);
    pairs.forEach((p, i) => {
      if (!p?.source?.length) throw new InvalidArgumentError(`${what}: pair ${i} expected a non-empty source`);
      if (!p.target || typeof p.target.length !== 'number') throw new InvalidArgumentError(`${what}: pair ${i} expected a target array`);
      srcLengths[i] = p.source.length;
      tgtLengths[i] = p.target.length + 1;
    });
    const srcLen = Math.max(...srcLengths);
    const tgtLen = Math.max(...tgtLengths);
    const src = new Float64Array(srcLen * b);
    const inTokens = new Float64Array(tgtLen * b);
    const outTokens = new Float64Array(tgtLen * b);
    const weights = new Float32Array(tgtLen * b);
    pairs.forEach((p, i) => {
      for (let t = 0; t < p.source.length; t++) src[t * b + i] = p.source[t]!;
      inTokens[i] = this.bos;
      for (let t = 0; t < p.target.length; t++) {
        inTokens[(t + 1) * b + i] = p.target[t]!;
        outTokens[t * b + i] = p.target[t]!;
      }
      outTokens[p.target.length * b + i] = this.eos;
      for (let t = 0; t <= p.target.length; t++) weights[t * b + i] = 1;
    });
    const srcIds = this.encoder.input!.ids(src, `${what} source`);
    const inIds = this.decoder.input!.ids(inTokens, `${what} target`);
    const outIds = this.decoder.input!.ids(outTokens, `${what} target`);
    return { b, srcLen, srcIds, srcLengths, tgtLen, inIds, outIds, tgtLengths, weights };
  }

  /** Per stacked layer of the shared cell: `[1, B, H]` buffers from `ws` named `name`. */
  #stateBuffers(model: Model, name: string, b: number, zero: boolean): LayerState {
    const r = model.recurrent[0]!;
    const n = r.stateSize(b);
    const get = (k: string) => (zero ? model.ws.zeros(k, n) : model.ws.get(k, n));
    return { h: r.stacks.map((_, l) => get(`${name}.h${l}`)), c: r.hasCell ? r.stacks.map((_, l) => get(`${name}.c${l}`)) : [] };
  }

  /**
   * Forward (and with `train`, backward) of a teacher-forced batch. Returns loss and counts;
   * parameter gradients of both halves are accumulated (zeroed first) when training.
   */
  #run(p: Prepared, train: boolean, seed: number): { loss: number; count: number; correct: number } {
    const enc = this.encoder;
    const dec = this.decoder;
    const encR = enc.recurrent[0]!;
    const decR = dec.recurrent[0]!;
    if (train) for (const g of [...enc.groups(), ...dec.groups()]) g.grad.view().fill(0);
    // Encoder over the source; its final state lands in `state` (varlen: each sequence's last step).
    const xs = enc.ws.get('x', p.srcLen * p.b * enc.featureSize);
    enc.input!.forward(p.srcIds, xs);
    const state = this.#stateBuffers(enc, 's2s.state', p.b, true);
    encR.forward(enc.ws, p.srcLen, p.b, xs, p.srcLengths, state, train, seed);
    // Decoder from that state over [bos, y...] (its own copy: forward overwrites it with the final state).
    const decState = this.#stateBuffers(dec, 's2s.state', p.b, false);
    state.h.forEach((h, l) => decState.h[l]!.view().set(h.view().subarray(0, encR.stateSize(p.b))));
    state.c.forEach((c, l) => decState.c[l]!.view().set(c.view().subarray(0, encR.stateSize(p.b))));
    const rows = p.tgtLen * p.b;
    const xd = dec.ws.get('x', rows * dec.featureSize);
    dec.input!.forward(p.inIds, xd);
    const top = decR.forward(dec.ws, p.tgtLen, p.b, xd, p.tgtLengths, decState, train, seed + 7919);
    const weights = dec.ws.get('s2s.weights', rows);
    weights.write(p.weights);
    const scratch = dec.ws.get('logits', rows * dec.outputSize);
    const gTop = train ? dec.ws.get('gfeatures', rows * decR.outputSize) : undefined;
    const s = dec.dense!.xent(rows, top, p.outIds, scratch, gTop, weights, undefined, train);
    if (!train || !gTop) return { loss: s.loss, count: s.rows, correct: s.correct };
    // Decoder BPTT, keeping dL/d(initial state); it is the encoder's dL/d(final state).
    const grads: StateGradients = {
      gh0: decR.stacks.map((_, l) => dec.ws.get(`s2s.gh0.${l}`, decR.stateSize(p.b))),
      gc0: decR.hasCell ? decR.stacks.map((_, l) => dec.ws.get(`s2s.gc0.${l}`, decR.stateSize(p.b))) : [],
    };
    const gxd = decR.backward(dec.ws, p.tgtLen, p.b, gTop, undefined, true, seed + 7919, undefined, grads)!;
    dec.input!.backward(p.inIds, gxd);
    const gy = enc.ws.zeros('gy', p.srcLen * p.b * encR.outputSize);
    const gxs = encR.backward(enc.ws, p.srcLen, p.b, gy, undefined, true, seed, undefined, { ghn: grads.gh0!, gcn: grads.gc0! })!;
    enc.input!.backward(p.srcIds, gxs);
    return { loss: s.loss, count: s.rows, correct: s.correct };
  }

  /**
   * One optimisation step with teacher forcing on `pairs`. `optimizer` must come from
   * {@link Seq2Seq.optimizer}. A step whose loss or gradients are not finite changes nothing
   * and throws {@link NonFiniteError}.
   */
  trainStep(pairs: readonly Seq2SeqPair[], options: { optimizer: Optimizer; clipNorm?: number | undefined; epoch?: number }): StepResult {
    const p = this.#prepare(pairs, 'Seq2Seq.trainStep');
    const clip = checkClipNorm('Seq2Seq.trainStep', options.clipNorm);
    const steps = this.#steps;
    try {
      const seed = (this.#seed * 2654435761 + this.#steps++) >>> 0;
      const m = this.#run(p, true, seed);
      let sq = 0;
      for (const g of this.#groups()) sq += this.encoder.engine.call((w) => w.sum_squares(g.grad.liveHandle()));
      const gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(m.loss) || !Number.isFinite(gradNorm)) {
        throw new NonFiniteError(`Seq2Seq.trainStep: the loss or gradient norm is not finite (loss ${m.loss}, gradient norm ${gradNorm}); parameters were not updated`);
      }
      const clipScale = clip !== undefined && Number.isFinite(clip) && gradNorm > clip ? clip / gradNorm : 1;
      // The optimiser undoes an update that leaves a non-finite value and throws NonFiniteError.
      options.optimizer.apply(clipScale, options.epoch ?? 0);
      return { loss: m.loss, gradNorm, clipScale, count: m.count, correct: m.correct };
    } catch (e) {
      // A failed step leaves the dropout counter as it was too: the next step is the one it replaces.
      this.#steps = steps;
      throw e;
    }
  }

  #groups() {
    return [...this.encoder.groups(), ...this.decoder.groups()];
  }

  /** An optimiser over both halves' parameters, for {@link Seq2Seq.trainStep}. Dispose it when done. */
  optimizer(config: OptimizerConfig): Optimizer {
    this.live();
    return new Optimizer(config, this.#groups(), this.encoder.engine);
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

  /** Trains on `pairs` with teacher forcing, shuffled each epoch. */
  async fit(pairs: readonly Seq2SeqPair[], options: Seq2SeqFitOptions = {}): Promise<History> {
    const op = 'Seq2Seq.fit';
    this.live();
    const epochs = checkInt(op, 'epochs', options.epochs ?? 1, 1, 1e9);
    const batchSize = checkInt(op, 'batchSize', options.batchSize ?? 32, 1);
    const clipNorm = checkClipNorm(op, options.clipNorm);
    const seed = checkInt(op, 'seed', options.seed ?? 0, 0, 0xffffffff);
    if (!Array.isArray(pairs) || pairs.length === 0) throw new InvalidArgumentError(`${op}: expected a non-empty array of { source, target } pairs`);
    const optimizer = this.optimizer(options.optimizer ?? adam({ lr: 0.005 }));
    const history: History = { epochs: [] };
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        const started = performance.now();
        const order = new Random(seed + epoch * 0x9e3779b1).shuffle(Array.from({ length: pairs.length }, (_, i) => i));
        let sum = 0;
        let count = 0;
        let correct = 0;
        let batches = 0;
        for (let i = 0; i < order.length; i += batchSize) {
          options.signal?.throwIfAborted();
          const batch = order.slice(i, i + batchSize).map((k) => pairs[k]!);
          const m = this.trainStep(batch, { optimizer, clipNorm, epoch });
          sum += m.loss * m.count;
          count += m.count;
          correct += m.correct;
          batches++;
        }
        const seconds = (performance.now() - started) / 1000;
        const loss = sum / count;
        const info: EpochInfo = {
          epoch, loss, perplexity: Math.exp(loss), accuracy: correct / count, tokensPerSecond: count / Math.max(seconds, 1e-9), batches, skippedBatches: 0, seconds,
        };
        history.epochs.push(info);
        if (options.onEpochEnd && (await options.onEpochEnd(info)) === false) break;
        await new Promise<void>((r) => setTimeout(r, 0));
      }
      options.signal?.throwIfAborted();
      return history;
    } finally {
      optimizer.dispose();
    }
  }

  /**
   * Free-running greedy decoding: for each source, the target ids the decoder produces from
   * `bos`, feeding back its arg-max, up to `eos` (not included) or `maxLength` tokens.
   */
  translate(sources: readonly ArrayLike<number>[], options: { maxLength?: number; batchSize?: number } = {}): number[][] {
    const op = 'Seq2Seq.translate';
    this.live();
    if (!Array.isArray(sources)) throw new InvalidArgumentError(`${op}: argument \`sources\` expected an array of token-id arrays`);
    const maxLength = checkInt(op, 'maxLength', options.maxLength ?? 100, 1);
    const chunk = checkInt(op, 'batchSize', options.batchSize ?? 256, 1);
    const out: number[][] = [];
    for (let i = 0; i < sources.length; i += chunk) out.push(...this.#greedy(sources.slice(i, i + chunk), maxLength));
    return out;
  }

  #greedy(sources: readonly ArrayLike<number>[], maxLength: number): number[][] {
    const p = this.#prepare(sources.map((s) => ({ source: s, target: [] })), 'Seq2Seq.translate');
    const encState = this.encoder.zeroState(p.b);
    const decState = this.decoder.zeroState(p.b);
    try {
      this.encoder.predict(p.srcIds, { seqLen: p.srcLen, batchSize: p.b, lengths: p.srcLengths, state: encState });
      decState.set(0, encState.get(0));
      const V = this.decoder.outputSize;
      const out: number[][] = sources.map(() => []);
      const done = new Uint8Array(p.b);
      let left = p.b;
      let tokens: number[] = new Array<number>(p.b).fill(this.bos);
      for (let t = 0; t < maxLength && left > 0; t++) {
        const logits = this.decoder.step(tokens, decState);
        tokens = tokens.map((_, b) => {
          let best = 0;
          for (let j = 1; j < V; j++) if (logits[b * V + j]! > logits[b * V + best]!) best = j;
          if (!done[b]) {
            if (best === this.eos) {
              done[b] = 1;
              left--;
            } else {
              out[b]!.push(best);
            }
          }
          return best;
        });
      }
      return out;
    } finally {
      encState.dispose();
      decState.dispose();
    }
  }

  protected free(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}

