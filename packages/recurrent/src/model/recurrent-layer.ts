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

  /**
   * Forward over `x [T*B, in]` (time-major). Writes each stacked layer's output to the
   * workspace (`<name>.y<l>`) and returns the top one; `state` (if given) is the initial
   * state and receives the final one. With `training`, records for {@link backward} and
   * applies dropout between layers with `seed`.
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
  ): Float32Buffer {
    const rows = seqLen * batch;
    let input = x;
    this.stacks.forEach((stack, l) => {
      const y = ws.get(`${this.name}.y${l}`, rows * this.outputSize);
      const hN = ws.get(`${this.name}.hn${l}`, this.stateSize(batch));
      const cN = this.hasCell ? ws.get(`${this.name}.cn${l}`, this.stateSize(batch)) : undefined;
      stack.forwardInto({
        training,
        seqLen,
        batch,
        x: input,
        lengths,
        h0: state?.h[l],
        c0: state?.c[l],
        y,
        hN,
        cN,
      });
      if (state) {
        copyPrefix(hN, state.h[l]!, this.stateSize(batch));
        if (cN) copyPrefix(cN, state.c[l]!, this.stateSize(batch));
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

  /**
   * BPTT through every stacked layer of the last training forward. `gy` is dL/d(top output)
   * (it is overwritten as scratch); `ghn` (optional) dL/d(final state of the top layer).
   * Returns dL/dx in the workspace when `inputGradient`. `stepNorms` receives, per stacked
   * layer, `[D, T]` norms of dL/dh_t when given.
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
      this.stacks[l]!.backwardInto({
        gy: upstream,
        ghn: l === this.stacks.length - 1 ? ghn : undefined,
        gx,
        stepNorms: stepNorms?.[l],
      });
      if (gx) upstream = gx;
    }
    return inputGradient ? upstream : undefined;
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

function copyPrefix(from: Float32Buffer, to: Float32Buffer, n: number): void {
  to.view().set(from.view().subarray(0, n));
}
