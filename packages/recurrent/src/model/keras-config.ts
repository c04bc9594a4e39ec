/**
 * The TensorFlow.js layers format's `model.json` topology (Keras config, snake_case) as a plan of
 * this library's layers: `InputLayer`, `Embedding` (`mask_zero`), `Masking`, `Dropout`,
 * `SimpleRNN`, `GRU` (`reset_after` true and false), `LSTM`, `Bidirectional` (concat, sum, ave,
 * mul), stacked, `Dense` / `TimeDistributed(Dense)` with an activation; `return_sequences`,
 * `return_state`, `stateful`, initial states given as model inputs. A chain only: anything else is
 * a FormatError naming the layer.
 */
import { FormatError } from '../io/format-error.js';
import { describe } from '../validate/index.js';

export type KerasActivation = 'linear' | 'softmax' | 'tanh' | 'sigmoid' | 'relu';

export interface KerasRecurrentPlan {
  /** The Keras layer name (weights are found under it). */
  name: string;
  type: 'rnn' | 'gru' | 'lstm';
  units: number;
  nonlinearity: 'tanh' | 'relu';
  resetAfter: boolean;
  useBias: boolean;
  returnSequences: boolean;
  /** Outputs 1.. of the layer are its final states (h, then c for an LSTM). */
  returnState: boolean;
  stateful: boolean;
  /** Bidirectional merge mode, or undefined for a one-way layer. */
  merge?: 'concat' | 'sum' | 'ave' | 'mul';
  /** Graph inputs giving the initial h (and c), when the layer is called with `initial_state`. */
  initialState: string[];
}

export interface KerasPlan {
  /** The main input: features `[B, T, F]` (`inputSize`) or token ids `[B, T]` (embedding). */
  input: string;
  inputSize?: number;
  embedding?: { name: string; vocabSize: number; dim: number; maskZero: boolean };
  /** `Masking(mask_value)`: a step is masked when every feature equals it. */
  maskValue?: number;
  recurrent: KerasRecurrentPlan[];
  dense?: { name: string; units: number; activation: KerasActivation; useBias: boolean };
  /** Model outputs in order: Keras's names (`layer`, `layer_1`, ...) and which tensor of which layer. */
  outputs: { name: string; layer: string; index: number }[];
  /** Fixed batch size of a stateful model (its `batch_input_shape`). */
  batchSize?: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** The Keras model config inside a model.json (converter: `modelTopology.model_config`; tfjs save: `modelTopology`). */
export function modelConfigOf(modelJson: unknown): { className: string; config: Json; producer: 'keras' | 'tfjs' } {
  const m = obj(modelJson);
  if (m['format'] !== undefined && m['format'] !== 'layers-model') throw new FormatError(`model.json: format ${describe(m['format'])} is not "layers-model" (a graph model has no layers to read)`);
  const topo = obj(m['modelTopology']);
  const mc = obj(topo['model_config'] ?? topo);
  const className = mc['class_name'];
  if (className !== 'Sequential' && className !== 'Functional' && className !== 'Model') throw new FormatError(`model.json: expected a Sequential or Functional model, got ${describe(className)}`);
  const version = String(topo['keras_version'] ?? '');
  return { className, config: obj(mc['config']), producer: version.startsWith('tfjs') ? 'tfjs' : 'keras' };
}

const ACTIVATIONS = ['linear', 'softmax', 'tanh', 'sigmoid', 'relu'];

function recurrentOf(name: string, cls: string, c: Json, producer: 'keras' | 'tfjs', where: string): KerasRecurrentPlan {
  const type = cls === 'SimpleRNN' ? 'rnn' : cls === 'GRU' ? 'gru' : 'lstm';
  const act = c['activation'] ?? 'tanh';
  const ract = c['recurrent_activation'] ?? 'sigmoid';
  if (type === 'rnn' ? act !== 'tanh' && act !== 'relu' : act !== 'tanh') throw new FormatError(`model.json: ${where}: activation ${describe(act)} has no equivalent here (tanh${type === 'rnn' ? ' or relu' : ''})`);
  if (type !== 'rnn' && ract !== 'sigmoid') throw new FormatError(`model.json: ${where}: recurrent_activation ${describe(ract)} has no equivalent here (sigmoid only; hard_sigmoid is not a cell kind of this library)`);
  if (c['go_backwards']) throw new FormatError(`model.json: ${where}: go_backwards has no equivalent here`);
  if (Number(c['dropout'] ?? 0) !== 0 || Number(c['recurrent_dropout'] ?? 0) !== 0) {
    // Dropout only acts while training; inference (what is read here) ignores it.
  }
  const units = Number(c['units']);
  if (!Number.isInteger(units) || units < 1) throw new FormatError(`model.json: ${where}: units expected a positive integer, got ${describe(c['units'])}`);
  // A GRU without the key: Keras 2/3 default true, tfjs-layers false (the fixtures README).
  const resetAfter = type === 'gru' ? Boolean(c['reset_after'] ?? producer === 'keras') : true;
  return {
    name, type, units, nonlinearity: act === 'relu' ? 'relu' : 'tanh', resetAfter, useBias: c['use_bias'] !== false,
    returnSequences: Boolean(c['return_sequences']), returnState: Boolean(c['return_state']), stateful: Boolean(c['stateful']), initialState: [],
  };
}

/** The plan of a model.json (see the module comment). */
export function planKeras(modelJson: unknown): KerasPlan {
  const { className, config, producer } = modelConfigOf(modelJson);
  const layers = Array.isArray(config['layers']) ? (config['layers'] as unknown[]).map(obj) : [];
  if (layers.length === 0) throw new FormatError('model.json: the model has no layers');
  const plan: KerasPlan = { input: '', recurrent: [], outputs: [] };
  const inputs = new Set<string>();
  let lastName = '';
  let pendingTokens = false;
  layers.forEach((l, i) => {
    const cls = String(l['class_name']);
    const c = obj(l['config']);
    const name = String(c['name'] ?? l['name'] ?? `layer ${i}`);
    const where = `layer ${JSON.stringify(name)} (${cls})`;
    const bis = c['batch_input_shape'];
    if (Array.isArray(bis)) {
      if (typeof bis[0] === 'number') plan.batchSize = bis[0];
      if (cls !== 'InputLayer' && plan.input === '') {
        plan.input = 'input';
        if (typeof bis[2] === 'number') plan.inputSize = bis[2];
      }
    }
    const inbound = Array.isArray(l['inbound_nodes']) ? (l['inbound_nodes'] as unknown[]) : [];
    const node = inbound[0] ?? [];
    if (!Array.isArray(node) || node.some((t) => !Array.isArray(t) || typeof t[0] !== 'string')) {
      throw new FormatError(`model.json: ${where}: inbound_nodes expected [[["layer", 0, 0, {}], ...]]`);
    }
    const sources = node.map((t) => String((t as unknown[])[0]));
    if (className !== 'Sequential' && cls !== 'InputLayer' && sources[0] !== lastName) throw new FormatError(`model.json: ${where} does not take the previous layer's output: only chains of layers are read`);
    if (inbound.length > 1) throw new FormatError(`model.json: ${where} is called more than once: only chains of layers are read`);
    const last = plan.recurrent.at(-1);
    if (plan.dense && cls !== 'Dropout') throw new FormatError(`model.json: ${where} after the Dense layer: a Dense layer must be last`);
    switch (cls) {
      case 'InputLayer': {
        inputs.add(name);
        if (plan.input === '') {
          plan.input = name;
          const shape = Array.isArray(bis) ? bis : [];
          if (typeof shape[2] === 'number') plan.inputSize = shape[2];
          pendingTokens = String(c['dtype'] ?? 'float32').startsWith('int');
          lastName = name;
        }
        return;
      }
      case 'Embedding': {
        if (plan.recurrent.length > 0 || plan.embedding) throw new FormatError(`model.json: ${where}: an Embedding must come first`);
        plan.embedding = { name, vocabSize: Number(c['input_dim']), dim: Number(c['output_dim']), maskZero: Boolean(c['mask_zero']) };
        delete plan.inputSize;
        break;
      }
      case 'Masking':
        if (plan.recurrent.length > 0 || plan.embedding) throw new FormatError(`model.json: ${where}: Masking must come first`);
        plan.maskValue = Number(c['mask_value'] ?? 0);
        break;
      case 'Dropout':
      case 'SpatialDropout1D':
        break; // inference: the identity
      case 'SimpleRNN':
      case 'GRU':
      case 'LSTM':
      case 'Bidirectional': {
        if (last && !last.returnSequences) throw new FormatError(`model.json: ${where}: the recurrent layer before it returns only its last output`);
        if (last?.merge === 'mul') throw new FormatError(`model.json: ${where}: a Bidirectional layer with merge_mode "mul" can only be last`);
        let r: KerasRecurrentPlan;
        if (cls === 'Bidirectional') {
          const inner = obj(c['layer']);
          const ic = String(inner['class_name']);
          if (ic !== 'SimpleRNN' && ic !== 'GRU' && ic !== 'LSTM') throw new FormatError(`model.json: ${where} wraps ${describe(ic)}; SimpleRNN, GRU or LSTM expected`);
          const merge = c['merge_mode'] ?? 'concat';
          if (merge !== 'concat' && merge !== 'sum' && merge !== 'ave' && merge !== 'mul') throw new FormatError(`model.json: ${where}: merge_mode ${describe(merge)} is not read (concat, sum, ave, mul)`);
          r = { ...recurrentOf(name, ic, obj(inner['config']), producer, where), merge };
          if (r.returnState) throw new FormatError(`model.json: ${where}: return_state of a Bidirectional layer is not read`);
        } else r = recurrentOf(name, cls, c, producer, where);
        if (sources.length > 1) {
          if (plan.recurrent.length > 0 || r.merge) throw new FormatError(`model.json: ${where}: initial states are read for the first one-way recurrent layer only`);
          for (const s of sources.slice(1)) if (!inputs.has(s)) throw new FormatError(`model.json: ${where}: its initial state ${JSON.stringify(s)} must be a model input`);
          r.initialState = sources.slice(1);
        }
        plan.recurrent.push(r);
        break;
      }
      case 'Dense':
      case 'TimeDistributed': {
        const dc = cls === 'TimeDistributed' ? obj(obj(c['layer'])['config']) : c;
        if (cls === 'TimeDistributed' && obj(c['layer'])['class_name'] !== 'Dense') throw new FormatError(`model.json: ${where} wraps ${describe(obj(c['layer'])['class_name'])}; only Dense is read`);
        if (!last) throw new FormatError(`model.json: ${where}: a Dense layer needs a recurrent layer before it`);
        const activation = String(dc['activation'] ?? 'linear');
        if (!ACTIVATIONS.includes(activation)) throw new FormatError(`model.json: ${where}: activation ${JSON.stringify(activation)} is not read (${ACTIVATIONS.join(', ')})`);
        plan.dense = { name, units: Number(dc['units']), activation: activation as KerasActivation, useBias: dc['use_bias'] !== false };
        break;
      }
      default:
        throw new FormatError(`model.json: unsupported layer ${where}: read are Embedding, Masking, Dropout, SimpleRNN, GRU, LSTM, Bidirectional, Dense, TimeDistributed(Dense)`);
    }
    lastName = name;
  });
  if (plan.recurrent.length === 0) throw new FormatError('model.json: the model has no SimpleRNN, GRU, LSTM or Bidirectional layer');
  if (pendingTokens && !plan.embedding) throw new FormatError('model.json: an integer input needs an Embedding layer');
  if (!plan.embedding && plan.inputSize === undefined) throw new FormatError('model.json: the input\'s feature size is not given (batch_input_shape)');
  const outs = className === 'Sequential' ? [[lastName, 0, 0]] : config['output_layers'];
  if (!Array.isArray(outs) || outs.length === 0 || outs.some((o) => !Array.isArray(o) || typeof o[0] !== 'string')) {
    throw new FormatError('model.json: output_layers expected [["layer", 0, index], ...]');
  }
  const seen = new Map<string, number>();
  for (const o of outs as unknown[][]) {
    const layer = String(o[0]);
    const index = Number(o[2] ?? 0);
    const r = plan.recurrent.find((x) => x.name === layer);
    const states = r?.returnState ? (r.type === 'lstm' ? 2 : 1) : 0;
    if (index === 0 ? layer !== lastName : !(Number.isInteger(index) && index >= 1 && index <= states)) {
      throw new FormatError(`model.json: output ${JSON.stringify(layer)} tensor ${String(o[2])} is not read (the last layer's output, or the states of a layer with return_state)`);
    }
    const n = seen.get(layer) ?? 0;
    seen.set(layer, n + 1);
    plan.outputs.push({ name: n === 0 ? layer : `${layer}_${n}`, layer, index });
  }
  return plan;
}
