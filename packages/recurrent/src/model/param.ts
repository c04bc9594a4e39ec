/**
 * Parameters, seen two ways: as named tensors (PyTorch state-dict names and shapes, for
 * save/load and inspection) and as groups of flat buffers with their gradients (what the
 * optimiser and the clipping walk over, one kernel call per group).
 */
import { Float32Buffer } from '../tensor/buffer.js';

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
