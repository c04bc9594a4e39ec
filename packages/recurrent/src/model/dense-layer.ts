/** Runtime of `dense`: `y = x W^T + b`, fused with softmax cross-entropy for training. */
import type { Random } from '../data/random.js';
import type { Engine } from '../engine/engine.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import { uniform } from './init.js';
import type { DenseConfig } from './layers.js';
import { ownedTensor, type Param, type ParamGroup } from './param.js';

/** What one cross-entropy call measured. */
export interface XentStats {
  /** Weighted mean loss over counted rows. */
  loss: number;
  /** Counted rows. */
  rows: number;
  /** Counted rows whose arg-max is the target. */
  correct: number;
  /** Sum of the row weights (the rows counted, without weights). */
  weightSum: number;
}

export class DenseLayer {
  readonly weight: ParamGroup;
  /** Undefined with `bias: false`. */
  readonly bias: ParamGroup | undefined;
  readonly params: Param[];
  readonly groups: ParamGroup[];
  /** The module name in parameter names. Default `fc`. */
  readonly name: string;

  constructor(
    readonly config: DenseConfig,
    readonly inputSize: number,
    private readonly engine: Engine,
    rng: Random,
    /** Its place among the model's dense layers: the default names are `fc`, `fc_1`, `fc_2`... */
    index = 0,
  ) {
    this.name = config.name ?? (index === 0 ? 'fc' : `fc_${index}`);
    const name = this.name;
    const bound = 1 / Math.sqrt(inputSize);
    const w = new Float32Array(config.units * inputSize);
    uniform(w, bound, rng);
    const weight = ownedTensor(`${name}.weight`, [config.units, inputSize], w);
    this.weight = weight.group;
    if (config.bias === false) {
      // As nn.Linear(bias=False): no tensor, and nothing drawn for it.
      this.bias = undefined;
      this.params = [weight.param];
      this.groups = [weight.group];
      return;
    }
    const b = new Float32Array(config.units);
    uniform(b, bound, rng);
    let bias: ReturnType<typeof ownedTensor>;
    try {
      bias = ownedTensor(`${name}.bias`, [config.units], b);
    } catch (e) {
      weight.group.value.dispose();
      weight.group.grad.dispose();
      throw e;
    }
    this.bias = bias.group;
    this.params = [weight.param, bias.param];
    this.groups = [weight.group, bias.group];
  }

  get units(): number {
    return this.config.units;
  }

  /** Logits (or log-probabilities) `out [n, units]` of `x [n, in]`. */
  logits(n: number, x: Float32Buffer, out: Float32Buffer, logSoftmax = false): void {
    const [w, b] = [this.weight.value.liveHandle(), this.bias?.value.liveHandle() ?? 0];
    this.engine.call((e) => e.dense_logits(n, this.inputSize, this.units, x.liveHandle(), w, b, out.liveHandle(), logSoftmax));
  }

  /**
   * Softmax cross-entropy on `x [n, in]` with `targets`, and its gradients: dW, db
   * accumulated, `dx` overwritten (when given). `weights` (n floats; 0 = not counted) for
   * padded rows. `scratch` holds at least `n * units` floats.
   */
  xent(
    n: number,
    x: Float32Buffer,
    targets: Uint32Array,
    scratch: Float32Buffer,
    dx: Float32Buffer | undefined,
    weights?: Float32Buffer,
    logitsOut?: Float32Buffer,
    backward = true,
  ): XentStats {
    const [w, b] = [this.weight.value.liveHandle(), this.bias?.value.liveHandle() ?? 0];
    const r = this.engine.call((e) =>
      e.dense_xent(
        n, this.inputSize, this.units, x.liveHandle(), w, b, targets, weights?.liveHandle() ?? 0, -1, false,
        scratch.liveHandle(), logitsOut?.liveHandle() ?? 0,
        backward ? this.weight.grad.liveHandle() : 0, backward ? (this.bias?.grad.liveHandle() ?? 0) : 0,
        backward ? (dx?.liveHandle() ?? 0) : 0, false,
      ),
    );
    return { loss: r[0]!, rows: r[3]!, correct: r[4]!, weightSum: r[2]! };
  }

  /** `y [n, units] = x W^T + b`. */
  forward(n: number, x: Float32Buffer, y: Float32Buffer): void {
    const [w, b] = [this.weight.value.liveHandle(), this.bias?.value.liveHandle() ?? 0];
    this.engine.call((e) => e.dense_forward(n, this.inputSize, this.units, x.liveHandle(), w, b, y.liveHandle()));
  }

  /** Given `dy`: dW, db accumulated, `dx` overwritten (when given). */
  backward(n: number, x: Float32Buffer, dy: Float32Buffer, dx: Float32Buffer | undefined): void {
    const w = this.weight.value.liveHandle();
    this.engine.call((e) =>
      e.dense_backward(n, this.inputSize, this.units, x.liveHandle(), w, dy.liveHandle(), this.weight.grad.liveHandle(), this.bias?.grad.liveHandle() ?? 0, dx?.liveHandle() ?? 0, false),
    );
  }

  dispose(): void {
    for (const g of this.groups) {
      g.value.dispose();
      g.grad.dispose();
    }
  }
}
