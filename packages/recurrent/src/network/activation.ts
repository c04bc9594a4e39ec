/**
 * The `activation` of a `dense` layer as a layer of its own, after the dense one: relu, gelu
 * (the exact, erf form: PyTorch's `nn.GELU()` default), tanh, sigmoid, softmax over each row.
 * A few operations per element, in float64 on views of the wasm buffers (the same on every
 * build). A loss that reads logits (cross-entropy, binary cross-entropy) computes from the
 * dense layer's output and skips a trailing softmax or sigmoid, which then serves inference
 * (`predict` returns probabilities), as a Keras model compiled with `from_logits=False` does.
 */
import type { ActivationKind } from '../model/layers.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';

/** erf by Abramowitz and Stegun 7.1.26: |error| < 1.5e-7, about float32's resolution. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const SQRT1_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Element-wise: value and derivative at x. */
const ELEMENTWISE: Readonly<Record<Exclude<ActivationKind, 'linear' | 'softmax'>, (x: number) => readonly [number, number]>> = {
  relu: (x) => (x > 0 ? [x, 1] : [0, 0]),
  gelu: (x) => {
    const cdf = 0.5 * (1 + erf(x * Math.SQRT1_2));
    return [x * cdf, cdf + x * SQRT1_2PI * Math.exp(-0.5 * x * x)];
  },
  tanh: (x) => {
    const y = Math.tanh(x);
    return [y, 1 - y * y];
  },
  sigmoid: (x) => {
    const y = 1 / (1 + Math.exp(-x));
    return [y, y * (1 - y)];
  },
};

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
  ) {
    this.name = `${owner}.${kind}`;
  }

  readonly name: string;

  get floatsPerPosition(): number {
    return this.outputSize;
  }

  forward(pass: Pass, x: Activation): Activation {
    const out = pass.ws.get(`${this.name}.y`, x.rows * x.width);
    const xv = x.data.view();
    const yv = out.view();
    const w = x.width;
    if (this.kind === 'softmax') {
      for (let r = 0; r < x.rows; r++) {
        let max = -Infinity;
        for (let j = r * w; j < (r + 1) * w; j++) max = Math.max(max, xv[j]!);
        let sum = 0;
        for (let j = r * w; j < (r + 1) * w; j++) sum += Math.exp(xv[j]! - max);
        for (let j = r * w; j < (r + 1) * w; j++) yv[j] = Math.exp(xv[j]! - max) / sum;
      }
    } else {
      const f = ELEMENTWISE[this.kind];
      for (let j = 0; j < x.rows * w; j++) yv[j] = f(xv[j]!)[0];
    }
    return activation(out, x.rows, w, x.perStep);
  }

  /** dL/dx, written over `gy` (a layer may use it as scratch). */
  backward(_pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    if (!needInput) return undefined;
    const w = x.width;
    const xv = x.data.view();
    const g = gy.data.view();
    if (this.kind === 'softmax') {
      // dx = y (gy - <gy, y>), y recomputed from x.
      const y = new Float64Array(w);
      for (let r = 0; r < x.rows; r++) {
        const o = r * w;
        let max = -Infinity;
        for (let j = 0; j < w; j++) max = Math.max(max, xv[o + j]!);
        let sum = 0;
        for (let j = 0; j < w; j++) sum += y[j] = Math.exp(xv[o + j]! - max);
        let dot = 0;
        for (let j = 0; j < w; j++) dot += g[o + j]! * (y[j]! /= sum);
        for (let j = 0; j < w; j++) g[o + j] = y[j]! * (g[o + j]! - dot);
      }
    } else {
      const f = ELEMENTWISE[this.kind];
      for (let j = 0; j < x.rows * w; j++) g[j] = g[j]! * f(xv[j]!)[1];
    }
    return activation(gy.data, x.rows, w, x.perStep);
  }

  dispose(): void {}
}
