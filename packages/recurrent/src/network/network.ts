/**
 * `Network`: an entry (token ids or features to vectors) and an ordered list of layers, with
 * forward and backward over one {@link Pass} and the scratch {@link Workspace} they share.
 * A model, an encoder-decoder and every later task compose networks: they run them forward
 * (to any layer), hand the output to a loss head, and run the gradient back, never reaching
 * into a layer. See docs/ARCHITECTURE.md, "The network".
 */
import type { Engine } from '../engine/engine.js';
import { InvalidArgumentError } from '../errors.js';
import type { Param, ParamGroup } from '../model/param.js';
import type { LayerState, RecurrentLayer, StateGradients } from '../model/recurrent-layer.js';
import { Workspace } from '../model/workspace.js';
import type { Float32Buffer } from '../tensor/buffer.js';
import type { Activation, Entry, Layer, Module, NetworkInput, Pass } from './layer.js';
import { RecurrentBlock } from './recurrent.js';

/** What a forward pass leaves for the backward pass. */
export interface Trace {
  readonly input: NetworkInput;
  /** `acts[k]`: the input of layer k (`acts[0]` is the entry's output); `acts[end]`: the output. */
  readonly acts: readonly Activation[];
  /** Layers run: [0, end). */
  readonly end: number;
  /** `acts[end]`. */
  readonly output: Activation;
}

/** Options of {@link Network.pass}: the batch, and what this pass does. */
export interface PassOptions {
  seqLen: number;
  batch: number;
  /** B valid lengths, or empty/undefined: all T. */
  lengths?: Uint32Array | undefined;
  /** Default `false`. */
  training?: boolean;
  /** Default `0`. */
  seed?: number;
  /** Default `0`. */
  checkpointEvery?: number;
  /** Default: the plain linear map (see {@link Pass.scores}). */
  scores?: 'logits' | 'logSoftmax' | undefined;
  states?: readonly (LayerState | undefined)[] | undefined;
  stateGrads?: readonly (StateGradients | undefined)[] | undefined;
  flow?: readonly (readonly Float32Buffer[] | undefined)[] | undefined;
}

/** No lengths: every sequence runs all T steps (empty, so nothing can be written into it). */
const ALL_STEPS = new Uint32Array(0);

export class Network {
  /** Scratch buffers reused from batch to batch (one workspace per network: names do not collide). */
  readonly ws = new Workspace();
  /** Per layer: whether something below it learns, so its input gradient is needed. */
  readonly #needsInput: boolean[];
  /** Why the network cannot stream (its first layer's reason), or undefined. */
  readonly #streamProblem: string | undefined;

  constructor(
    /** The engine whose memory holds its parameters and workspace. */
    readonly engine: Engine,
    readonly entry: Entry,
    readonly layers: readonly Layer[],
    /** Config indexes of frozen modules (`trainable: false`): the optimiser leaves them alone. */
    readonly frozen: ReadonlySet<number> = new Set(),
  ) {
    let learns = entry.params.length > 0;
    this.#needsInput = layers.map((l) => {
      const need = learns;
      learns ||= l.params.length > 0;
      return need;
    });
    this.#streamProblem = entry.streamProblem ?? layers.find((l) => l.streamProblem !== undefined)?.streamProblem;
  }

  /** Features per position the first layer reads. */
  get featureSize(): number {
    return this.entry.outputSize;
  }

  /** Features per row of the output. */
  get outputSize(): number {
    return this.layers.at(-1)?.outputSize ?? this.entry.outputSize;
  }

  /** The entry and every layer, in order. */
  get modules(): readonly Module[] {
    return [this.entry, ...this.layers];
  }

  /** The recurrent layers, in order (a pass's `states`, `stateGrads` and `flow` are indexed like this). */
  get recurrent(): readonly RecurrentLayer[] {
    return this.layers.flatMap((l) => (l instanceof RecurrentBlock ? [l.layer] : []));
  }

  /** Every parameter tensor with its PyTorch state-dict name. */
  params(): Param[] {
    return this.modules.flatMap((m) => m.params);
  }

  /** Every flat parameter buffer with its gradient that training updates (frozen modules left out). */
  groups(): ParamGroup[] {
    return this.modules.flatMap((m) => (m.configIndex !== undefined && this.frozen.has(m.configIndex) ? [] : m.groups));
  }

  /** Floats of working memory per position a training batch needs, roughly (for the memory bound). */
  get floatsPerPosition(): number {
    return this.featureSize + 3 * this.outputSize + this.layers.reduce((n, l) => n + l.floatsPerPosition, 0);
  }

  /** Zero initial states of the recurrent layers for `batch` sequences, in buffers from `alloc`. */
  zeroStates(batch: number, alloc: (size: number) => Float32Buffer): LayerState[] {
    return this.recurrent.map((r) => r.zeroState(batch, alloc));
  }

  /** A pass over this network's workspace. */
  pass(o: PassOptions): Pass {
    return {
      ws: this.ws,
      seqLen: o.seqLen,
      batch: o.batch,
      lengths: o.lengths ?? ALL_STEPS,
      training: o.training ?? false,
      seed: o.seed ?? 0,
      checkpointEvery: o.checkpointEvery ?? 0,
      scores: o.scores,
      states: o.states,
      stateGrads: o.stateGrads,
      flow: o.flow,
    };
  }

  /** Runs the entry and layers [0, end) (default: all); the output is `trace.acts[end]`. */
  forward(pass: Pass, input: NetworkInput, end = this.layers.length): Trace {
    const acts: Activation[] = [this.entry.forward(pass, input)];
    for (let k = 0; k < end; k++) acts.push(this.layers[k]!.forward(pass, acts[k]!));
    return { input, acts, end, output: acts[end]! };
  }

  /**
   * BPTT through the layers of `trace`, last first, from dL/d(its output) `grad`, then into
   * the entry. Parameter gradients accumulate; zero them first ({@link Network.zeroGrad}).
   */
  backward(pass: Pass, trace: Trace, grad: Activation): void {
    let g: Activation | undefined = grad;
    for (let k = trace.end - 1; k >= 0 && g; k--) g = this.layers[k]!.backward(pass, trace.acts[k]!, g, this.#needsInput[k]!);
    if (g && this.entry.params.length > 0) this.entry.backward(pass, trace.input, g);
  }

  /** Throws unless every layer can run one step at a time (`op` names the caller). */
  checkStreamable(op: string): void {
    if (this.#streamProblem !== undefined) throw new InvalidArgumentError(`${op}: ${this.#streamProblem}`);
  }

  /** One streaming step of `pass.batch` sequences (`pass.states` carried); returns the output `[B, O]`. */
  step(pass: Pass, input: NetworkInput): Activation {
    let a = this.entry.forward(pass, input);
    for (const l of this.layers) a = l.step ? l.step(pass, a) : l.forward(pass, a);
    return a;
  }

  /** Sets every parameter gradient to zero. */
  zeroGrad(): void {
    for (const g of this.modules.flatMap((m) => m.groups)) g.grad.view().fill(0);
  }

  /** Frees the workspace and every layer's parameters. */
  dispose(): void {
    this.ws.dispose();
    for (const m of this.modules) m.dispose();
  }
}
