/** The input of one streaming step (`Model.step`): B token ids or `[B, F]` features, checked. */
import { InvalidArgumentError } from '../errors.js';
import type { NetworkInput } from '../network/layer.js';
import type { Network } from '../network/network.js';
import { checkFinite, checkTokenIds } from '../validate/index.js';

/** `x` checked for one step of `b` sequences through `network`'s entry. */
export function stepInput(network: Network, x: ArrayLike<number>, b: number): NetworkInput {
  const tokens = network.entry.vocabSize;
  if (tokens !== undefined) {
    if (!x || x.length !== b) throw new InvalidArgumentError(`step: argument \`x\` expected ${b} token ids, got ${x?.length ?? String(x)}`);
    return { ids: checkTokenIds('step x', x, tokens), x: undefined };
  }
  const F = network.featureSize;
  if (!x || x.length !== b * F) throw new InvalidArgumentError(`step: argument \`x\` expected [${b}, ${F}] features, got ${x?.length ?? String(x)} values`);
  const f = Float32Array.from(x);
  checkFinite('step', 'argument `x`', f);
  return { ids: undefined, x: f };
}
