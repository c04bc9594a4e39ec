/**
 * A recurrent layer (`rnn`, `gru`, `lstm`: stacked, bidirectional) in a network: each pass runs
 * the whole sequence through its core stack (one wasm call for every stacked layer, dropout
 * and checkpointing included, whatever T), with the pass's state, dropout seed, checkpointing
 * and state gradients of its slot.
 */
import { gateCount } from '../core/stack.js';
import { cellKindOf } from '../model/layers.js';
import type { RecurrentLayer } from '../model/recurrent-layer.js';
import { type Activation, activation, type Layer, type Pass } from './layer.js';
import { Wrapped } from './wrapped.js';

/** Added to the pass's seed per recurrent layer, so each layer draws its own dropout masks. */
const SEED_STRIDE = 7919;

export class RecurrentBlock extends Wrapped<RecurrentLayer> implements Layer {
  readonly floatsPerPosition: number;

  /**
   * `slot`: its index among the network's recurrent layers (which entry of the pass's
   * `states`, `stateGrads` and `flow` is its own).
   */
  constructor(
    layer: RecurrentLayer,
    readonly slot: number,
    readonly configIndex: number,
  ) {
    super(layer);
    // What BPTT records per position and stacked layer: gate activations and states (and a
    // skip connection's source state).
    this.floatsPerPosition = layer.layers * layer.outputSize * (gateCount(cellKindOf(layer.config)) + 4 + (layer.skip > 0 ? 1 : 0));
  }

  get type(): string {
    return this.layer.config.type;
  }

  get outputSize(): number {
    return this.layer.outputSize;
  }

  get streamProblem(): string | undefined {
    return this.layer.directions === 2 ? 'a bidirectional model cannot run step by step (its reverse direction needs the whole sequence)' : undefined;
  }

  #seed(pass: Pass): number {
    return pass.seed + this.slot * SEED_STRIDE;
  }

  forward(pass: Pass, x: Activation): Activation {
    const r = this.layer;
    const data = r.forward(pass.ws, pass.seqLen, pass.batch, x.data, pass.lengths, pass.states?.[this.slot], pass.training, this.#seed(pass), pass.checkpointEvery);
    // The top stacked layer's final state, where the layer's forward left it.
    const final = pass.ws.get(`${r.name}.hn${r.layers - 1}`, r.stateSize(pass.batch));
    return activation(data, x.rows, r.outputSize, true, final);
  }

  backward(pass: Pass, x: Activation, gy: Activation, needInput: boolean): Activation | undefined {
    const r = this.layer;
    const flow = pass.flow?.[this.slot];
    const gx = r.backward(pass.ws, pass.seqLen, pass.batch, gy.data, gy.final, needInput, this.#seed(pass), flow && [...flow], pass.stateGrads?.[this.slot]);
    return gx && activation(gx, x.rows, r.inputSize, true);
  }

  step(pass: Pass, x: Activation): Activation {
    const data = this.layer.step(pass.ws, pass.batch, x.data, pass.states![this.slot]!);
    return activation(data, pass.batch, this.layer.outputSize, true);
  }
}
