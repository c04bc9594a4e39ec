/**
 * What a network is made of: a {@link Layer} maps an {@link Activation} to the next one over a
 * {@link Pass} (one batch), forward and backward, with its parameters in wasm memory. The
 * network's first stage is an {@link Entry}, which turns the batch's inputs (token ids or
 * features) into the first activation. Everything a layer needs of the batch is in the pass;
 * everything it needs of its neighbours is in the activations, so a layer can be added
 * (dense with an activation, dropout, layer norm, pooling, a tree encoder) without touching
 * the others. See docs/ARCHITECTURE.md, "The network".
 */
import type { LayerState, StateGradients } from '../model/recurrent-layer.js';
import type { Param, ParamGroup } from '../model/param.js';
import type { Workspace } from '../model/workspace.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import type { TreeBatch } from '../trees/forest.js';

/** Values flowing between layers (or their gradients): `rows` rows of `width` floats in wasm memory. */
export interface Activation {
  /** The values; the buffer may be longer than `rows * width` (workspace buffers only grow). */
  readonly data: Float32Buffer;
  readonly rows: number;
  readonly width: number;
  /** Rows are (step, sequence) pairs, time-major (`true`), or one per sequence (`false`, after pooling). */
  readonly perStep: boolean;
  /**
   * Out of a recurrent layer: the final state `[D, B, H]` of its top stacked layer. In a
   * gradient: dL/d(that state), added to what reaches it through the outputs.
   */
  readonly final?: Float32Buffer | undefined;
}

/**
 * An activation. Made here only, so every activation has one shape (hidden class): the hot
 * paths that read them stay monomorphic.
 */
export function activation(data: Float32Buffer, rows: number, width: number, perStep: boolean, final?: Float32Buffer): Activation {
  return { data, rows, width, perStep, final };
}

/**
 * What a network reads: token ids `[rows]`, features `[rows, F]` (checked host arrays), or a
 * forest of trees laid out and checked by a tree encoder entry (`TreeEntry.layout`).
 */
export type NetworkInput =
  | { readonly ids: Uint32Array; readonly x?: undefined; readonly forest?: undefined }
  | { readonly x: Float32Array; readonly ids?: undefined; readonly forest?: undefined }
  | { readonly forest: TreeBatch; readonly ids?: undefined; readonly x?: undefined };

/** One batch as every layer of a network sees it. */
export interface Pass {
  /** Scratch buffers of the network, reused from batch to batch. */
  readonly ws: Workspace;
  /** T. */
  readonly seqLen: number;
  /** B. */
  readonly batch: number;
  /** B valid lengths, or empty when every sequence is T long. */
  readonly lengths: Uint32Array;
  /** Record for backward and apply dropout. */
  readonly training: boolean;
  /** Seed of this pass's dropout masks. */
  readonly seed: number;
  /** Memory-saving BPTT: keep states every this many steps (training, unidirectional; 0: keep all). */
  readonly checkpointEvery: number;
  /**
   * How an output dense layer computes: `'logits'` or `'logSoftmax'` (the inference kernel, as
   * `predict` and `step` return), or undefined for the plain linear map (what a loss reads).
   */
  readonly scores: 'logits' | 'logSoftmax' | undefined;
  /** Per recurrent layer, in order: its initial state, which receives the final one. */
  readonly states: readonly (LayerState | undefined)[] | undefined;
  /** Per recurrent layer: dL/d(final state) in, dL/d(initial state) out (encoder-decoders). */
  readonly stateGrads: readonly (StateGradients | undefined)[] | undefined;
  /** Per recurrent layer: buffers receiving each stacked layer's norms of dL/dh_t `[D, T]`. */
  readonly flow: readonly (readonly Float32Buffer[] | undefined)[] | undefined;
}

/** What every network stage has: its name, its config, its parameters. */
export interface Module {
  /** Its config's `type` (`'embedding'`, `'lstm'`, `'dense'`), or what it is (`'pool'`). */
  readonly type: string;
  /** The module name, the prefix of its parameter names (`rnn`, `fc`). */
  readonly name: string;
  /** Index of its config in the model's layer configs; undefined for a stage a config implies (pooling). */
  readonly configIndex: number | undefined;
  /** Its parameter tensors, PyTorch names. */
  readonly params: readonly Param[];
  /** Its flat parameter buffers and their gradients. */
  readonly groups: readonly ParamGroup[];
  /** Features per row it outputs. */
  readonly outputSize: number;
  /** Frees its wasm memory. */
  dispose(): void;
}

/** A layer of a network: activations in, activations out, gradients back. */
export interface Layer extends Module {
  /** Floats of working memory per (step, sequence) position a training batch needs here. */
  readonly floatsPerPosition: number;
  /** Why it cannot run one step at a time (`step`), or undefined when it can. */
  readonly streamProblem: string | undefined;
  /** Its output for `x` (buffers from `pass.ws`, valid until the next pass). */
  forward(pass: Pass, x: Activation): Activation;
  /**
   * Given dL/d(its output) `gy` (may be overwritten as scratch) and its forward input `x`:
   * accumulates its parameter gradients and returns dL/dx when `needInput`.
   */
  backward(pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined;
  /** One streaming step (`pass.seqLen` 1, states carried); default: {@link Layer.forward}. */
  step?(pass: Pass, x: Activation): Activation;
}

/** The first stage of a network: the batch's inputs to the first activation. */
export interface Entry extends Module {
  /** Token ids `[0, vocabSize)` it reads, or undefined when it reads features or trees. */
  readonly vocabSize: number | undefined;
  /** Why it cannot run one step at a time (a tree encoder), or undefined when it can. */
  readonly streamProblem?: string | undefined;
  /** Its output for the batch's inputs. */
  forward(pass: Pass, input: NetworkInput): Activation;
  /** Accumulates its parameter gradients from dL/d(its output) (no-op without parameters). */
  backward(pass: Pass, input: NetworkInput, gy: Activation): void;
}
