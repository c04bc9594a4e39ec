/**
 * `ModelState`: the recurrent state of a model for a batch of sequences — per recurrent
 * layer and stacked layer, `h` (and `c` for the LSTM family) `[D, B, H]` — in wasm memory.
 * Used for streaming steps, for truncated BPTT between batches, and to give a starting state.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkFinite } from '../validate/index.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';
import type { LayerState, RecurrentLayer } from './recurrent-layer.js';

/**
 * A copy of one recurrent layer's state: arrays per stacked layer, each `[D, B, H]`; for a
 * unidirectional `rnn({ skip: d })` layer also `hist`, per stacked layer `[d-1, B, H]`: the
 * earlier states its next streaming step reads, oldest first.
 */
export interface LayerStateArrays {
  h: Float32Array[];
  c: Float32Array[];
  hist?: Float32Array[];
}

export class ModelState extends Owned {
  /** @internal */ readonly layers: LayerState[];
  readonly #buffers: Float32Buffer[] = [];

  /** @internal Use `model.zeroState(batch)`. */
  constructor(
    /** @internal */ readonly owner: object,
    private readonly recurrent: readonly RecurrentLayer[],
    /** Sequences B this state is for. */
    readonly batchSize: number,
  ) {
    super('ModelState');
    const alloc = (n: number) => {
      const b = new Float32Buffer(n);
      this.#buffers.push(b);
      return b;
    };
    this.layers = recurrent.map((r) => r.zeroState(batchSize, alloc));
  }

  /** @internal Checked access for the model that made it. */
  use(owner: object, batch: number, what: string): LayerState[] {
    this.live();
    if (owner !== this.owner) throw new InvalidArgumentError(`${what}: this state belongs to another model`);
    if (batch !== this.batchSize) {
      throw new InvalidArgumentError(`${what}: the state is for ${this.batchSize} sequences, the batch has ${batch}`);
    }
    return this.layers;
  }

  /** Sets every value to zero. */
  reset(): void {
    this.live();
    for (const b of this.#buffers) b.view().fill(0);
  }

  /** A copy of recurrent layer `index`'s state. */
  get(index: number): LayerStateArrays {
    this.live();
    const l = this.#layer(index);
    const out: LayerStateArrays = { h: l.h.map((b) => b.read()), c: l.c.map((b) => b.read()) };
    if (l.hist.length > 0) out.hist = l.hist.map((b) => b.read());
    return out;
  }

  /**
   * Overwrites recurrent layer `index`'s state (each `h` array `[D, B, P]`, P the layer's
   * `projSize` or else its units H; each `c` array `[D, B, H]`; finite values). Every
   * given array is checked before any is written: on a bad argument the state is unchanged.
   * For a layer with a skip connection, `h` given without `hist` also sets the history to
   * copies of `h` (every earlier state is the given one, as before a sequence's first step).
   */
  set(index: number, value: Partial<LayerStateArrays>): void {
    this.live();
    if (typeof value !== 'object' || value === null) {
      throw new InvalidArgumentError(`ModelState.set: argument \`value\` expected { h?, c?, hist? }, got ${value === null ? 'null' : typeof value}`);
    }
    const l = this.#layer(index);
    const r = this.recurrent[index]!;
    const histSize = r.historySize(this.batchSize);
    const checked = (kind: 'h' | 'c' | 'hist', into: Float32Buffer[], from: Float32Array[] | undefined): [Float32Buffer, Float32Array][] => {
      if (from === undefined) return [];
      if (kind === 'hist' && into.length === 0) {
        throw new InvalidArgumentError('ModelState.set: `hist` is only for a unidirectional rnn layer with a skip connection');
      }
      // `h` is P wide (the projection, else H), `c` and the skip history H wide.
      const n = kind === 'hist' ? histSize : kind === 'h' ? r.stateSize(this.batchSize) : r.cellStateSize(this.batchSize);
      const width = kind === 'h' ? r.stateWidth : r.hiddenSize;
      const shape = kind === 'hist' ? `[${r.skip - 1}, ${this.batchSize}, ${width}]` : `[${r.directions}, ${this.batchSize}, ${width}]`;
      if (!Array.isArray(from) || from.length !== into.length) {
        throw new InvalidArgumentError(`ModelState.set: \`${kind}\` expected ${into.length} arrays (one per stacked layer), got ${Array.isArray(from) ? from.length : typeof from}`);
      }
      return from.map((a, i) => {
        if (!(a instanceof Float32Array) || a.length !== n) {
          throw new InvalidArgumentError(`ModelState.set: \`${kind}[${i}]\` expected a Float32Array of ${shape} (${n} values)`);
        }
        checkFinite('ModelState.set', `\`${kind}[${i}]\``, a);
        return [into[i]!, a];
      });
    };
    // Every kind is checked before any is written.
    const writes = [...checked('h', l.h, value.h), ...checked('c', l.c, value.c), ...checked('hist', l.hist, value.hist)];
    for (const [into, a] of writes) into.write(a);
    if (value.h !== undefined && value.hist === undefined) r.startHistory(l);
  }

  /**
   * Reorders the sequences in place: afterwards sequence `b` holds what sequence `rows[b]`
   * held (rows may repeat; B entries in [0, B)). Beam search uses it to follow each kept
   * hypothesis's parent.
   */
  selectRows(rows: readonly number[]): void {
    this.live();
    const B = this.batchSize;
    if (!Array.isArray(rows) || rows.length !== B || !rows.every((r) => Number.isInteger(r) && r >= 0 && r < B)) {
      throw new InvalidArgumentError(`ModelState.selectRows: argument \`rows\` expected ${B} integers in [0, ${B - 1}]`);
    }
    this.layers.forEach((l, i) => {
      const r = this.recurrent[i]!;
      const parts = [...l.h.map((b) => [b, r.stateWidth] as const), ...[...l.c, ...l.hist].map((b) => [b, r.hiddenSize] as const)];
      for (const [buf, H] of parts) {
        const from = buf.read();
        const to = new Float32Array(from.length);
        // Blocks of B rows: the directions of h and c, the earlier states of hist.
        for (let d = 0; d < from.length / (B * H); d++) {
          for (let b = 0; b < B; b++) to.set(from.subarray((d * B + rows[b]!) * H, (d * B + rows[b]! + 1) * H), (d * B + b) * H);
        }
        buf.write(to);
      }
    });
  }

  #layer(index: number): LayerState {
    const l = this.layers[index];
    if (!l) throw new InvalidArgumentError(`ModelState: argument \`index\` (a recurrent layer) expected an integer in [0, ${this.layers.length - 1}], got ${String(index)}`);
    return l;
  }

  protected free(): void {
    for (const b of this.#buffers) b.dispose();
  }
}
