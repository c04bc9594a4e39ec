/**
 * `layerNorm` (PyTorch `nn.LayerNorm(width)`, `eps` 1e-5, elementwise affine): each row is
 * normalised to mean 0 and variance 1 (biased variance), then scaled by `weight` and shifted
 * by `bias` (initialised to 1 and 0). Computed by the core (`train::layer_norm`), one call
 * per batch and pass, in float64 and rounded once: the same on every build.
 */
import type { Engine } from '../engine/engine.js';
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
    private readonly engine: Engine,
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

  forward(pass: Pass, x: Activation): Activation {
    const out = pass.ws.get(`${this.name}.y`, x.rows * x.width);
    this.engine.call((w) =>
      w.layer_norm_forward(x.rows, x.width, x.data.liveHandle(), this.#weight.value.liveHandle(), this.#bias.value.liveHandle(), out.liveHandle(), EPS),
    );
    return activation(out, x.rows, x.width, x.perStep);
  }

  /** Accumulates dL/dweight and dL/dbias; dL/dx written over `gy`. */
  backward(_pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    this.engine.call((w) =>
      w.layer_norm_backward(
        x.rows,
        x.width,
        x.data.liveHandle(),
        this.#weight.value.liveHandle(),
        gy.data.liveHandle(),
        this.#weight.grad.liveHandle(),
        this.#bias.grad.liveHandle(),
        EPS,
        needInput,
      ),
    );
    return needInput ? activation(gy.data, x.rows, x.width, x.perStep) : undefined;
  }

  dispose(): void {
    for (const p of this.groups) {
      p.value.dispose();
      p.grad.dispose();
    }
  }
}
