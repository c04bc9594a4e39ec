/**
 * The part of recurrent's public API the bench uses, listed once. The workloads see the
 * library only through {@link BenchApi}, so using anything not listed here is a type error;
 * a baseline checkout (`--baseline DIR`, another commit of this repository, not
 * type-checked) is checked against the same lists before anything is timed, so an API that
 * differs fails with its name instead of a `TypeError` in the middle of a run.
 */
import type * as recurrent from 'recurrent';

type Lib = typeof recurrent;

/** Exports called or constructed by the workloads and `ours/recurrent.ts`. */
export const EXPORTS = [
  'init',
  'dispose',
  'sequential',
  'oneHot',
  'lstm',
  'gru',
  'rnn',
  'dense',
  'sgd',
  'Optimizer',
  'RecurrentStack',
  'Float32Buffer',
  'gemm',
  'Model',
  'engine',
  'TreeCell',
  'NO_INPUT',
  'Seq2Seq',
] as const satisfies readonly (keyof Lib)[];

/** What the workloads may use: exactly {@link EXPORTS}. */
export type BenchApi = Pick<Lib, (typeof EXPORTS)[number]>;

type Methods<C extends abstract new (...args: never[]) => unknown> = readonly (keyof InstanceType<C>)[];

/** Prototype methods the workloads call on instances (each name checked against our types). */
export const METHODS = {
  Model: ['trainStep', 'groups', 'dispose'] satisfies Methods<Lib['Model']>,
  RecurrentStack: ['setParameter', 'paramView', 'forwardInto', 'backwardInto', 'stepInto', 'dispose'] satisfies Methods<Lib['RecurrentStack']>,
  Float32Buffer: ['write', 'read', 'view', 'dispose'] satisfies Methods<Lib['Float32Buffer']>,
  Seq2Seq: ['trainStep', 'optimizer', 'dispose'] satisfies Methods<Lib['Seq2Seq']>,
} as const;

/** Static members the workloads call. */
export const STATICS = { Float32Buffer: ['from'] satisfies readonly (keyof Lib['Float32Buffer'])[] } as const;

/** Members of the engine `init` returns that `ours/recurrent.ts` reads. */
export const ENGINE_MEMBERS = ['setThreads', 'build', 'simd', 'threads', 'maxThreads'] as const satisfies readonly (keyof Awaited<ReturnType<Lib['init']>>)[];

/** Names of {@link EXPORTS}, {@link METHODS} and {@link STATICS} that `mod` lacks (`Class.method`, `Class.static`). */
export function missingApi(mod: Record<string, unknown>): string[] {
  const missing: string[] = [];
  for (const name of EXPORTS) if (mod[name] === undefined) missing.push(name);
  for (const [cls, names] of Object.entries(METHODS)) {
    const proto = (mod[cls] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    if (!proto) continue; // already listed as a missing export
    for (const m of names) if (typeof proto[m] !== 'function') missing.push(`${cls}.prototype.${m}`);
  }
  for (const [cls, names] of Object.entries(STATICS)) {
    const c = mod[cls] as Record<string, unknown> | undefined;
    if (typeof c !== 'function') continue;
    for (const m of names) if (typeof c[m] !== 'function') missing.push(`${cls}.${m}`);
  }
  return missing;
}

/** Members of {@link ENGINE_MEMBERS} the started engine lacks. */
export function missingEngineMembers(engine: object): string[] {
  return ENGINE_MEMBERS.filter((m) => !(m in engine));
}
