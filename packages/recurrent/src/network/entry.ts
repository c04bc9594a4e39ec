/** The two ways into a network: token ids (an `embedding` or `oneHot` layer), or features. */
import type { InputLayer } from '../model/embedding-layer.js';
import { type Activation, activation, type Entry, type NetworkInput, type Pass } from './layer.js';
import { Wrapped } from './wrapped.js';

/** Token ids to vectors through an `embedding` (learned) or `oneHot` layer. */
export class TokenEntry extends Wrapped<InputLayer> implements Entry {
  readonly configIndex = 0;

  get type(): string {
    return this.layer.config.type;
  }

  get outputSize(): number {
    return this.layer.dim;
  }

  get vocabSize(): number {
    return this.layer.vocabSize;
  }

  forward(pass: Pass, input: NetworkInput): Activation {
    const ids = input.ids!;
    const data = pass.ws.get('x', ids.length * this.outputSize);
    this.layer.forward(ids, data);
    return activation(data, ids.length, this.outputSize, true);
  }

  backward(_pass: Pass, input: NetworkInput, gy: Activation): void {
    this.layer.backward(input.ids!, gy.data);
  }
}

/** Features given by the caller, copied into wasm memory (no parameters). */
export class FeatureEntry implements Entry {
  readonly type = 'features';
  readonly name = 'input';
  readonly configIndex = undefined;
  readonly params = [];
  readonly groups = [];
  readonly vocabSize = undefined;

  constructor(readonly outputSize: number) {}

  forward(pass: Pass, input: NetworkInput): Activation {
    const x = input.x!;
    const data = pass.ws.get('x', x.length);
    data.write(x);
    return activation(data, x.length / this.outputSize, this.outputSize, true);
  }

  backward(): void {}

  dispose(): void {}
}
