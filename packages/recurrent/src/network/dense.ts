/** A `dense` layer in a network: `y = x W^T + b` on every row (each step, or each pooled sequence). */
import type { DenseLayer } from '../model/dense-layer.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';
import { Wrapped } from './wrapped.js';

export class DenseBlock extends Wrapped<DenseLayer> implements Layer {
  readonly floatsPerPosition = 0;
  readonly streamProblem = undefined;
  readonly type = 'dense';

  constructor(
    layer: DenseLayer,
    readonly configIndex: number,
    /** The network's output layer (only it computes `pass.scores`; a hidden one is always the linear map). */
    readonly isOutput = true,
  ) {
    super(layer);
  }

  get outputSize(): number {
    return this.layer.units;
  }

  forward(pass: Pass, x: Activation): Activation {
    const n = x.rows;
    const data = pass.ws.get(`${this.name}.y`, n * this.outputSize);
    if (pass.scores === undefined || !this.isOutput) this.layer.forward(n, x.data, data);
    else this.layer.logits(n, x.data, data, pass.scores === 'logSoftmax');
    return activation(data, n, this.outputSize, x.perStep);
  }

  backward(pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    const dx = needInput ? pass.ws.get(`${this.name}.gx`, x.rows * x.width) : undefined;
    this.layer.backward(x.rows, x.data, gy.data, dx);
    return dx && activation(dx, x.rows, x.width, x.perStep);
  }
}
