/**
 * One Keras / TensorFlow.js case of an interop fixtures folder (`keras/NN_name/`): the model
 * read with `loadKeras` from each file it has (`tfjs/` converter output, `tfjs-save/` tfjs
 * `model.save`, the Keras HDF5 `model.h5`, a Keras 3 `.keras` archive), every run in order (stateful runs on one instance, reset
 * where marked), each output compared at the README's default tier. A case whose recurrent
 * layers all have no library kind (`pytorch_equivalent[*].kind` null: tfjs's hard sigmoid)
 * passes when `loadKeras` refuses it with a FormatError.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';

import { FormatError, loadKeras } from 'recurrent';

import { compare, FORWARD, type Comparison } from '../parity/tolerance.js';
import { type InteropOutcome, interopOutcome } from './outcome.js';

interface Tensor {
  shape: number[];
  data: number[];
}

interface KerasCase {
  files: { keras_h5?: string; tfjs_converted?: string; tfjs_saved?: string; keras_v3?: string };
  pytorch_equivalent?: Record<string, { kind: string | null }>;
  runs: { mode: string; reset_states_before?: boolean; inputs: Record<string, Tensor>; outputs: Record<string, Tensor> }[];
}

export async function runKerasCase(folder: string): Promise<InteropOutcome> {
  const c = JSON.parse(await readFile(join(folder, 'expected.json'), 'utf8')) as KerasCase;
  const files = [c.files.tfjs_converted, c.files.tfjs_saved, c.files.keras_h5, c.files.keras_v3].filter((f): f is string => f !== undefined);
  if (files.length === 0) return { ok: false, line: 'no model file (tfjs/, tfjs-save/, model.h5 or a .keras archive) in the case' };
  const kinds = Object.values(c.pytorch_equivalent ?? {});
  if (kinds.length > 0 && kinds.every((k) => k.kind === null)) {
    const refusals: string[] = [];
    for (const f of files) {
      try {
        (await loadKeras(join(folder, f))).dispose();
        return { ok: false, line: `${f}: loaded a model the fixture says has no library kind` };
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        refusals.push(`${f}: ${e.message}`);
      }
    }
    return { ok: true, line: `refused as the fixture has no library kind: ${refusals.join('; ')}` };
  }
  const checks: Comparison[] = [];
  for (const f of files) {
    const m = await loadKeras(join(folder, f));
    try {
      c.runs.forEach((run, i) => {
        if (run.reset_states_before) m.resetStates();
        const got = m.predict(run.inputs);
        for (const [name, want] of Object.entries(run.outputs)) {
          const g = got[name];
          const cmp = compare(`${f.split('/')[0]} run ${i} ${name}`, g?.data, want.data, FORWARD);
          if (g && g.shape.join() !== want.shape.join()) cmp.problem = `shape [${g.shape.join(', ')}], expected [${want.shape.join(', ')}]`;
          checks.push(cmp);
        }
      });
    } finally {
      m.dispose();
    }
  }
  return interopOutcome(checks, [`files: ${files.join(', ')}`]);
}
