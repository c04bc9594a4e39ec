/**
 * Runtime of `rnn` / `gru` / `lstm`: `layers` single-layer core stacks, so dropout can sit
 * between them; parameter names are mapped back to PyTorch's (`weight_ih_l{i}`), so a
 * checkpoint is a plain state dict. Each stack runs a whole sequence per call.
 */
import type { Random } from '../data/random.js';
import { hasCellState, RecurrentStack } from '../core/stack.js';
import type { Engine } from '../engine/engine.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { uniform } from './init.js';
import { cellKindOf, type RecurrentConfig } from './layers.js';
import type { Param, ParamGroup } from './param.js';
import type { Workspace } from './workspace.js';

/** Carried state of one recurrent layer: per stacked layer, `h` and (LSTM) `c`, `[D, B, H]`. */
export interface LayerState {
  h: Float32Buffer[];
  c: Float32Buffer[];
}

/**
 * Gradients with respect to a layer's final and initial states, per stacked layer, each
 * `[D, B, H]` (what an encoder-decoder needs: the decoder's dL/dh0 is the encoder's dL/dh_n).
 * Missing entries count as zero (inputs) or are not computed (outputs).
 */
export interface StateGradients {
  /** In: dL/d(final h) per stacked layer (for the top layer, instead of `backward`'s `ghn`). */
  ghn?: readonly (Float32Buffer | undefined)[];
  /** In: dL/d(final c) per stacked layer (LSTM family). */
  gcn?: readonly (Float32Buffer | undefined)[];
  /** Out: receive dL/d(initial h) per stacked layer. */
  gh0?: readonly (Float32Buffer | undefined)[];
  /** Out: receive dL/d(initial c) per stacked layer (LSTM family). */
  gc0?: readonly (Float32Buffer | undefined)[];
}

export class RecurrentLayer {
  readonly stacks: RecurrentStack[] = [];
  readonly params: Param[] = [];
  readonly groups: ParamGroup[] = [];
  readonly hiddenSize: number;
  readonly directions: number;
  readonly hasCell: boolean;
  readonly dropout: number;
  readonly name: string;

  constructor(
    readonly config: RecurrentConfig,
    readonly index: number,
    readonly inputSize: number,
    rng: Random,
    private readonly engine: Engine,
  ) {
    const kind = cellKindOf(config);
    this.hiddenSize = config.units;
    this.directions = config.bidirectional ? 2 : 1;
    this.hasCell = hasCellState(kind);
    this.dropout = config.dropout ?? 0;
    this.name = config.name ?? (index === 0 ? 'rnn' : `rnn_${index}`);
    const layers = config.layers ?? 1;
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (let l = 0; l < layers; l++) {
      const stack = new RecurrentStack({
        kind,
        inputSize: l === 0 ? inputSize : this.outputSize,
        hiddenSize: this.hiddenSize,
        bidirectional: this.directions === 2,
      });
      this.stacks.push(stack);
      for (const p of stack.parameters()) {
        const values = new Float32Array(p.size);
        uniform(values, bound, rng);
        if (config.type === 'lstm' && config.forgetBias !== undefined && p.name.startsWith('bias_')) {
          // Gate order i, f, g, o: the forget block is rows [H, 2H).
          values.fill(p.name.startsWith('bias_ih') ? config.forgetBias : 0, this.hiddenSize, 2 * this.hiddenSize);
        }
        stack.setParameter(p.name, values);
        this.params.push({
          name: `${this.name}.${p.name.replace('_l0', `_l${l}`)}`,
          shape: p.shape,
          size: p.size,
          read: () => stack.getParameter(p.name),
          write: (data) => stack.setParameter(p.name, data),
          readGrad: () => stack.getGradient(p.name),
        });
      }
      this.groups.push({ value: stack.paramsBuffer, grad: stack.gradsBuffer });
    }
  }

  /** Features per step of the output: directions x hidden size. */
  get outputSize(): number {
    return this.directions * this.hiddenSize;
  }

  /** Floats in one `[D, B, H]` state of one stacked layer. */
  stateSize(batch: number): number {
    return this.directions * batch * this.hiddenSize;
  }

  /** Per stacked layer: the segment plan of the last checkpointed training forward. */
  #checkpoints: (Checkpoint | undefined)[] = [];

  /**
   * Forward over `x [T*B, in]` (time-major). Writes each stacked layer's output to the
   * workspace (`<name>.y<l>`) and returns the top one; `state` (if given) is the initial
   * state and receives the final one. With `training`, records for {@link backward} and
   * applies dropout between layers with `seed`. With `checkpointEvery = k` (training,
   * unidirectional layers), only the states at every k-th step are kept and BPTT recomputes
   * each segment's activations from them: the tape then holds k steps instead of T.
   */
  forward(
    ws: Workspace,
    seqLen: number,
    batch: number,
    x: Float32Buffer,
    lengths: Uint32Array,
    state: LayerState | undefined,
    training: boolean,
    seed: number,
    checkpointEvery = 0,
  ): Float32Buffer {
    const rows = seqLen * batch;
    let input = x;
    this.#checkpoints = [];
    this.stacks.forEach((stack, l) => {
      const y = ws.get(`${this.name}.y${l}`, rows * this.outputSize);
      const hN = ws.get(`${this.name}.hn${l}`, this.stateSize(batch));
      const cN = this.hasCell ? ws.get(`${this.name}.cn${l}`, this.stateSize(batch)) : undefined;
      const h0 = state?.h[l];
      const c0 = state?.c[l];
      if (training && checkpointEvery > 0 && checkpointEvery < seqLen && this.directions === 1) {
        this.#checkpoints[l] = this.#forwardSegments(ws, l, seqLen, batch, input, lengths, h0, c0, y, hN, cN, checkpointEvery);
      } else {
        stack.forwardInto({ training, seqLen, batch, x: input, lengths, h0, c0, y, hN, cN });
      }
      if (state) {
        copyRows(hN, 0, state.h[l]!, 0, this.stateSize(batch));
        if (cN) copyRows(cN, 0, state.c[l]!, 0, this.stateSize(batch));
      }
      input = y;
      if (training && this.dropout > 0 && l + 1 < this.stacks.length) {
        const dropped = ws.get(`${this.name}.drop${l}`, rows * this.outputSize);
        this.engine.call((w) => w.dropout(rows * this.outputSize, y.liveHandle(), dropped.liveHandle(), this.dropout, seed >>> 0, l));
        input = dropped;
      }
    });
    return input;
  }

  /** Inference forward segment by segment, keeping the state at each segment's start. */
  #forwardSegments(
    ws: Workspace,
    l: number,
    seqLen: number,
    batch: number,
    x: Float32Buffer,
    lengths: Uint32Array,
    h0: Float32Buffer | undefined,
    c0: Float32Buffer | undefined,
    y: Float32Buffer,
    hN: Float32Buffer,
    cN: Float32Buffer | undefined,
    k: number,
  ): Checkpoint {
    const stack = this.stacks[l]!;
    const inSize = l === 0 ? this.inputSize : this.outputSize;
    const n = this.stateSize(batch);
    const segments: Segment[] = [];
    for (let t0 = 0; t0 < seqLen; t0 += k) {
      const s = segments.length;
      const h = ws.get(`${this.name}.ck${l}.h${s}`, n);
      const c = this.hasCell ? ws.get(`${this.name}.ck${l}.c${s}`, n) : undefined;
      segments.push({ t0, t1: Math.min(seqLen, t0 + k), h, c });
    }
    // Segment 0 starts from the given state (or zeros); each later one from the previous end.
    if (h0) copyRows(h0, 0, segments[0]!.h, 0, n);
    else segments[0]!.h.view().fill(0, 0, n);
    if (segments[0]!.c) {
      if (c0) copyRows(c0, 0, segments[0]!.c, 0, n);
      else segments[0]!.c.view().fill(0, 0, n);
    }
    const segX = ws.get(`${this.name}.seg.x`, k * batch * inSize);
    const segY = ws.get(`${this.name}.seg.y`, k * batch * this.outputSize);
    segments.forEach((seg, s) => {
      const len = seg.t1 - seg.t0;
      copyRows(x, seg.t0 * batch * inSize, segX, 0, len * batch * inSize);
      const next = segments[s + 1];
      stack.forwardInto({
        training: false,
        seqLen: len,
        batch,
        x: segX,
        lengths: segmentLengths(lengths, seg.t0, len),
        h0: seg.h,
        c0: seg.c,
        y: segY,
        hN: next ? next.h : hN,
        cN: next ? next.c : cN,
      });
      copyRows(segY, 0, y, seg.t0 * batch * this.outputSize, len * batch * this.outputSize);
    });
    return { segments, x, k, lengths };
  }

  /**
   * BPTT through every stacked layer of the last training forward. `gy` is dL/d(top output)
   * (it is overwritten as scratch); `ghn` (optional) dL/d(final state of the top layer).
   * Returns dL/dx in the workspace when `inputGradient`. `stepNorms` receives, per stacked
   * layer, `[D, T]` norms of dL/dh_t when given. `states` passes gradients of the final
   * states in and takes those of the initial states out.
   */
  backward(
    ws: Workspace,
    seqLen: number,
    batch: number,
    gy: Float32Buffer,
    ghn: Float32Buffer | undefined,
    inputGradient: boolean,
    seed: number,
    stepNorms?: Float32Buffer[],
    states?: StateGradients,
  ): Float32Buffer | undefined {
    const rows = seqLen * batch;
    let upstream = gy;
    for (let l = this.stacks.length - 1; l >= 0; l--) {
      if (l + 1 < this.stacks.length && this.dropout > 0) {
        // The mask is a function of the seed: applying the same dropout to the gradient
        // multiplies it by exactly the forward's mask and scale.
        this.engine.call((w) => w.dropout(rows * this.outputSize, upstream.liveHandle(), upstream.liveHandle(), this.dropout, seed >>> 0, l));
      }
      const wantX = l > 0 || inputGradient;
      const inSize = l === 0 ? this.inputSize : this.outputSize;
      const gx = wantX ? ws.get(`${this.name}.gx${l % 2}`, rows * inSize) : undefined;
      const top = (l === this.stacks.length - 1 ? ghn : undefined) ?? states?.ghn?.[l];
      const ends = { gcn: states?.gcn?.[l], gh0: states?.gh0?.[l], gc0: states?.gc0?.[l] };
      const checkpoint = this.#checkpoints[l];
      if (checkpoint) {
        this.#backwardSegments(ws, l, batch, checkpoint, upstream, top, gx, stepNorms?.[l], ends);
      } else {
        this.stacks[l]!.backwardInto({ gy: upstream, ghn: top, gx, stepNorms: stepNorms?.[l], ...ends });
      }
      if (gx) upstream = gx;
    }
    return inputGradient ? upstream : undefined;
  }

  /** BPTT over a checkpointed forward: recompute each segment from its saved state, last first. */
  #backwardSegments(
    ws: Workspace,
    l: number,
    batch: number,
    ck: Checkpoint,
    gy: Float32Buffer,
    ghn: Float32Buffer | undefined,
    gx: Float32Buffer | undefined,
    norms: Float32Buffer | undefined,
    ends: { gcn: Float32Buffer | undefined; gh0: Float32Buffer | undefined; gc0: Float32Buffer | undefined },
  ): void {
    const stack = this.stacks[l]!;
    const inSize = l === 0 ? this.inputSize : this.outputSize;
    const n = this.stateSize(batch);
    const k = ck.k;
    const segX = ws.get(`${this.name}.seg.x`, k * batch * inSize);
    const segY = ws.get(`${this.name}.seg.y`, k * batch * this.outputSize);
    const segGy = ws.get(`${this.name}.seg.gy`, k * batch * this.outputSize);
    const segGx = gx ? ws.get(`${this.name}.seg.gx`, k * batch * inSize) : undefined;
    const segNorms = norms ? ws.get(`${this.name}.seg.norms`, k) : undefined;
    const hN = ws.get(`${this.name}.seg.hn`, n);
    const cN = this.hasCell ? ws.get(`${this.name}.seg.cn`, n) : undefined;
    // dL/d(state at a segment boundary), carried from later segments to earlier ones.
    const carried = [ws.get(`${this.name}.seg.dh0`, n), ws.get(`${this.name}.seg.dh1`, n)];
    const carriedC = this.hasCell ? [ws.get(`${this.name}.seg.dc0`, n), ws.get(`${this.name}.seg.dc1`, n)] : undefined;
    if (ghn) copyRows(ghn, 0, carried[0]!, 0, n);
    else carried[0]!.view().fill(0, 0, n);
    if (carriedC && ends.gcn) copyRows(ends.gcn, 0, carriedC[0]!, 0, n);
    else carriedC?.[0]!.view().fill(0, 0, n);
    let flip = 0;
    for (let s = ck.segments.length - 1; s >= 0; s--, flip ^= 1) {
      const seg = ck.segments[s]!;
      const len = seg.t1 - seg.t0;
      copyRows(ck.x, seg.t0 * batch * inSize, segX, 0, len * batch * inSize);
      const lens = segmentLengths(ck.lengths, seg.t0, len);
      stack.forwardInto({ training: true, seqLen: len, batch, x: segX, lengths: lens, h0: seg.h, c0: seg.c, y: segY, hN, cN });
      copyRows(gy, seg.t0 * batch * this.outputSize, segGy, 0, len * batch * this.outputSize);
      stack.backwardInto({
        gy: segGy,
        ghn: carried[flip],
        gcn: carriedC?.[flip],
        gx: segGx,
        gh0: carried[flip ^ 1],
        gc0: carriedC?.[flip ^ 1],
        stepNorms: segNorms,
      });
      if (gx && segGx) copyRows(segGx, 0, gx, seg.t0 * batch * inSize, len * batch * inSize);
      if (norms && segNorms) copyRows(segNorms, 0, norms, seg.t0, len);
    }
    // The last segment written (segment 0's dL/d(initial state)) is at index `flip`.
    if (ends.gh0) copyRows(carried[flip]!, 0, ends.gh0, 0, n);
    if (ends.gc0 && carriedC) copyRows(carriedC[flip]!, 0, ends.gc0, 0, n);
  }

  /** Floats held by the training tapes of this layer's stacks. */
  get tapeFloats(): number {
    return this.stacks.reduce((n, s) => n + s.tapeFloats, 0);
  }

  /** One streaming step for `batch` rows: `x [B, in]` to `y [B, H]` with `state` updated. */
  step(ws: Workspace, batch: number, x: Float32Buffer, state: LayerState): Float32Buffer {
    let input = x;
    this.stacks.forEach((stack, l) => {
      const y = ws.get(`${this.name}.step${l}`, batch * this.hiddenSize);
      stack.stepInto(batch, input, state.h[l]!, state.c[l], y);
      input = y;
    });
    return input;
  }

  /** Zero state for `batch` sequences (buffers owned by the caller). */
  zeroState(batch: number, alloc: (size: number) => Float32Buffer): LayerState {
    const n = this.stateSize(batch);
    return {
      h: this.stacks.map(() => alloc(n)),
      c: this.hasCell ? this.stacks.map(() => alloc(n)) : [],
    };
  }

  dispose(): void {
    for (const s of this.stacks) s.dispose();
  }
}

/** One segment of a checkpointed forward: steps [t0, t1) and the state it starts from. */
interface Segment {
  t0: number;
  t1: number;
  h: Float32Buffer;
  c: Float32Buffer | undefined;
}

/** What BPTT needs to recompute a checkpointed forward. */
interface Checkpoint {
  segments: Segment[];
  /** The layer's input for all steps (kept by the caller until backward). */
  x: Float32Buffer;
  k: number;
  lengths: Uint32Array;
}

/** Copies `n` floats from `from[fromAt..]` to `to[toAt..]` (both in wasm memory). */
function copyRows(from: Float32Buffer, fromAt: number, to: Float32Buffer, toAt: number, n: number): void {
  to.view().set(from.view().subarray(fromAt, fromAt + n), toAt);
}

/** Lengths within a segment starting at step `t0` of `len` steps (0 = already ended). */
function segmentLengths(lengths: Uint32Array, t0: number, len: number): Uint32Array {
  if (lengths.length === 0) return lengths;
  return lengths.map((l) => Math.max(0, Math.min(len, l - t0)));
}
