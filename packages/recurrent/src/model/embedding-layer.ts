/** Runtime of `embedding` and `oneHot`: token ids `[T*B]` to vectors `[T*B, dim]`. */
import type { Random } from '../data/random.js';
import type { Engine } from '../engine/engine.js';
import { checkTokenIds } from '../validate/index.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { normal } from './init.js';
import type { EmbeddingConfig, OneHotConfig } from './layers.js';
import { ownedTensor, type Param, type ParamGroup } from './param.js';

export class InputLayer {
  readonly vocabSize: number;
  /** The module name in parameter names (`embedding` by default; `oneHot`, which has none, for reports). */
  readonly name: string;
  /** Features per token produced. */
  readonly dim: number;
  readonly params: Param[] = [];
  readonly groups: ParamGroup[] = [];
  readonly #table: ParamGroup | undefined;

  constructor(
    readonly config: EmbeddingConfig | OneHotConfig,
    private readonly engine: Engine,
    rng: Random,
  ) {
    this.vocabSize = config.vocabSize;
    this.name = config.type === 'embedding' ? (config.name ?? 'embedding') : 'oneHot';
    if (config.type === 'embedding') {
      this.dim = config.dim;
      const values = new Float32Array(config.vocabSize * config.dim);
      normal(values, 1, rng);
      const { param, group } = ownedTensor(`${this.name}.weight`, [config.vocabSize, config.dim], values);
      this.#table = group;
      this.params.push(param);
      this.groups.push(group);
    } else {
      this.dim = config.vocabSize;
    }
  }

  /** Checks ids and converts them for the kernels. */
  ids(tokens: ArrayLike<number>, what: string): Uint32Array {
    return checkTokenIds(what, tokens, this.vocabSize);
  }

  /** `out[i] = vector of ids[i]`. */
  forward(ids: Uint32Array, out: Float32Buffer): void {
    if (this.#table) {
      const t = this.#table.value;
      this.engine.call((w) => w.embedding_forward(this.vocabSize, this.dim, ids, t.liveHandle(), out.liveHandle()));
      return;
    }
    const v = out.view();
    v.fill(0, 0, ids.length * this.dim);
    for (let i = 0; i < ids.length; i++) v[i * this.dim + ids[i]!] = 1;
  }

  /** Accumulates the table's gradient from `dout [N, dim]` (one-hot has nothing to learn). */
  backward(ids: Uint32Array, dout: Float32Buffer): void {
    if (!this.#table) return;
    const g = this.#table.grad;
    this.engine.call((w) => w.embedding_backward(this.vocabSize, this.dim, ids, dout.liveHandle(), g.liveHandle()));
  }

  dispose(): void {
    for (const g of this.groups) {
      g.value.dispose();
      g.grad.dispose();
    }
  }
}
