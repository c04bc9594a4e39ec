/**
 * Keras 3 `.keras` archives (`model.save("model.keras")`): a zip (read with fflate) holding
 * `config.json` (the model's config, Keras 3 style), `metadata.json` (the Keras version) and
 * `model.weights.h5` (read with h5wasm). Keras 3 writes the weights by object path, not by
 * name: `layers/<class in snake_case, numbered>/vars/<i>` (`.../cell/vars/<i>` for a recurrent
 * layer, `.../forward_layer/cell/...` and `.../backward_layer/cell/...` in a Bidirectional,
 * `.../layer/vars/<i>` in a TimeDistributed), each `vars` group naming its layer in a `name`
 * attribute, the variables in creation order. The result has the TensorFlow.js converter's
 * model.json shape and weight names (`<layer>/<cell>/kernel`), so the one plan and mapping of
 * keras-config.ts and keras-weights.ts read it.
 */
import { FormatError } from '../io/format-error.js';
import { describe } from '../validate/index.js';
import { float32Dataset, withH5 } from './keras-h5.js';

type Json = Record<string, unknown>;
type Weights = Map<string, { shape: number[]; data: Float32Array }>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** The first bytes of a zip archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';
/** Larger entries are refused before they are inflated (a zip bomb, or not a model). */
const MAX_ENTRY_BYTES = 2 ** 30;

/** The variables of each layer class, in the order Keras creates them. */
const VARIABLES: Readonly<Record<string, readonly string[]>> = {
  Embedding: ['embeddings'],
  Dense: ['kernel', 'bias'],
  cell: ['kernel', 'recurrent_kernel', 'bias'],
};

/** The model.json-shaped topology and the weights by converter name of a `.keras` archive. */
export async function readKeras3(bytes: Uint8Array): Promise<{ modelJson: unknown; weights: Weights }> {
  const what = '.keras archive';
  if (!isZip(bytes)) throw new FormatError(`${what}: not a zip archive (no zip signature); a .keras file is a zip holding ${CONFIG}, ${METADATA} and ${WEIGHTS}`);
  const { unzipSync } = await import('fflate');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > MAX_ENTRY_BYTES) throw new FormatError(`${what}: ${f.name} inflates to ${f.originalSize} bytes, more than ${MAX_ENTRY_BYTES}`);
        return f.name === CONFIG || f.name === METADATA || f.name === WEIGHTS;
      },
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${what}: cannot be unzipped: ${(e as Error).message}`, { cause: e });
  }
  const config = files[CONFIG];
  if (!config) throw new FormatError(`${what}: no ${CONFIG} in the archive (not a Keras 3 model file)`);
  const h5 = files[WEIGHTS];
  if (!h5) throw new FormatError(`${what}: no ${WEIGHTS} in the archive (weights saved as .npz, sharded, or not saved are not read)`);
  const modelConfig = json(`${what}: ${CONFIG}`, config);
  const meta = files[METADATA] ? obj(json(`${what}: ${METADATA}`, files[METADATA])) : {};
  const topology = keras2Config(obj(modelConfig));
  const weights = await readWeights(h5, classesOf(topology));
  return { modelJson: { format: 'layers-model', modelTopology: { keras_version: String(meta['keras_version'] ?? '3'), model_config: topology } }, weights };
}

function json(what: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes), (k, v: unknown) => (k === '__proto__' ? undefined : v));
  } catch (e) {
    throw new FormatError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A Keras 3 tensor reference (`{ class_name: '__keras_tensor__', config: { keras_history: [layer, node, index] } }`) as `[layer, node, index, {}]`. */
function history(t: unknown, where: string): unknown[] {
  const h = obj(obj(t)['config'])['keras_history'];
  if (!Array.isArray(h) || typeof h[0] !== 'string') throw new FormatError(`.keras archive: ${where}: expected a tensor with keras_history, got ${describe(t)}`);
  return [h[0], Number(h[1] ?? 0), Number(h[2] ?? 0), {}];
}

/**
 * The Keras 3 model config in Keras 2's form (what planKeras reads): `batch_shape` as
 * `batch_input_shape`, each call `{ args, kwargs }` as `[[layer, node, index, {}], ...]` (its
 * input, then `initial_state`), a single output as a list of one. Layers whose output only
 * serves as a `mask` argument (the `NotEqual` op Keras 3 adds for `mask_zero`) are left out:
 * masks are computed by the layers here.
 */
function keras2Config(model: Json): Json {
  const className = model['class_name'];
  const config = obj(model['config']);
  const layers = Array.isArray(config['layers']) ? (config['layers'] as unknown[]).map(obj) : [];
  const calls = (l: Json): Json[] => (Array.isArray(l['inbound_nodes']) ? (l['inbound_nodes'] as unknown[]).map(obj) : []);
  const used = new Set<string>();
  const maskOnly = new Set<string>();
  for (const l of layers) {
    for (const call of calls(l)) {
      for (const t of [call['args'], obj(call['kwargs'])['initial_state']].flat(2)) if (obj(t)['class_name'] === '__keras_tensor__') used.add(String(history(t, 'input')[0]));
      const mask = obj(call['kwargs'])['mask'];
      if (mask !== undefined && mask !== null) maskOnly.add(String(history(mask, 'mask')[0]));
    }
  }
  const outputs = config['output_layers'];
  const outs = Array.isArray(outputs) && typeof outputs[0] === 'string' ? [outputs] : outputs;
  for (const o of Array.isArray(outs) ? outs : []) used.add(String((o as unknown[])[0]));
  const kept = layers.filter((l) => !(maskOnly.has(String(obj(l['config'])['name'])) && !used.has(String(obj(l['config'])['name']))));
  return {
    class_name: className,
    config: {
      ...config,
      output_layers: outs,
      layers: kept.map((l) => {
        const c = obj(l['config']);
        const where = `layer ${JSON.stringify(c['name'])}`;
        const inbound = calls(l).map((call) => {
          const args = call['args'];
          const first = Array.isArray(args) ? args[0] : args;
          const states = obj(call['kwargs'])['initial_state'];
          return [history(Array.isArray(first) ? first[0] : first, where), ...(Array.isArray(states) ? states : states ? [states] : []).map((s) => history(s, `${where} initial_state`))];
        });
        const shape = c['batch_shape'] ?? c['batch_input_shape'];
        return { ...l, config: { ...c, ...(shape !== undefined ? { batch_input_shape: shape } : {}) }, inbound_nodes: inbound };
      }),
    },
  };
}

/** Layer name -> class name (a Bidirectional's and TimeDistributed's own class). */
function classesOf(topology: Json): Map<string, string> {
  const layers = obj(topology['config'])['layers'] as Json[];
  return new Map(layers.map((l) => [String(obj(l['config'])['name']), String(l['class_name'])]));
}

/**
 * The weights of `model.weights.h5` under converter names: each top-level layer group found by
 * the `name` attribute of its `vars`, its variables named by their order for its class.
 */
function readWeights(bytes: Uint8Array, classes: Map<string, string>): Promise<Weights> {
  const what = `.keras archive: ${WEIGHTS}`;
  return withH5(bytes, what, (h5, file) => {
    const weights: Weights = new Map();
    const root = file.get('layers');
    if (!(root instanceof h5.Group)) throw new FormatError(`${what}: no layers group (not written by Keras 3's model.save)`);
    const group = (parent: unknown, path: string): InstanceType<typeof h5.Group> | undefined => {
      const g = parent instanceof h5.Group ? parent.get(path) : undefined;
      return g instanceof h5.Group ? g : undefined;
    };
    /** The variables of `vars` (`0`, `1`, ...) as `<prefix>/<leaf>`, the leaves in `order`. */
    const take = (vars: InstanceType<typeof h5.Group> | undefined, prefix: string, order: readonly string[], where: string): void => {
      const keys = vars ? vars.keys().filter((k) => /^\d+$/.test(k)) : [];
      if (keys.length > order.length) throw new FormatError(`${what}: ${where} holds ${keys.length} variables, ${order.length} expected (${order.join(', ')})`);
      keys.forEach((k) => weights.set(`${prefix}/${order[Number(k)]!}`, float32Dataset(h5, vars!.get(k), `${what}: ${where}/${k}`)));
    };
    for (const key of root.keys()) {
      const g = group(root, key);
      const name = group(g, 'vars')?.attrs['name']?.value;
      if (typeof name !== 'string') continue;
      const cls = classes.get(name);
      const where = `layers/${key}`;
      if (cls === 'SimpleRNN' || cls === 'GRU' || cls === 'LSTM') take(group(g, 'cell/vars'), `${name}/cell`, VARIABLES['cell']!, `${where}/cell/vars`);
      else if (cls === 'Bidirectional') {
        for (const dir of ['forward_layer', 'backward_layer']) take(group(g, `${dir}/cell/vars`), `${name}/${dir}/cell`, VARIABLES['cell']!, `${where}/${dir}/cell/vars`);
      } else if (cls === 'TimeDistributed') take(group(g, 'layer/vars'), name, VARIABLES['Dense']!, `${where}/layer/vars`);
      else if (cls === 'Embedding' || cls === 'Dense') take(group(g, 'vars'), name, VARIABLES[cls]!, `${where}/vars`);
    }
    return weights;
  });
}
