/**
 * Pooling after the last recurrent layer (its `output: 'last' | 'mean'`): one vector per
 * sequence. `last` takes the final state (forward direction at each sequence's last valid
 * step, reverse direction at step 0); `mean` averages the outputs over the valid steps.
 */
import { type Activation, activation, type Layer, type Pass } from './layer.js';

export class PoolLayer implements Layer {
  readonly type = 'pool';
  readonly configIndex = undefined;
  readonly params = [];
  readonly groups = [];
  readonly floatsPerPosition = 0;
  readonly name: string;

  /** `width` = directions x `hidden`: the recurrent output it pools. */
  constructor(
    readonly mode: 'last' | 'mean',
    readonly directions: number,
    readonly hidden: number,
    source: string,
  ) {
    this.name = `${source}.${mode}`;
  }

  get outputSize(): number {
    return this.directions * this.hidden;
  }

  get streamProblem(): string | undefined {
    return this.mode === 'mean' ? "a model whose output is 'mean' cannot stream; use predict" : undefined;
  }

  forward(pass: Pass, x: Activation): Activation {
    const width = this.outputSize;
    const H = this.hidden;
    const B = pass.batch;
    const pooled = pass.ws.get('pooled', B * width);
    const out = pooled.view();
    if (this.mode === 'last') {
      const hn = x.final!.view();
      for (let d = 0; d < this.directions; d++) for (let b = 0; b < B; b++) out.set(hn.subarray((d * B + b) * H, (d * B + b + 1) * H), b * width + d * H);
    } else {
      const y = x.data.view();
      out.fill(0, 0, B * width);
      for (let b = 0; b < B; b++) {
        const len = this.#length(pass, b);
        for (let t = 0; t < len; t++) {
          const src = (t * B + b) * width;
          for (let j = 0; j < width; j++) out[b * width + j]! += y[src + j]! / len;
        }
      }
    }
    return activation(pooled, B, width, false);
  }

  /** The gradient of the pooled features spread back over the steps (and the final state, for `last`). */
  backward(pass: Pass, x: Activation, gy: Activation): Activation {
    const width = this.outputSize;
    const H = this.hidden;
    const B = pass.batch;
    const spread = pass.ws.zeros('gy', x.rows * width);
    const g = gy.data.view();
    if (this.mode === 'last') {
      const ghn = pass.ws.get('ghn', this.directions * B * H);
      const v = ghn.view();
      for (let d = 0; d < this.directions; d++) for (let b = 0; b < B; b++) v.set(g.subarray(b * width + d * H, b * width + (d + 1) * H), (d * B + b) * H);
      return activation(spread, x.rows, width, true, ghn);
    }
    const out = spread.view();
    for (let b = 0; b < B; b++) {
      const len = this.#length(pass, b);
      for (let t = 0; t < len; t++) {
        const dst = (t * B + b) * width;
        for (let j = 0; j < width; j++) out[dst + j] = g[b * width + j]! / len;
      }
    }
    return activation(spread, x.rows, width, true);
  }

  /** Streaming: the state after this step is the pooled `last` output (`mean` cannot stream). */
  step(_pass: Pass, x: Activation): Activation {
    return x;
  }

  #length(pass: Pass, b: number): number {
    return pass.lengths.length ? pass.lengths[b]! : pass.seqLen;
  }

  dispose(): void {}
}
