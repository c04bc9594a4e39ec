/**
 * Runtime of the attention of an attention decoder (issue 15; the core's
 * `rnn/attention`): its parameters (d2l's names, `attention.W_k.weight`, `attention.W_q.weight`,
 * `attention.w_v.weight` for additive scores, `attention.W_q.weight` for the scaled dot
 * product) in one flat group, and the two kernel calls over a decoder stack whose layer 0
 * reads `[context; embedding]`: every target step forward, or BPTT through all of them into
 * the encoder's outputs and the initial state.
 */
import type { Random } from '../data/random.js';
import type { Engine } from '../engine/engine.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { uniform } from './init.js';
import type { Param, ParamGroup } from './param.js';
import type { RecurrentLayer } from './recurrent-layer.js';
import type { Workspace } from './workspace.js';

/** How a decoder state scores an encoder output. */
export type AttentionKind = 'additive' | 'dot';

/** The sizes of one call: source steps S, target steps T, sequences B. */
export interface AttentionShape {
  srcLen: number;
  tgtLen: number;
  batch: number;
}

/** The core's codes of the kinds. */
const CODES: Readonly<Record<AttentionKind, number>> = { additive: 0, dot: 1 };

export class AttentionDecoder {
  readonly params: Param[] = [];
  readonly groups: ParamGroup[] = [];
  /** The attention's width A (H for `dot`). */
  readonly size: number;
  readonly #value: Float32Buffer;
  readonly #grad: Float32Buffer;
  readonly #code: number;

  /**
   * The attention over `decoder` (its stack's layer 0 reads `hidden + embed` features).
   * Parameters are drawn as PyTorch's `nn.Linear` default: U(±1/sqrt(fan_in)).
   */
  constructor(
    readonly kind: AttentionKind,
    size: number,
    readonly embed: number,
    readonly decoder: RecurrentLayer,
    private readonly engine: Engine,
    rng: Random,
  ) {
    const h = decoder.hiddenSize;
    this.size = kind === 'dot' ? h : size;
    this.#code = CODES[kind];
    const a = this.size;
    const handle = decoder.stack.handle;
    const len = engine.call((w) => w.attn_param_len(handle, this.#code, a, embed));
    const tensors: [string, number[], number][] =
      kind === 'additive'
        ? [
            ['W_k.weight', [a, h], 1 / Math.sqrt(h)],
            ['W_q.weight', [a, h], 1 / Math.sqrt(h)],
            ['w_v.weight', [1, a], 1 / Math.sqrt(a)],
          ]
        : [['W_q.weight', [h, h], 1 / Math.sqrt(h)]];
    const init = new Float32Array(len);
    let offset = 0;
    const layout = tensors.map(([name, shape, bound]) => {
      const size = shape[0]! * shape[1]!;
      uniform(init.subarray(offset, offset + size), bound, rng);
      const at = { name: `attention.${name}`, shape, size, offset };
      offset += size;
      return at;
    });
    this.#value = Float32Buffer.from(init);
    this.#grad = new Float32Buffer(len);
    this.groups.push({ value: this.#value, grad: this.#grad });
    for (const t of layout) {
      const [value, grad] = [this.#value, this.#grad];
      this.params.push({
        name: t.name,
        shape: t.shape,
        size: t.size,
        read: () => value.read().slice(t.offset, t.offset + t.size),
        write: (data) => value.write(data, t.offset),
        readGrad: () => grad.read().slice(t.offset, t.offset + t.size),
      });
    }
  }

  /** Floats of the tape of a call of `shape`. */
  tapeLength(s: AttentionShape): number {
    const handle = this.decoder.stack.handle;
    return this.engine.call((w) => w.attn_tape_len(handle, this.#code, this.size, this.embed, s.srcLen, s.tgtLen, s.batch));
  }

  /**
   * Every target step: `enc` `[S, B, H]` the encoder's outputs (time-major), `lengths` the
   * valid source length of each sequence, `emb` `[T, B, E]`; `h` (`c`) `[L, B, H]` the initial
   * state in, the final one out; `y` `[T, B, H]`, `alpha` `[T, B, S]` (when given) out.
   * `keysReady`: the tape holds the additive keys of this `enc` from the previous call of the
   * same shape (decoding step by step), which are then not computed again.
   */
  forward(s: AttentionShape, io: { enc: Float32Buffer; lengths: Uint32Array; emb: Float32Buffer; h: Float32Buffer; c?: Float32Buffer | undefined; y: Float32Buffer; alpha?: Float32Buffer | undefined; tape: Float32Buffer; keysReady?: boolean }): void {
    const handle = this.decoder.stack.handle;
    const v = this.#value.liveHandle();
    this.engine.call((w) =>
      w.attn_forward(
        handle, this.#code, this.size, this.embed, s.srcLen, s.tgtLen, s.batch, io.lengths, v,
        io.enc.liveHandle(), io.emb.liveHandle(), io.h.liveHandle(), io.c?.liveHandle() ?? 0, io.y.liveHandle(), io.alpha?.liveHandle() ?? 0, io.tape.liveHandle(), io.keysReady ?? false,
      ),
    );
  }

  /**
   * BPTT after {@link AttentionDecoder.forward} with the same shape, `enc`, `lengths` and tape:
   * accumulates the stack's and the attention's parameter gradients; writes `gEnc` `[S, B, H]`,
   * `gEmb` `[T, B, E]`, `gh0` (`gc0`) `[L, B, H]`.
   */
  backward(s: AttentionShape, io: { enc: Float32Buffer; lengths: Uint32Array; tape: Float32Buffer; gy: Float32Buffer; gEnc: Float32Buffer; gEmb: Float32Buffer; gh0: Float32Buffer; gc0?: Float32Buffer | undefined }): void {
    const handle = this.decoder.stack.handle;
    const v = this.#value.liveHandle();
    const g = this.#grad.liveHandle();
    this.engine.call((w) =>
      w.attn_backward(
        handle, this.#code, this.size, this.embed, s.srcLen, s.tgtLen, s.batch, io.lengths, v,
        io.enc.liveHandle(), io.tape.liveHandle(), io.gy.liveHandle(), g, io.gEnc.liveHandle(), io.gEmb.liveHandle(), io.gh0.liveHandle(), io.gc0?.liveHandle() ?? 0,
      ),
    );
  }

  /** The tape of `s` in `ws` (grown when needed). */
  tape(ws: Workspace, s: AttentionShape): Float32Buffer {
    return ws.get('attn.tape', this.tapeLength(s));
  }

  dispose(): void {
    this.#value.dispose();
    this.#grad.dispose();
  }
}
