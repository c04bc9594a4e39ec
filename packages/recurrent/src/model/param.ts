/**
 * Parameters, seen two ways: as named tensors (PyTorch state-dict names and shapes, for
 * save/load and inspection) and as groups of flat buffers with their gradients; the groups of a
 * model go behind one wasm handle ({@link ParamSet}), so the gradient norm and the optimiser
 * step over all of them are one call each, whatever the number of groups.
 */
import type { Engine } from '../engine/engine.js';
import { Float32Buffer } from '../tensor/buffer.js';
import { Owned } from '../tensor/owned.js';

/** One named tensor. */
export interface Param {
  /** Full name as in a PyTorch state dict, e.g. `rnn.weight_hh_l0_reverse`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  /** A copy of the values. */
  read(): Float32Array;
  /** Overwrites the values (exactly `size` floats). */
  write(data: Float32Array): void;
  /** A copy of the accumulated gradient. */
  readGrad(): Float32Array;
}

/** A flat buffer of parameters and the buffer of its gradients (same length). */
export interface ParamGroup {
  readonly value: Float32Buffer;
  readonly grad: Float32Buffer;
  /**
   * Element ranges `[start, end)` of `value` that no optimiser step changes, neither the
   * values nor their optimiser state (weight decay included): constants sharing the buffer,
   * as PyTorch's buffers (an `rnn({ leak: 0.9 })` layer's fixed rates). Non-empty, in
   * increasing order, not overlapping, within the buffer. Default: none.
   */
  readonly frozen?: readonly (readonly [start: number, end: number])[];
}

/** A parameter that is a whole buffer of its own: returns the tensor view and its group. */
export function ownedTensor(name: string, shape: readonly number[], init: Float32Array): { param: Param; group: ParamGroup } {
  const value = Float32Buffer.from(init);
  const grad = new Float32Buffer(init.length);
  const param: Param = {
    name,
    shape,
    size: init.length,
    read: () => value.read(),
    write: (data) => value.write(data),
    readGrad: () => grad.read(),
  };
  return { param, group: { value, grad } };
}

/**
 * Parameter groups behind one wasm handle: the sum of squares of all their gradients (for
 * global-norm clipping) and an optimiser step over all of them (see `Optimizer`) are one call
 * each. The set names the groups' buffers, it does not own them: once a group's buffer is
 * disposed (its model was), every call is a `DisposedError` that changes nothing.
 */
export class ParamSet extends Owned {
  /** @internal */ readonly handle: number;
  readonly #engine: Engine;

  /**
   * The set of `groups`, with the optimiser's state buffers `state[slot][group]` (up to two
   * slots: the velocity of SGD with momentum, or Adam's m and v), as long as their groups.
   */
  constructor(
    readonly groups: readonly ParamGroup[],
    engine: Engine,
    state: readonly (readonly Float32Buffer[])[] = [],
  ) {
    super('ParamSet');
    this.attachEngine(engine);
    this.#engine = engine;
    const handles = (list: readonly Float32Buffer[]) => Float64Array.from(list, (b) => b.liveHandle());
    // (group, start, end) triples, group after group; the core checks the ranges.
    const frozen = Uint32Array.from(groups.flatMap((g, i) => (g.frozen ?? []).flatMap(([start, end]) => [i, start, end])));
    this.handle = engine.call((w) =>
      w.param_set_create(handles(groups.map((g) => g.value)), handles(groups.map((g) => g.grad)), handles(state[0] ?? []), handles(state[1] ?? []), frozen),
    );
    this.track(setFreer(engine, this.handle));
  }

  /** The sum of squares of every group's gradient, in f64: the squared global gradient norm. */
  gradSumOfSquares(): number {
    this.live();
    return this.#engine.call((w) => w.param_set_grad_sum_squares(this.handle));
  }

  protected free(): void {
    this.#engine.free((w) => w.param_set_free(this.handle));
  }
}

/** The finalizer's way to free a set, made outside the constructor so it cannot reach `this`. */
function setFreer(engine: Engine, handle: number): () => void {
  return () => engine.free((w) => w.param_set_free(handle));
}
