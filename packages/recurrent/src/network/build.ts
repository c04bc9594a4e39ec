/**
 * A network from layer configs (`sequential`'s list): `[embedding | oneHot] rnn|gru|lstm...
 * [dense|dropout|layerNorm...]`, or a tree encoder and the same head layers, the last recurrent layer's `output: 'last' | 'mean'` adding a
 * pooling layer, a dense layer's `activation` a layer of its own after it.
 * Parameters are drawn from `rng` in layer order; a failure frees what was built.
 */
import type { Random } from '../data/random.js';
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError } from '../errors.js';
import { checkParameterNames } from '../model/checks.js';
import { DenseLayer } from '../model/dense-layer.js';
import { InputLayer } from '../model/embedding-layer.js';
import { type EmbeddingConfig, type LayerConfig, type LayerNormConfig, type OneHotConfig, type RecurrentConfig, type RecurrentOutput, TREE_LAYER_TYPES, type TreeLayerConfig, type TreeLayerType } from '../model/layers.js';
import { RecurrentLayer } from '../model/recurrent-layer.js';
import { checkInt } from '../validate/index.js';
import { ActivationLayer } from './activation.js';
import { DenseBlock } from './dense.js';
import { DropoutLayer } from './dropout.js';
import { LayerNormLayer } from './layer-norm.js';
import { FeatureEntry, TokenEntry } from './entry.js';
import type { Entry, Layer } from './layer.js';
import { Network } from './network.js';
import { PoolLayer } from './pool.js';
import { RecurrentBlock } from './recurrent.js';
import { TreeEntry } from './tree-entry.js';

const RECURRENT_TYPES: readonly string[] = ['rnn', 'gru', 'lstm'];
/** Layers after the recurrent ones, per step or after pooling, in any order (an MLP head). */
const HEAD_TYPES: readonly string[] = ['dense', 'dropout', 'layerNorm'];

/** A network of checked `layers` (`op` names the caller); `inputSize` is needed without a token input. */
export function buildNetwork(op: string, layers: readonly LayerConfig[], inputSize: number | undefined, rng: Random, engine: Engine): { network: Network; output: RecurrentOutput } {
  let entry: Entry | undefined;
  const built: Layer[] = [];
  try {
    let i = 0;
    const first = layers[0]!;
    const tree = TREE_LAYER_TYPES.includes(first.type as TreeLayerType);
    if (tree) {
      entry = new TreeEntry(first as TreeLayerConfig, engine, rng);
      i = 1;
    } else if (first.type === 'embedding' || first.type === 'oneHot') {
      entry = new TokenEntry(new InputLayer(first as EmbeddingConfig | OneHotConfig, engine, rng));
      i = 1;
      if (inputSize !== undefined && inputSize !== entry.outputSize) {
        throw new InvalidArgumentError(`${op}: option \`inputSize\` ${inputSize} disagrees with the input layer's ${entry.outputSize} features`);
      }
    } else {
      entry = new FeatureEntry(checkInt(op, 'inputSize (needed without an embedding or oneHot layer)', inputSize, 1));
    }
    // A tree encoder outputs one row per tree (its root state): what a pooled recurrent layer gives.
    if (tree && i < layers.length && RECURRENT_TYPES.includes(layers[i]!.type)) {
      throw new InvalidArgumentError(`${op}: layer ${i} (${layers[i]!.type}) cannot follow a ${first.type} layer, whose output is one root state per tree; put dense, dropout or layerNorm layers after it`);
    }
    let size = entry.outputSize;
    let last: RecurrentBlock | undefined;
    for (; i < layers.length && RECURRENT_TYPES.includes(layers[i]!.type); i++) {
      if (last && (last.layer.config.output ?? 'sequence') !== 'sequence') {
        throw new InvalidArgumentError(`${op}: only the last recurrent layer may set \`output\` to '${last.layer.config.output}'`);
      }
      const slot = last ? last.slot + 1 : 0;
      last = new RecurrentBlock(new RecurrentLayer(layers[i] as RecurrentConfig, slot, size, rng, engine), slot, i);
      built.push(last);
      size = last.outputSize;
    }
    if (!last && !tree) {
      throw new InvalidArgumentError(`${op}: expected at least one rnn, gru or lstm layer after the input layer (or a tree encoder first), got ${layers.map((l) => l.type).join(', ')}`);
    }
    const output: RecurrentOutput = last ? (last.layer.config.output ?? 'sequence') : 'last';
    if (last && output !== 'sequence') built.push(new PoolLayer(output, last.layer.directions, last.layer.stateWidth, last.name));
    let denseCount = 0;
    let normCount = 0;
    for (; i < layers.length && HEAD_TYPES.includes(layers[i]!.type); i++) {
      const c = layers[i]!;
      const output = i === layers.length - 1;
      if (c.type === 'dense') {
        const act = c.activation ?? 'linear';
        if (act === 'softmax' && !output) throw new InvalidArgumentError(`${op}: layer ${i} (dense): activation 'softmax' is for the output layer only`);
        const block = new DenseBlock(new DenseLayer(c, size, engine, rng, denseCount++), i, output);
        built.push(block);
        size = block.outputSize;
        if (act !== 'linear') built.push(new ActivationLayer(act, block.name, size, engine));
      } else if (c.type === 'dropout') {
        built.push(new DropoutLayer(c, i, size, engine));
      } else {
        built.push(new LayerNormLayer(c as LayerNormConfig, i, size, engine, normCount++));
      }
    }
    if (i < layers.length) {
      throw new InvalidArgumentError(
        `${op}: layer ${i} (${layers[i]!.type}) cannot follow ${layers[i - 1]!.type}; the order is [embedding|oneHot] rnn|gru|lstm... [dense|dropout|layerNorm...], or treeRnn|childSumTreeLstm|naryTreeLstm [dense|dropout|layerNorm...]`,
      );
    }
    const frozen = new Set(layers.flatMap((c, k) => ('trainable' in c && c.trainable === false ? [k] : [])));
    const network = new Network(engine, entry, built, frozen);
    checkParameterNames(op, network.modules.flatMap((m) => (m.configIndex === undefined ? [] : [{ index: m.configIndex, type: m.type as LayerConfig['type'], name: m.name, params: m.params }])));
    return { network, output };
  } catch (e) {
    entry?.dispose();
    for (const l of built) l.dispose();
    throw e;
  }
}
