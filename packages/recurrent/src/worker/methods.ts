/**
 * The worker API in one list, as squoosh's WorkerBridge keeps it: every method a
 * {@link RemoteModel} and a {@link RemoteState} offer, with the names of its arguments (named
 * in errors), where a state handle stands among them, which argument a call may hand over
 * (`transfer: true`) and whether its result's arrays are fresh copies to hand back. The
 * client's methods (`remote-model.ts`) and the worker's dispatch (`service.ts`) are derived
 * from it, and their types from the in-thread `Model` and `ModelState`: a new model method is
 * one line here (docs/ARCHITECTURE.md, "The worker bridge"). `fit` (callbacks, abort, one at a time) and `dispose` have code of their own.
 *
 * This module is read by the client, where no engine is loaded: it imports types only.
 */
import type { BeamOptions } from '../model/beam.js';
import type { GenerateOptions } from '../model/generate.js';
import type { Model } from '../model/model.js';
import type { CheckedBatch, PredictOptions } from '../model/model-types.js';
import type { ModelState } from '../model/state.js';
import type { Tree } from '../trees/tree.js';
import type { RemoteState } from './remote-model.js';

/** How one method crosses. */
export interface MethodSpec {
  /** Its argument names, in order. */
  readonly args: readonly string[];
  /**
   * Where a state stands: argument `arg` itself (`in: 'arg'`; with `required`, it must be
   * given), or the `state` option of the options object at `arg` (`in: 'options'`). The
   * client sends the state's id; the worker puts its state back in place.
   */
  readonly state?: { readonly arg: number; readonly in: 'arg' | 'options'; readonly required?: boolean };
  /** With `transfer: true` in the options object at `option`, argument `arg`'s buffers are handed over, not copied. */
  readonly transfer?: { readonly arg: number; readonly option: number };
  /** Its result's typed arrays are fresh copies: hand them back instead of copying them. */
  readonly transferResult?: boolean;
  /** It returns a new state, which stays in the worker (the client gets a {@link RemoteState}). */
  readonly returnsState?: boolean;
  /**
   * Not a method of the model but a function of it and the arguments, which the worker names
   * (`save`: `saveModel(model)`, `beamSearch`: `beamSearch(model, prefix, options)`).
   */
  readonly fn?: true;
}

/** The methods of a model in the worker (see {@link MethodSpec}). */
export const MODEL_METHODS = {
  evaluate: { args: ['batch', 'loss', 'options'], state: { arg: 2, in: 'options' } },
  predict: { args: ['x', 'options'], state: { arg: 1, in: 'options' }, transfer: { arg: 0, option: 1 }, transferResult: true },
  gradientFlow: { args: ['batch', 'loss'], transferResult: true },
  generate: { args: ['prefix', 'options'] },
  beamSearch: { args: ['prefix', 'options'], fn: true },
  zeroState: { args: ['batchSize'], returnsState: true },
  step: { args: ['x', 'state', 'options'], state: { arg: 1, in: 'arg', required: true }, transferResult: true },
  resetState: { args: [] },
  save: { args: [], transferResult: true, fn: true },
  stateDict: { args: [], transferResult: true },
  loadStateDict: { args: ['dict', 'options'] },
  summary: { args: [] },
} as const satisfies Record<string, MethodSpec>;

/** The methods of a state in the worker (errors name them `ModelState.<name>`). */
export const STATE_METHODS = {
  get: { args: ['index'], transferResult: true },
  set: { args: ['index', 'value'] },
  reset: { args: [] },
} as const satisfies Record<string, MethodSpec>;

export type ModelMethod = keyof typeof MODEL_METHODS;
export type StateMethod = keyof typeof STATE_METHODS;

/** What crosses the other way in a state's place, in arguments and results (a checked batch stays in its thread). */
type Remoted<T> = T extends ModelState
  ? RemoteState
  : T extends CheckedBatch
    ? never
    : string extends keyof T
      ? T
      : T extends { state?: ModelState }
        ? { [K in keyof T]: K extends 'state' ? RemoteState | undefined : T[K] }
        : T;

type RemoteArgs<A extends readonly unknown[]> = { [K in keyof A]: Remoted<A[K]> };

/** An in-thread method as the client offers it: states by handle, the result as a promise. */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R ? (...args: RemoteArgs<A>) => Promise<Remoted<R>> : never;

/** Options of a remote `predict`: the in-thread options (a {@link RemoteState} for `state`), plus `transfer`. */
export type RemotePredictOptions = Remoted<PredictOptions> & {
  /** Hand `x`'s buffer to the worker instead of copying it. Default `false`. */
  transfer?: boolean;
};

/**
 * The derived methods of a remote model. `generate` keeps its two in-thread overloads,
 * `predict` takes `transfer`, `save` is `saveModel(model)`'s bytes and `beamSearch` is
 * `beamSearch(model, prefix, options)` (a language model's best continuation of `prefix`).
 */
export type RemoteModelMethods = { [K in Exclude<ModelMethod, 'generate' | 'predict' | 'save' | 'beamSearch'>]: RemoteMethod<Model[K]> } & {
  beamSearch(prefix: ArrayLike<number>, options: BeamOptions): Promise<number[]>;
  generate(prefix: string, options: GenerateOptions): Promise<string>;
  generate(prefix: ArrayLike<number>, options: GenerateOptions): Promise<number[]>;
  /** As in-thread: `x` and `options` for a sequence model, the trees (options optional) for a tree model. */
  predict(x: ArrayLike<number> | readonly Tree[], options?: RemotePredictOptions): Promise<Float32Array>;
  save(): Promise<Uint8Array>;
};

/** The derived methods of a remote state. */
export type RemoteStateMethods = { [K in StateMethod]: RemoteMethod<ModelState[K]> };
