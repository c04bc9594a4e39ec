/**
 * The `activation` of a `dense` layer as a layer of its own, after the dense one: relu, gelu
 * (the exact, erf form: PyTorch's `nn.GELU()` default), tanh, sigmoid, softmax over each row.
 * Computed by the core (`train::activation`), one call per batch and pass: each element in
 * float64, rounded once, the same on every build. A loss that reads logits (cross-entropy,
 * binary cross-entropy) computes from the dense layer's output and skips a trailing softmax or
 * sigmoid, which then serves inference (`predict` returns probabilities), as a Keras model
 * compiled with `from_logits=False` does.
 */
import type { Engine } from '../engine/engine.js';
import type { ActivationKind } from '../model/layers.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';

/** The kernel's code of each activation (`crates/recurrent-wasm/src/elementwise.rs`). */
const CODE: Readonly<Record<Exclude<ActivationKind, 'linear'>, number>> = { relu: 0, gelu: 1, tanh: 2, sigmoid: 3, softmax: 4 };

export class ActivationLayer implements Layer {
  readonly type = 'activation';
  readonly configIndex = undefined;
  readonly params = [];
  readonly groups = [];
  readonly streamProblem = undefined;

  constructor(
    readonly kind: Exclude<ActivationKind, 'linear'>,
    /** The dense layer's name (`fc`): this stage is `fc.<kind>`. */
    owner: string,
    readonly outputSize: number,
    private readonly engine: Engine,
  ) {
    this.name = `${owner}.${kind}`;
  }

  readonly name: string;

  get floatsPerPosition(): number {
    return this.outputSize;
  }

  forward(pass: Pass, x: Activation): Activation {
    const out = pass.ws.get(`${this.name}.y`, x.rows * x.width);
    this.engine.call((w) => w.activation_forward(CODE[this.kind], x.rows, x.width, x.data.liveHandle(), out.liveHandle()));
    return activation(out, x.rows, x.width, x.perStep);
  }

  /** dL/dx, written over `gy` (a layer may use it as scratch). */
  backward(_pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    if (!needInput) return undefined;
    this.engine.call((w) => w.activation_backward(CODE[this.kind], x.rows, x.width, x.data.liveHandle(), gy.data.liveHandle()));
    return activation(gy.data, x.rows, x.width, x.perStep);
  }

  dispose(): void {}
}
