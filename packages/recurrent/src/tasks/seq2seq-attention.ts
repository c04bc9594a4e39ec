/**
 * The attention half of a {@link Seq2Seq} built with `attention` (issue 15): the target
 * embedding and the attention runtime beside the decoder (a `[cell, dense]` model whose layer
 * 0 reads `[context; embedding]`), the teacher-forced pass through the core's fused attention
 * decoder, and free-running decoding as a {@link TokenStream} whose state holds the encoder's
 * outputs (so greedy and beam decoding run on it unchanged).
 */
import { Random } from '../data/random.js';
import { InvalidArgumentError } from '../errors.js';
import type { LossHead, Measured } from '../network/heads.js';
import { activation } from '../network/layer.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { checkInt } from '../validate/index.js';
import { AttentionDecoder, type AttentionKind, type AttentionShape } from '../model/attention-decoder.js';
import { InputLayer } from '../model/embedding-layer.js';
import type { TokenStream } from '../model/generate.js';
import type { RecurrentConfig } from '../model/layers.js';
import type { Model } from '../model/model.js';
import type { Param, ParamGroup } from '../model/param.js';
import type { LayerState } from '../model/recurrent-layer.js';
import { Workspace } from '../model/workspace.js';

/** A teacher-forced batch as the attention pass needs it (time-major ids). */
export interface AttentionBatch {
  b: number;
  srcLen: number;
  /** The valid source length of each sequence (the softmax's mask). */
  maskLengths: Uint32Array;
  tgtLen: number;
  inIds: Uint32Array;
  outIds: Uint32Array;
  tgtLengths: Uint32Array;
}

/** What the pass hands back to the encoder: dL/d(its outputs) and dL/d(its final state) per layer. */
export interface EncoderGradients {
  gy: Float32Buffer;
  gh: Float32Buffer[];
  gc: Float32Buffer[];
}

/** An encoder's final state as host arrays, per stacked layer `[B, H]` (`c`: LSTM family). */
export interface Encoded {
  h: Float32Array[];
  c: Float32Array[];
}

/** Offset of the attention's seed from the decoder's (its own draws). */
const ATTENTION_SEED = 104729;

export class AttentionHalf {
  /** The target embedding (`decoder.embedding.weight`). */
  readonly embedding: InputLayer;
  readonly attention: AttentionDecoder;
  readonly #ws = new Workspace();
  /** Whose encoder outputs (and keys) the step buffers hold: the state, at which version. */
  #kept: { state: AttentionState; version: number; enc: Float32Buffer; tape: Float32Buffer } | undefined;

  constructor(kind: AttentionKind, size: number, targetVocab: number, dim: number, readonly decoder: Model) {
    const rng = new Random(decoder.seed + ATTENTION_SEED);
    const engine = decoder.network.engine;
    this.embedding = new InputLayer({ type: 'embedding', vocabSize: targetVocab, dim }, engine, rng);
    try {
      this.attention = new AttentionDecoder(kind, size, dim, decoder.network.recurrent[0]!, engine, rng);
    } catch (e) {
      this.embedding.dispose();
      throw e;
    }
  }

  /** `embedding.weight`, then `attention.*` (names without the `decoder.` prefix). */
  parameters(): Param[] {
    return [...this.embedding.params, ...this.attention.params];
  }

  groups(): ParamGroup[] {
    return [...this.embedding.groups, ...this.attention.groups];
  }

  get #layers(): number {
    return this.decoder.network.recurrent[0]!.layers;
  }

  get #hidden(): number {
    return this.decoder.network.recurrent[0]!.hiddenSize;
  }

  /** `[L, B, H]` from per-layer `[B, H]` buffers. */
  #gather(name: string, parts: readonly Float32Buffer[], b: number): Float32Buffer {
    const n = b * this.#hidden;
    const out = this.#ws.get(name, parts.length * n);
    const v = out.view();
    parts.forEach((p, l) => v.set(p.view().subarray(0, n), l * n));
    return out;
  }

  /** Per-layer `[B, H]` buffers from `[L, B, H]`. */
  #scatter(name: string, all: Float32Buffer, b: number): Float32Buffer[] {
    const n = b * this.#hidden;
    return Array.from({ length: this.#layers }, (_, l) => {
      const part = this.#ws.get(`${name}.${l}`, n);
      part.view().set(all.view().subarray(l * n, (l + 1) * n));
      return part;
    });
  }

  /**
   * The decoder over a teacher-forced batch from the encoder's outputs `enc` (`[S*B, H]`) and
   * final state, its cross-entropy (`head`, on the decoder's network), and with `train` the
   * backward into the attention, the decoder and the encoder's gradients (returned).
   */
  run(p: AttentionBatch, enc: Float32Buffer, encState: LayerState, head: LossHead, train: boolean, seed: number): { measured: Measured; grads?: EncoderGradients } {
    const shape: AttentionShape = { srcLen: p.srcLen, tgtLen: p.tgtLen, batch: p.b };
    const { h, c, emb, y, tape } = this.#start(shape, encState, p.inIds);
    this.attention.forward(shape, { enc, lengths: p.maskLengths, emb, h, c, y, tape });
    const dec = this.decoder.network;
    const pass = dec.pass({ seqLen: p.tgtLen, batch: p.b, lengths: p.tgtLengths, training: train, seed });
    const rows = p.tgtLen * p.b;
    const { measured, grad } = head.loss(pass, activation(y, rows, this.#hidden, true), p.outIds, train);
    if (!grad) return { measured };
    const n = this.#layers * p.b * this.#hidden;
    const gEnc = this.#ws.get('g.enc', p.srcLen * p.b * this.#hidden);
    const gEmb = this.#ws.get('g.emb', rows * this.embedding.dim);
    const gh0 = this.#ws.get('g.h0', n);
    const gc0 = c && this.#ws.get('g.c0', n);
    this.attention.backward(shape, { enc, lengths: p.maskLengths, tape, gy: grad.data, gEnc, gEmb, gh0, gc0 });
    this.embedding.backward(p.inIds, gEmb);
    return { measured, grads: { gy: gEnc, gh: this.#scatter('g.h', gh0, p.b), gc: gc0 ? this.#scatter('g.c', gc0, p.b) : [] } };
  }

  /** The state, embedded inputs, output and tape buffers of a pass over `s`. */
  #start(s: AttentionShape, encState: LayerState, ids: Uint32Array) {
    this.#kept = undefined; // the tape is about to hold other keys
    const h = this.#gather('h', encState.h, s.batch);
    const c = encState.c.length > 0 ? this.#gather('c', encState.c, s.batch) : undefined;
    const emb = this.#ws.get('emb', ids.length * this.embedding.dim);
    this.embedding.forward(ids, emb);
    const y = this.#ws.get('y', s.tgtLen * s.batch * this.#hidden);
    return { h, c, emb, y, tape: this.attention.tape(this.#ws, s) };
  }

  /**
   * A teacher-forced forward without gradient: the logits `[T, B, V]` and the attention
   * weights `[T, B, S]` (time-major) of every target step.
   */
  forced(p: AttentionBatch, encOut: Float32Array, encState: Encoded): { logits: Float32Array; alpha: Float32Array } {
    const shape: AttentionShape = { srcLen: p.srcLen, tgtLen: p.tgtLen, batch: p.b };
    const enc = this.#load('w.enc', encOut);
    // `hist: []`: AttnSpec refuses a skip connection, so the decoder keeps no skip history.
    const loaded: LayerState = { h: encState.h.map((v, l) => this.#load(`w.h${l}`, v)), c: encState.c.map((v, l) => this.#load(`w.c${l}`, v)), hist: [] };
    const { h, c, emb, y, tape } = this.#start(shape, loaded, p.inIds);
    const alpha = this.#ws.get('alpha', p.tgtLen * p.b * p.srcLen);
    this.attention.forward(shape, { enc, lengths: p.maskLengths, emb, h, c, y, alpha, tape });
    const rows = p.tgtLen * p.b;
    return { logits: this.#logits(y, rows), alpha: alpha.view().slice(0, rows * p.srcLen) };
  }

  /** A stream over the decoder for free-running decoding from the encoder's outputs and state. */
  stream(): TokenStream<AttentionState> {
    return {
      outputSize: this.decoder.outputSize,
      zeroState: () => {
        throw new InvalidArgumentError('Seq2Seq: an attention decoder starts from its encoder (use translate)');
      },
      step: (ids, state) => this.#step(ids, state),
    };
  }

  /**
   * The decoding state of B sequences from the encoder's outputs `enc` (`[S, B, H]`) and final
   * state (per stacked layer `[B, H]`): copies, owned by the state.
   */
  startState(enc: Float32Array, srcLen: number, lengths: Uint32Array, encState: Encoded): AttentionState {
    const join = (parts: readonly Float32Array[]) => {
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) (out.set(p, at), (at += p.length));
      return out;
    };
    const c = encState.c.length > 0 ? join(encState.c) : undefined;
    return new AttentionState(enc.slice(), srcLen, lengths.slice(), join(encState.h), c, this.#hidden, this.#layers);
  }

  /** Host arrays into the workspace buffer `name`. */
  #load(name: string, data: Float32Array): Float32Buffer {
    const b = this.#ws.get(name, data.length);
    b.write(data);
    return b;
  }

  #step(ids: ArrayLike<number>, state: AttentionState): Float32Array {
    const b = state.batch;
    const shape: AttentionShape = { srcLen: state.srcLen, tgtLen: 1, batch: b };
    const tokens = this.embedding.ids(ids, 'Seq2Seq.translate');
    const emb = this.#ws.get('emb', b * this.embedding.dim);
    this.embedding.forward(tokens, emb);
    const n = this.#layers * b * this.#hidden;
    const h = this.#ws.get('step.h', n);
    h.write(state.h);
    const c = state.c && this.#ws.get('step.c', n);
    c?.write(state.c!);
    const enc = this.#ws.get('step.enc', state.enc.length);
    const tape = this.attention.tape(this.#ws, shape);
    // The previous step of this state left its encoder outputs in `enc` and their keys in
    // the tape: neither is copied or computed again.
    const k = this.#kept;
    const keysReady = k !== undefined && k.state === state && k.version === state.version && k.enc === enc && k.tape === tape;
    if (!keysReady) enc.write(state.enc);
    const y = this.#ws.get('y', b * this.#hidden);
    this.#kept = undefined;
    this.attention.forward(shape, { enc, lengths: state.lengths, emb, h, c, y, tape, keysReady });
    this.#kept = { state, version: state.version, enc, tape };
    state.h.set(h.view().subarray(0, n));
    if (c) state.c!.set(c.view().subarray(0, n));
    return this.#logits(y, b);
  }

  /** The decoder's output layer on `rows` top-layer states `y`: logits `[rows, V]` (a copy). */
  #logits(y: Float32Buffer, rows: number): Float32Array {
    const dec = this.decoder.network;
    const out = dec.layers.at(-1)!.forward(dec.pass({ seqLen: 1, batch: rows, scores: 'logits' }), activation(y, rows, this.#hidden, true));
    return out.data.view().slice(0, rows * out.width);
  }

  /** Forgets the decoding state whose keys the step buffers hold (at the end of a decoding). */
  release(): void {
    this.#kept = undefined;
  }

  dispose(): void {
    this.#kept = undefined;
    this.#ws.dispose();
    this.embedding.dispose();
    this.attention.dispose();
  }
}

/**
 * A decoding state: per row, the encoder's outputs and valid length, and the decoder's
 * state `[L, B, H]` (host copies; a step copies them in and out). Rows follow a beam's parents
 * with `selectRows`.
 */
export class AttentionState {
  readonly batch: number;
  /** Counts the changes of `enc` (a decoding step's kept keys are those of one version). */
  version = 0;

  constructor(
    readonly enc: Float32Array,
    readonly srcLen: number,
    readonly lengths: Uint32Array,
    readonly h: Float32Array,
    readonly c: Float32Array | undefined,
    readonly hidden: number,
    readonly layers: number,
  ) {
    this.batch = lengths.length;
  }

  /** Row b takes row rows[b]'s values (the encoder's too, for rows that change source). */
  selectRows(rows: readonly number[]): void {
    const [B, H] = [this.batch, this.hidden];
    if (!Array.isArray(rows) || rows.length !== B || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= B)) {
      throw new InvalidArgumentError(`AttentionState.selectRows: argument \`rows\` expected ${B} integers in [0, ${B - 1}]`);
    }
    const pick = (v: Float32Array, blocks: number, width: number) => {
      const old = v.slice();
      for (let k = 0; k < blocks; k++) {
        for (let b = 0; b < B; b++) v.set(old.subarray((k * B + rows[b]!) * width, (k * B + rows[b]! + 1) * width), (k * B + b) * width);
      }
    };
    pick(this.h, this.layers, H);
    if (this.c) pick(this.c, this.layers, H);
    // A beam's rows follow parents of the same source: the encoder's rows then stay as they are.
    if (rows.some((r, b) => r !== b && !this.#sameSource(r, b))) {
      pick(this.enc, this.srcLen, H);
      const old = this.lengths.slice();
      rows.forEach((r, b) => (this.lengths[b] = old[r]!));
      this.version++;
    }
  }

  /** Whether rows `a` and `b` hold the same encoder outputs and length. */
  #sameSource(a: number, b: number): boolean {
    if (this.lengths[a] !== this.lengths[b]) return false;
    const [B, H] = [this.batch, this.hidden];
    for (let s = 0; s < this.srcLen; s++) {
      for (let j = 0; j < H; j++) if (this.enc[(s * B + a) * H + j] !== this.enc[(s * B + b) * H + j]) return false;
    }
    return true;
  }

  dispose(): void {}
}

/** A's value: the option (additive only), or the cell's units; refuses `cell.dropout` with attention. */
export function attentionSizeOf(op: string, attention: AttentionKind | undefined, size: number | undefined, cell: RecurrentConfig): number | undefined {
  if (attention !== undefined) {
    for (const name of ['dropout', 'inputDropout', 'recurrentDropout'] as const) {
      if ((cell[name] ?? 0) > 0) throw new InvalidArgumentError(`${op}: option \`cell.${name}\` must be 0 with \`attention\` (the attention decoder has no dropout), got ${cell[name]}`);
    }
  }
  if (attention !== 'additive') {
    if (size !== undefined) throw new InvalidArgumentError(`${op}: option \`attentionSize\` is for \`attention: 'additive'\` only, got attention ${String(attention)}`);
    return undefined;
  }
  return checkInt(op, 'attentionSize', size ?? cell.units, 1, 1 << 16);
}
