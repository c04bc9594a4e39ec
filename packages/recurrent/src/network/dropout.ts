/**
 * `dropout` as a layer (PyTorch `nn.Dropout`, inverted dropout): while training, each value is
 * zeroed with probability `rate` and the rest scaled by 1 / (1 - rate); in inference it passes
 * its input on unchanged. The mask is a function of the pass's seed and the layer's place
 * (the core's `dropout` kernel), so the backward pass applies the same mask to the gradient.
 */
import type { Engine } from '../engine/engine.js';
import type { DropoutConfig } from '../model/layers.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';

/** Keeps the masks of dropout layers apart from those between stacked recurrent layers (which use 0..63). */
const SEED_STREAM = 0x10000;

export class DropoutLayer implements Layer {
  readonly type = 'dropout';
  readonly params = [];
  readonly groups = [];
  readonly streamProblem = undefined;
  readonly name: string;
  readonly rate: number;

  constructor(
    config: DropoutConfig,
    readonly configIndex: number,
    readonly outputSize: number,
    private readonly engine: Engine,
  ) {
    this.rate = config.rate;
    this.name = `dropout_${configIndex}`;
  }

  get floatsPerPosition(): number {
    return this.outputSize;
  }

  #apply(pass: Pass, len: number, from: Activation, to: Activation['data']): void {
    const [p, hi, lo] = [this.rate, pass.seed >>> 0, SEED_STREAM + this.configIndex];
    this.engine.call((w) => w.dropout(len, from.data.liveHandle(), to.liveHandle(), p, hi, lo));
  }

  forward(pass: Pass, x: Activation): Activation {
    if (!pass.training || this.rate === 0) return x;
    const out = pass.ws.get(`${this.name}.y`, x.rows * x.width);
    this.#apply(pass, x.rows * x.width, x, out);
    return activation(out, x.rows, x.width, x.perStep);
  }

  backward(pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    if (!needInput) return undefined;
    if (pass.training && this.rate > 0) this.#apply(pass, x.rows * x.width, gy, gy.data);
    return activation(gy.data, x.rows, x.width, x.perStep);
  }

  dispose(): void {}
}
