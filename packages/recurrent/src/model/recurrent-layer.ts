/**
 * Runtime of `rnn` / `gru` / `lstm`: one core stack runs all `layers` stacked layers, with the
 * dropout between them and checkpointed BPTT inside the core (a training batch is one forward
 * and one backward call, whatever the depth, T or checkpoint plan). Parameter names are the
 * stack's own, PyTorch's (`weight_ih_l{k}`), so a checkpoint is a plain state dict.
 *
 * States are kept per stacked layer (`LayerState`, `StateGradients`, the `<name>.hn<l>`
 * workspace buffers), as callers use them; the core's are `[L*D, B, H]`, gathered and
 * scattered here (O(L*D*B*H) copies per batch, never per step).
 */
import type { Random } from '../data/random.js';
import { gateBlock, hasCellState } from '../core/cell-kinds.js';
import { RecurrentStack } from '../core/stack.js';
import type { Engine } from '../engine/engine.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { uniform } from './init.js';
import { cellKindOf, type RecurrentConfig, skipOf } from './layers.js';
import { fixedLeakRates } from './leak.js';
import type { Param, ParamGroup } from './param.js';
import type { Workspace } from './workspace.js';

/**
 * Carried state of one recurrent layer: per stacked layer, `h` and (LSTM) `c`, `[D, B, H]`, and
 * with a skip connection of delay d, `hist` `[d-1, B, H]`: the earlier states a streaming step
 * reads, oldest first (empty otherwise).
 */
export interface LayerState {
  h: Float32Buffer[];
  c: Float32Buffer[];
  hist: Float32Buffer[];
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
  /** The core stack that runs every stacked layer (one wasm object, one parameter group). */
  readonly stack: RecurrentStack;
  readonly params: Param[] = [];
  readonly groups: ParamGroup[] = [];
  readonly hiddenSize: number;
  /**
   * Width of `h` per direction: the LSTM projection's `projSize` (PyTorch `proj_size`), or
   * `hiddenSize` without one. The cell state `c` stays `hiddenSize` wide.
   */
  readonly stateWidth: number;
  readonly directions: number;
  readonly hasCell: boolean;
  readonly dropout: number;
  /** Variational dropout of each stacked layer's input, and of `h_{t-1}` in the recurrent matmul (training only). */
  readonly inputDropout: number;
  readonly recurrentDropout: number;
  readonly name: string;
  /** Stacked layers. */
  readonly layers: number;
  /** Delay of the skip connection through time, or 0. */
  readonly skip: number;
  /** The input of the last training forward when it checkpointed: its backward recomputes from it. */
  #checkpointed: Float32Buffer | undefined;

  /** `engine` is accepted for the callers that pass it; the stack runs on the loaded engine. */
  constructor(
    readonly config: RecurrentConfig,
    readonly index: number,
    readonly inputSize: number,
    rng: Random,
    engine?: Engine,
  ) {
    void engine;
    const kind = cellKindOf(config);
    this.hiddenSize = config.units;
    const projSize = config.type === 'lstm' ? (config.projSize ?? 0) : 0;
    this.stateWidth = projSize > 0 ? projSize : this.hiddenSize;
    this.directions = config.bidirectional ? 2 : 1;
    this.hasCell = hasCellState(kind);
    this.dropout = config.dropout ?? 0;
    this.inputDropout = config.inputDropout ?? 0;
    this.recurrentDropout = config.recurrentDropout ?? 0;
    this.name = config.name ?? (index === 0 ? 'rnn' : `rnn_${index}`);
    this.layers = config.layers ?? 1;
    this.skip = skipOf(config);
    const stack = new RecurrentStack({
      kind, inputSize, hiddenSize: this.hiddenSize, layers: this.layers, bidirectional: this.directions === 2,
      bias: config.bias ?? true,
      ...(this.skip > 0 ? { skip: this.skip } : {}),
      ...(projSize > 0 ? { projSize } : {}),
    });
    this.stack = stack;
    try {
      const bound = 1 / Math.sqrt(this.hiddenSize);
      // The forget gate's block in the cell kind table's gate order (none: no forget bias).
      const forget = config.type === 'lstm' && config.forgetBias !== undefined ? gateBlock(kind, 'f') : -1;
      const H = this.hiddenSize;
      const rates = fixedLeakRates(config);
      // Element ranges of the stack's buffer that the optimiser leaves alone.
      const frozen: [number, number][] = [];
      for (const p of stack.parameters()) {
        const values = new Float32Array(p.size);
        uniform(values, bound, rng);
        // Fixed leak rates are constants of the layer (no gradient reaches them), and no
        // optimiser step moves them either (no weight decay): PyTorch would keep them in a buffer.
        if (rates !== undefined && p.name.startsWith('leak_a')) {
          values.set(rates);
          frozen.push([p.offset, p.offset + p.size]);
        }
        if (forget >= 0 && p.name.startsWith('bias_')) {
          values.fill(p.name.startsWith('bias_ih') ? (config as { forgetBias: number }).forgetBias : 0, forget * H, (forget + 1) * H);
        }
        stack.setParameter(p.name, values);
        this.params.push({
          name: `${this.name}.${p.name}`,
          shape: p.shape,
          size: p.size,
          read: () => stack.getParameter(p.name),
          write: (data) => stack.setParameter(p.name, data),
          readGrad: () => stack.getGradient(p.name),
        });
      }
      frozen.sort((a, b) => a[0] - b[0]);
      this.groups.push({ value: stack.paramsBuffer, grad: stack.gradsBuffer, ...(frozen.length > 0 ? { frozen } : {}) });
    } catch (e) {
      stack.dispose();
      throw e;
    }
  }

  /**
   * One entry per stacked layer, each the one {@link RecurrentLayer.stack} that runs them all
   * (kept for callers that count stacked layers by it; prefer {@link RecurrentLayer.layers}).
   */
  get stacks(): readonly RecurrentStack[] {
    return Array.from({ length: this.layers }, () => this.stack);
  }

  /** Features per step of the output: directions x state width. */
  get outputSize(): number {
    return this.directions * this.stateWidth;
  }

  /** Floats in one `[D, B, P]` state `h` of one stacked layer (P: {@link stateWidth}). */
  stateSize(batch: number): number {
    return this.directions * batch * this.stateWidth;
  }

  /** Floats in one `[D, B, H]` cell state `c` of one stacked layer. */
  cellStateSize(batch: number): number {
    return this.directions * batch * this.hiddenSize;
  }

  /**
   * Forward over `x [T*B, in]` (time-major). Writes the top layer's output to the workspace
   * (`<name>.y`) and returns it, and each stacked layer's final states to `<name>.hn<l>` (and
   * `<name>.cn<l>`); `state` (if given) is the initial state and receives the final one. With
   * `training`, records for {@link backward} and drops out (between layers, and the
   * variational input and recurrent dropout) with `seed`. With
   * `checkpointEvery = k` (training, unidirectional layers, k < T), only the states at every
   * k-th step are kept and BPTT recomputes the rest: the tape then holds k steps instead of T.
   * `x` must then stay unchanged until {@link backward}.
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
    const n = this.stateSize(batch);
    const nc = this.cellStateSize(batch);
    const y = ws.get(`${this.name}.y`, seqLen * batch * this.outputSize);
    const hN = ws.get(`${this.name}.hn`, this.layers * n);
    const cN = this.hasCell ? ws.get(`${this.name}.cn`, this.layers * nc) : undefined;
    const h0 = state ? gather(ws, `${this.name}.h0`, state.h, n) : undefined;
    const c0 = state && this.hasCell ? gather(ws, `${this.name}.c0`, state.c, nc) : undefined;
    const k = training && checkpointEvery > 0 && checkpointEvery < seqLen && this.directions === 1 ? checkpointEvery : 0;
    this.stack.forwardInto({
      training, seqLen, batch, x, lengths, h0, c0, y, hN, cN,
      dropout: training ? this.dropout : 0, seed, checkpointEvery: k,
      inputDropout: training ? this.inputDropout : 0, recurrentDropout: training ? this.recurrentDropout : 0,
    });
    this.#checkpointed = k > 0 ? x : undefined;
    for (let l = 0; l < this.layers; l++) {
      copy(hN, l * n, ws.get(`${this.name}.hn${l}`, n), 0, n);
      if (cN) copy(cN, l * nc, ws.get(`${this.name}.cn${l}`, nc), 0, nc);
    }
    if (state) {
      scatter(hN, state.h, n);
      if (cN) scatter(cN, state.c, nc);
      // The next forward takes its skip history from its initial state (the forward's rule);
      // a step after this forward does the same.
      this.startHistory(state);
    }
    return y;
  }

  /**
   * BPTT through every stacked layer of the last training forward. `gy` is dL/d(top output);
   * `ghn` (optional) dL/d(final state of the top layer). Returns dL/dx in the workspace when
   * `inputGradient`. `stepNorms` receives, per stacked layer, `[D, T]` norms of dL/dh_t when
   * given. `states` passes gradients of the final states in and takes those of the initial
   * states out. (`seed` is the forward's: the core keeps the dropout masks' seed itself.)
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
    void seed;
    const n = this.stateSize(batch);
    const nc = this.cellStateSize(batch);
    const L = this.layers;
    const top = [...(states?.ghn ?? [])];
    if (ghn) top[L - 1] = ghn;
    const ghnAll = gatherOptional(ws, `${this.name}.ghn`, top, n, L);
    const gcnAll = this.hasCell ? gatherOptional(ws, `${this.name}.gcn`, states?.gcn ?? [], nc, L) : undefined;
    const wantH0 = states?.gh0?.some(Boolean) ?? false;
    const wantC0 = this.hasCell && (states?.gc0?.some(Boolean) ?? false);
    const gh0 = wantH0 ? ws.get(`${this.name}.gh0`, L * n) : undefined;
    const gc0 = wantC0 ? ws.get(`${this.name}.gc0`, L * nc) : undefined;
    const norms = stepNorms ? ws.get(`${this.name}.norms`, L * this.directions * seqLen) : undefined;
    const gx = inputGradient ? ws.get(`${this.name}.gx`, seqLen * batch * this.inputSize) : undefined;
    this.stack.backwardInto({ gy, ghn: ghnAll, gcn: gcnAll, gx, gh0, gc0, stepNorms: norms, x: this.#checkpointed });
    this.#checkpointed = undefined;
    if (gh0 && states?.gh0) scatter(gh0, states.gh0, n);
    if (gc0 && states?.gc0) scatter(gc0, states.gc0, nc);
    if (norms && stepNorms) scatter(norms, stepNorms, this.directions * seqLen);
    return gx;
  }

  /** Floats held by the training tapes of this layer's stack (per-step records and scratch). */
  get tapeFloats(): number {
    return this.stack.tapeFloats;
  }

  /** Floats of the states kept every `checkpointEvery` steps by a checkpointed training forward. */
  get checkpointFloats(): number {
    return this.stack.checkpointFloats;
  }

  /** One streaming step for `batch` rows: `x [B, in]` to `y [B, P]` with `state` updated. */
  step(ws: Workspace, batch: number, x: Float32Buffer, state: LayerState): Float32Buffer {
    const n = batch * this.stateWidth;
    const nc = batch * this.hiddenSize;
    const y = ws.get(`${this.name}.step`, n);
    if (this.layers === 1) {
      // One layer: its state buffers are the core's `[1, B, H]` (and `[1, d-1, B, H]`) already.
      this.stack.stepInto(batch, x, state.h[0]!, this.hasCell ? state.c[0] : undefined, y, state.hist[0]);
      return y;
    }
    const h = gather(ws, `${this.name}.step.h`, state.h, n);
    const c = this.hasCell ? gather(ws, `${this.name}.step.c`, state.c, nc) : undefined;
    const hn = this.historySize(batch);
    const hist = this.skip > 0 ? gather(ws, `${this.name}.step.hist`, state.hist, hn) : undefined;
    this.stack.stepInto(batch, x, h, c, y, hist);
    scatter(h, state.h, n);
    if (c) scatter(c, state.c, nc);
    if (hist) scatter(hist, state.hist, hn);
    return y;
  }

  /** Floats of one stacked layer's skip history `[d-1, B, H]` (0 without a skip connection). */
  historySize(batch: number): number {
    return Math.max(0, this.skip - 1) * batch * this.hiddenSize;
  }

  /**
   * Sets each stacked layer's skip history to copies of its `h`: every state before the next
   * step is that state, the forward's rule for states before the first step. (Only
   * unidirectional layers step; a bidirectional one keeps no history.)
   */
  startHistory(state: LayerState): void {
    state.hist.forEach((hist, l) => {
      const h = state.h[l]!.view();
      const v = hist.view();
      for (let at = 0; at + h.length <= v.length; at += h.length) v.set(h, at);
    });
  }

  /** Zero state for `batch` sequences (buffers owned by the caller). */
  zeroState(batch: number, alloc: (size: number) => Float32Buffer): LayerState {
    const n = this.stateSize(batch);
    const nc = this.cellStateSize(batch);
    const streams = this.skip > 0 && this.directions === 1;
    return {
      h: Array.from({ length: this.layers }, () => alloc(n)),
      c: this.hasCell ? Array.from({ length: this.layers }, () => alloc(nc)) : [],
      hist: streams ? Array.from({ length: this.layers }, () => alloc(this.historySize(batch))) : [],
    };
  }

  dispose(): void {
    this.stack.dispose();
  }
}

/** Copies `n` floats from `from[fromAt..]` to `to[toAt..]` (both in wasm memory). */
function copy(from: Float32Buffer, fromAt: number, to: Float32Buffer, toAt: number, n: number): void {
  to.view().set(from.view().subarray(fromAt, fromAt + n), toAt);
}

/** The per-layer buffers `parts` (`n` floats each) one after the other in the workspace buffer `name`. */
function gather(ws: Workspace, name: string, parts: readonly Float32Buffer[], n: number): Float32Buffer {
  const out = ws.get(name, parts.length * n);
  parts.forEach((p, l) => copy(p, 0, out, l * n, n));
  return out;
}

/** Like {@link gather} for optional parts (missing ones are zeros); `undefined` when none is given. */
function gatherOptional(ws: Workspace, name: string, parts: readonly (Float32Buffer | undefined)[], n: number, layers: number): Float32Buffer | undefined {
  if (!parts.some(Boolean)) return undefined;
  const out = ws.zeros(name, layers * n);
  parts.forEach((p, l) => {
    if (p && l < layers) copy(p, 0, out, l * n, n);
  });
  return out;
}

/** The inverse of {@link gather}: `n` floats of `from` per part, into each given part. */
function scatter(from: Float32Buffer, parts: readonly (Float32Buffer | undefined)[], n: number): void {
  parts.forEach((p, l) => {
    if (p) copy(from, l * n, p, 0, n);
  });
}
