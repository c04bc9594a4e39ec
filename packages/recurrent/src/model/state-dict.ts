/**
 * State dicts: parameters by their PyTorch names. Loading checks every entry (names, shapes,
 * finite values) before writing any, so a bad dict changes nothing.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkFinite, checkObject, checkOptionalBoolean, describe } from '../validate/index.js';
import type { Param } from './param.js';

/** A state dict as `loadStateDict` takes it. */
export type StateDictInput = ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;

/** Every parameter by name (copies). */
export function readStateDict(params: readonly Param[]): Map<string, Float32Array> {
  return new Map(params.map((p) => [p.name, p.read()]));
}

/** `dict` as a Map (checked to be a Map or an object). */
export function stateDictEntries(op: string, dict: unknown): Map<string, ArrayLike<number>> {
  checkObject(op, 'dict', dict, 'a Map or object of parameter name to values');
  return dict instanceof Map ? (dict as Map<string, ArrayLike<number>>) : new Map(Object.entries(dict as Record<string, ArrayLike<number>>));
}

/**
 * The writes `entries` asks of `params`, each checked: with `strict`, every parameter present
 * and no other name; every value of the parameter's size and finite.
 */
export function checkStateDict(op: string, params: readonly Param[], entries: ReadonlyMap<string, ArrayLike<number>>, strict: boolean): [Param, Float32Array][] {
  const known = new Set(params.map((p) => p.name));
  if (strict) {
    const missing = params.filter((p) => !entries.has(p.name)).map((p) => p.name);
    const unexpected = [...entries.keys()].filter((k) => !known.has(k));
    if (missing.length || unexpected.length) {
      throw new InvalidArgumentError(
        `${op}: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}`,
      );
    }
  }
  const checked: [Param, Float32Array][] = [];
  for (const p of params) {
    const v = entries.get(p.name);
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || v.length !== p.size) {
      throw new InvalidArgumentError(`${op}: \`${p.name}\` expected shape [${p.shape.join(', ')}] (${p.size} values), got ${typeof v === 'object' && v !== null ? `${v.length} values` : describe(v)}`);
    }
    const f = v instanceof Float32Array ? v : Float32Array.from(v);
    checkFinite(op, `\`${p.name}\``, f);
    checked.push([p, f]);
  }
  return checked;
}

/** Sets parameters from a state dict (see {@link checkStateDict}); nothing is written when a check fails. */
export function loadStateDict(op: string, params: readonly Param[], dict: unknown, options: unknown): void {
  const entries = stateDictEntries(op, dict);
  checkObject(op, 'options', options, 'an options object');
  const strict = (options as { strict?: unknown }).strict;
  checkOptionalBoolean(op, 'strict', strict);
  for (const [p, f] of checkStateDict(op, params, entries, (strict as boolean | undefined) ?? true)) p.write(f);
}
