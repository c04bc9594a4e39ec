/**
 * `layerNorm` (PyTorch `nn.LayerNorm(width)`, `eps` 1e-5, elementwise affine): each row is
 * normalised to mean 0 and variance 1 (biased variance), then scaled by `weight` and shifted
 * by `bias` (initialised to 1 and 0). Row statistics are a few operations per element, in
 * float64 on views of the wasm buffers, the same on every build.
 */
import type { LayerNormConfig } from '../model/layers.js';
import { ownedTensor, type Param, type ParamGroup } from '../model/param.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';

const EPS = 1e-5;

export class LayerNormLayer implements Layer {
  readonly type = 'layerNorm';
  readonly streamProblem = undefined;
  readonly name: string;
  readonly params: readonly Param[];
  readonly groups: readonly ParamGroup[];
  readonly #weight: ParamGroup;
  readonly #bias: ParamGroup;

  constructor(
    config: LayerNormConfig,
    readonly configIndex: number,
    readonly outputSize: number,
    /** Its place among the model's layerNorm layers: default names `norm`, `norm_1`... */
    index = 0,
  ) {
    this.name = config.name ?? (index === 0 ? 'norm' : `norm_${index}`);
    const weight = ownedTensor(`${this.name}.weight`, [outputSize], new Float32Array(outputSize).fill(1));
    let bias: ReturnType<typeof ownedTensor> | undefined;
    try {
      bias = ownedTensor(`${this.name}.bias`, [outputSize], new Float32Array(outputSize));
    } catch (e) {
      weight.group.value.dispose();
      weight.group.grad.dispose();
      throw e;
    }
    this.#weight = weight.group;
    this.#bias = bias.group;
    this.params = [weight.param, bias.param];
    this.groups = [weight.group, bias.group];
  }

  get floatsPerPosition(): number {
    return this.outputSize;
  }

  /** Mean and 1/std of row `r` of `x`. */
  static #stats(x: Float32Array, o: number, w: number): [number, number] {
    let mean = 0;
    for (let j = 0; j < w; j++) mean += x[o + j]!;
    mean /= w;
    let v = 0;
    for (let j = 0; j < w; j++) v += (x[o + j]! - mean) ** 2;
    return [mean, 1 / Math.sqrt(v / w + EPS)];
  }

  forward(pass: Pass, x: Activation): Activation {
    const w = x.width;
    const out = pass.ws.get(`${this.name}.y`, x.rows * w);
    const [xv, yv, g, b] = [x.data.view(), out.view(), this.#weight.value.view(), this.#bias.value.view()];
    for (let r = 0; r < x.rows; r++) {
      const o = r * w;
      const [mean, rstd] = LayerNormLayer.#stats(xv, o, w);
      for (let j = 0; j < w; j++) yv[o + j] = (xv[o + j]! - mean) * rstd * g[j]! + b[j]!;
    }
    return activation(out, x.rows, w, x.perStep);
  }

  /** Accumulates dL/dweight and dL/dbias; dL/dx written over `gy`. */
  backward(_pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    const w = x.width;
    const [xv, gv, g, dg, db] = [x.data.view(), gy.data.view(), this.#weight.value.view(), this.#weight.grad.view(), this.#bias.grad.view()];
    const xhat = new Float64Array(w);
    for (let r = 0; r < x.rows; r++) {
      const o = r * w;
      const [mean, rstd] = LayerNormLayer.#stats(xv, o, w);
      let m1 = 0;
      let m2 = 0;
      for (let j = 0; j < w; j++) {
        xhat[j] = (xv[o + j]! - mean) * rstd;
        dg[j] = dg[j]! + gv[o + j]! * xhat[j]!;
        db[j] = db[j]! + gv[o + j]!;
        const d = gv[o + j]! * g[j]!;
        m1 += d;
        m2 += d * xhat[j]!;
      }
      if (!needInput) continue;
      m1 /= w;
      m2 /= w;
      for (let j = 0; j < w; j++) gv[o + j] = rstd * (gv[o + j]! * g[j]! - m1 - xhat[j]! * m2);
    }
    return needInput ? activation(gy.data, x.rows, w, x.perStep) : undefined;
  }

  dispose(): void {
    for (const p of this.groups) {
      p.value.dispose();
      p.grad.dispose();
    }
  }
}
