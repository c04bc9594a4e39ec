/**
 * Which saved layers PyTorch cannot compute, and how a model file says so. The tensors of a
 * model file carry PyTorch's state-dict names, so a file loads into `nn.RNN` / `nn.GRU` /
 * `nn.LSTM` with `load_state_dict`. Some variants have the same tensors but another function
 * (`gru({ resetAfter: false })`, `rnn({ residual: true })`) or extra or fewer ones (the LSTM
 * variants): loaded into PyTorch's modules they would compute something else. Their tensors are
 * saved under marked names, `<name>__<cell kind>` (e.g. `rnn.weight_hh_l0__gru_reset_before`),
 * which `load_state_dict(strict=True)` refuses (missing `rnn.weight_hh_l0`, unexpected
 * `rnn.weight_hh_l0__gru_reset_before`), and the file's metadata says
 * `recurrent.torch_compatible: "false"` with the reason in `recurrent.torch_incompatible`.
 * `loadModel` reads marked and unmarked (older) names alike.
 */
import { cellKindRow, type CellKind, torchDifference, variantOption } from '../core/cell-kinds.js';
import { FormatError } from '../io/format-error.js';
import { cellKindOf } from './layers.js';
import type { Model } from './model.js';

/** Metadata key: `"false"` when some layer cannot be computed by PyTorch's modules (absent otherwise). */
export const TORCH_COMPATIBLE_KEY = 'recurrent.torch_compatible';
/** Metadata key: why, one sentence per layer. */
export const TORCH_INCOMPATIBLE_KEY = 'recurrent.torch_incompatible';

/**
 * What PyTorch's module would do differently for `kind` (from the cell kind table), introduced
 * by the layer option that selects it; `undefined` when PyTorch computes the same function.
 */
function reason(kind: CellKind): string | undefined {
  const differs = torchDifference(kind);
  if (differs === undefined) return undefined;
  const row = cellKindRow(kind);
  const option =
    row.family === 'lstm'
      ? `lstm({ variant: '${variantOption(kind)}' })`
      : row.family === 'gru'
        ? `gru({ resetAfter: ${row.variant === 'reset_after'} })`
        : row.variant === 'residual'
          ? 'rnn({ residual: true })'
          : row.variant === 'leaky'
            ? "rnn({ leak: 'learn' })"
            : row.variant === 'leaky_fixed'
              ? 'rnn({ leak })'
          : `rnn({ nonlinearity: '${row.variant}' })`;
  return `${option} ${differs}`;
}

/**
 * Each recurrent layer of `model` that PyTorch cannot compute, with its cell kind, reason, and
 * whether its names are marked. A skip connection's layer keeps the fixtures' plain names
 * (`weight_skip_l{k}` beside PyTorch's own): its extra tensor already makes `nn.RNN`'s strict
 * `load_state_dict` refuse the file, and the names are those of the skip RNN's reference.
 */
function incompatibleLayers(model: Model): { kind: CellKind; reason: string; name: string; marked: boolean; params: readonly { name: string }[] }[] {
  return model.network.recurrent.flatMap((r) => {
    const kind = cellKindOf(r.config);
    const why = [reason(kind), r.skip > 0 ? `rnn({ skip: ${r.skip} }) adds W_skip h_{t-${r.skip}} (weight_skip_l{k}); nn.RNN has no skip connection` : undefined]
      .filter((w) => w !== undefined)
      .join('; ');
    return why === '' ? [] : [{ kind, reason: why, name: r.name, marked: reason(kind) !== undefined, params: r.params }];
  });
}

/** The name a parameter's tensor has in a model file, for every parameter whose name is marked. */
export function markedNames(model: Model): Map<string, string> {
  const names = new Map<string, string>();
  for (const layer of incompatibleLayers(model)) {
    if (layer.marked) for (const p of layer.params) names.set(p.name, `${p.name}__${layer.kind}`);
  }
  return names;
}

/** The metadata entries saying the file is not for PyTorch's modules (none when it is). */
export function torchMetadata(model: Model): Record<string, string> {
  const layers = incompatibleLayers(model);
  if (layers.length === 0) return {};
  return {
    [TORCH_COMPATIBLE_KEY]: 'false',
    [TORCH_INCOMPATIBLE_KEY]: layers.map((l) => `layer '${l.name}': ${l.reason}`).join('; '),
  };
}

/**
 * `tensors` (by file name) with marked names turned back into the model's parameter names;
 * other names are kept (older files have no marks). A file holding one parameter under both
 * names is a {@link FormatError}.
 */
export function unmarkNames<T>(model: Model, tensors: ReadonlyMap<string, T>): Map<string, T> {
  const marked = markedNames(model);
  const plain = new Map([...marked].map(([name, mark]) => [mark, name]));
  const out = new Map<string, T>();
  for (const [key, value] of tensors) {
    const name = plain.get(key) ?? key;
    if (out.has(name)) throw new FormatError(`model file: parameter \`${name}\` is stored twice, as \`${name}\` and as \`${marked.get(name)}\``);
    out.set(name, value);
  }
  return out;
}
