/**
 * Argument checks of the model API that need the model's own types: layer configs given as
 * plain objects (to `sequential` or in a model file), states, optimisers, and size bounds
 * checked before anything is allocated. Each failure is a typed error naming the argument,
 * the expected and the received value.
 */
import { gateCount } from '../core/stack.js';
import { Vocab } from '../data/vocab.js';
import { describe, MAX_PARAMETER_FLOATS } from '../validate/index.js';
import { InvalidArgumentError, OutOfMemoryError, RecurrentError } from '../errors.js';
import { cellKindOf, childSumTreeLstm, dense, dropout, embedding, layerNorm, gru, type LayerConfig, lstm, naryTreeLstm, oneHot, type RecurrentConfig, rnn, treeRnn } from './layers.js';
import { Optimizer } from './optimizers.js';
import type { ParamGroup } from './param.js';
import { ModelState } from './state.js';

/**
 * Checks every layer config the way its factory does (configs may be written by hand or come
 * from a file), so nothing is allocated for a model that cannot be built.
 */
export function checkLayerConfigs(op: string, layers: readonly unknown[]): void {
  layers.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) {
      throw new InvalidArgumentError(`${op}: argument \`layers[${i}]\` expected a layer config object, got ${describe(c)}`);
    }
    // A config is its factory's options plus `type`; each factory checks its own options.
    const { type, ...rest } = c as LayerConfig;
    const config = rest as never;
    try {
      switch (type) {
        case 'embedding':
          embedding(config);
          break;
        case 'oneHot':
          oneHot(config);
          break;
        case 'rnn':
          rnn(config);
          break;
        case 'gru':
          gru(config);
          break;
        case 'lstm':
          lstm(config);
          break;
        case 'dense':
          dense(config);
          break;
        case 'dropout':
          dropout(config);
          break;
        case 'layerNorm':
          layerNorm(config);
          break;
        case 'treeRnn':
          treeRnn(config);
          break;
        case 'childSumTreeLstm':
          childSumTreeLstm(config);
          break;
        case 'naryTreeLstm':
          naryTreeLstm(config);
          break;
        default:
          throw new InvalidArgumentError(
            `argument \`type\` expected one of 'embedding', 'oneHot', 'treeRnn', 'childSumTreeLstm', 'naryTreeLstm', 'rnn', 'gru', 'lstm', 'dense', 'dropout', 'layerNorm', got ${describe(type)}`,
          );
      }
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${op}: layers[${i}]: ${e.message}`, { cause: e });
      throw e;
    }
  });
}

/**
 * A lower bound of the parameter floats of checked `layers` (weights only, no biases or
 * peepholes), computed without allocating: enough to refuse a model that cannot fit, or a
 * file whose config declares far more parameters than it carries.
 */
export function parameterLowerBound(layers: readonly LayerConfig[], inputSize: number | undefined): number {
  let features = inputSize ?? 0;
  let total = 0;
  for (const c of layers) {
    switch (c.type) {
      case 'embedding':
        total += c.vocabSize * c.dim;
        features = c.dim;
        break;
      case 'oneHot':
        features = c.vocabSize;
        break;
      case 'dense':
        total += c.units * features;
        features = c.units;
        break;
      case 'dropout':
      case 'layerNorm':
        break;
      case 'treeRnn':
      case 'childSumTreeLstm':
      case 'naryTreeLstm': {
        // The embedding and the cell's weights (treeRnn: W [H, 2H]; LSTMs: W_ih [4H, E] and W_hh).
        const [h, e] = [c.units, c.embeddingSize ?? c.units];
        total += c.vocab.length * e + (c.type === 'treeRnn' ? 2 * h * h : 4 * h * e + (c.type === 'naryTreeLstm' ? 10 : 4) * h * h);
        features = h;
        break;
      }
      default: {
        const r = c as RecurrentConfig;
        const h = r.units;
        // The state width: an LSTM's projection (W_hh [G*H, P], W_hr [P, H]), else H.
        const p = (r.type === 'lstm' ? r.projSize : undefined) || h;
        const d = r.bidirectional ? 2 : 1;
        const g = gateCount(cellKindOf(r));
        for (let l = 0; l < (r.layers ?? 1); l++) {
          total += d * (g * h * ((l === 0 ? features : d * p) + p) + (p === h ? 0 : p * h));
        }
        features = d * p;
      }
    }
  }
  return total;
}

/** Throws {@link OutOfMemoryError} when the parameters of `layers` could never fit in wasm memory. */
export function checkParameterBudget(op: string, layers: readonly LayerConfig[], inputSize: number | undefined): void {
  const floats = parameterLowerBound(layers, inputSize);
  if (floats > MAX_PARAMETER_FLOATS) {
    throw new OutOfMemoryError(
      `${op}: argument \`layers\`${inputSize === undefined ? '' : ` (with inputSize ${inputSize})`} describes a model of at least ${floats} parameters, more than fit in wasm memory (${MAX_PARAMETER_FLOATS} at most, with their gradients)`,
    );
  }
}

/** A built layer as {@link checkParameterNames} sees it. */
export interface NamedLayer {
  /** Its index in the model's layer configs. */
  readonly index: number;
  readonly type: LayerConfig['type'];
  /** Its module name (the prefix of its parameter names). */
  readonly name: string;
  readonly params: readonly { readonly name: string }[];
}

/**
 * Throws unless every parameter name is unique across `layers`. Names are the keys of the
 * state dict and of saved files: two layers sharing one (an embedding and a dense layer both
 * named `fc`, two recurrent layers both named `rnn_1`) would save one tensor for both.
 */
export function checkParameterNames(op: string, layers: readonly NamedLayer[]): void {
  const owners = new Map<string, NamedLayer>();
  for (const layer of layers) {
    for (const p of layer.params) {
      const other = owners.get(p.name);
      if (other) {
        throw new InvalidArgumentError(
          `${op}: layers[${other.index}] (${other.type} '${other.name}') and layers[${layer.index}] (${layer.type} '${layer.name}') both have a parameter named \`${p.name}\`; ` +
            'parameter names must be unique (they are the state dict and the saved file): give one of them another `name`',
        );
      }
      owners.set(p.name, layer);
    }
  }
}

/** What a vocabulary must agree with: the model's token input, or else its output. */
export interface VocabSizes {
  /** The input layer's type and `vocabSize`, when inputs are token ids. */
  readonly input: { readonly type: 'embedding' | 'oneHot'; readonly vocabSize: number } | undefined;
  /** Features of the model's output per position. */
  readonly outputSize: number;
}

/**
 * A model's vocabulary: undefined, or a {@link Vocab} with one token per id the model uses.
 * With a token input (embedding, oneHot) the vocabulary names the input ids, so its size is
 * the input's `vocabSize` (the ids `encode` gives are the ids the model takes). Without one,
 * all a vocabulary can name is the output, so its size is the output size. (A token model's
 * dense layer may have other units: classes or tags; `generate` checks that its output is
 * over the input tokens.)
 */
export function checkVocab(op: string, what: string, value: unknown, sizes: VocabSizes): Vocab | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Vocab)) {
    throw new InvalidArgumentError(
      `${op}: ${what} expected a Vocab (new Vocab(tokens), or Vocab.fromJSON(json) for saved tokens), got ${describe(value)}`,
    );
  }
  const { input, outputSize } = sizes;
  if (input && value.size !== input.vocabSize) {
    throw new InvalidArgumentError(
      `${op}: ${what} has ${value.size} tokens but the ${input.type} layer takes ${input.vocabSize} token ids (vocabSize ${input.vocabSize}); they must be equal`,
    );
  }
  if (!input && value.size !== outputSize) {
    throw new InvalidArgumentError(
      `${op}: ${what} has ${value.size} tokens but the model (no token input, so the vocabulary names its outputs) has ${outputSize} outputs; they must be equal`,
    );
  }
  return value;
}

/** A {@link ModelState}, or undefined; the model checks it is its own when it uses it. */
export function checkState(op: string, name: string, value: unknown): ModelState | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof ModelState)) {
    throw new InvalidArgumentError(`${op}: argument \`${name}\` expected a ModelState (from model.zeroState), got ${describe(value)}`);
  }
  return value;
}

/** An {@link Optimizer} over exactly `groups` (the model's parameters). */
export function checkOptimizer(op: string, value: unknown, groups: readonly ParamGroup[]): Optimizer {
  if (!(value instanceof Optimizer)) {
    throw new InvalidArgumentError(
      `${op}: argument \`optimizer\` expected an Optimizer over this model's parameters (new Optimizer(sgd(...), model.groups(), model.engine)), got ${describe(value)}`,
    );
  }
  if (!value.covers(groups)) {
    throw new InvalidArgumentError(`${op}: argument \`optimizer\` was made for another model's parameters`);
  }
  return value;
}

/** Turns an allocation failure of the JS engine (a RangeError) into an {@link OutOfMemoryError}. */
export function asOutOfMemory(op: string, e: unknown): unknown {
  if (e instanceof RangeError && !(e instanceof RecurrentError)) {
    return new OutOfMemoryError(`${op}: could not allocate the model's memory: ${e.message}`, { cause: e });
  }
  return e;
}
