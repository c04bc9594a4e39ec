/**
 * One ONNX case of an interop fixtures folder (`onnx/NN_name.onnx` + `.expected.json`): every
 * run's inputs through `loadOnnx(...).run`, each output compared at the README's default tier;
 * the language-model case also generates its greedy continuation. A case whose expected file
 * has no `library_equivalent` and is not a PyTorch export (the fixtures' hard-sigmoid LSTM) has
 * no equivalent here: it passes when `loadOnnx` refuses it with a FormatError.
 */
import { FormatError, Vocab } from 'recurrent';
import { loadOnnx } from 'recurrent/onnx';

import { compare, FORWARD, type Comparison } from '../parity/tolerance.js';
import { type InteropOutcome, interopOutcome } from './outcome.js';

interface Tensor {
  shape: number[];
  data: number[];
}

interface OnnxCase {
  source: 'pytorch' | 'onnx-helper';
  library_equivalent?: unknown;
  vocab?: string[];
  generation?: { prefix: string; continuation: string; length: number };
  runs: { inputs: Record<string, Tensor>; outputs: Record<string, Tensor> }[];
}

export async function runOnnxCase(modelPath: string, c: OnnxCase): Promise<InteropOutcome> {
  if (c.source !== 'pytorch' && c.library_equivalent === undefined) {
    try {
      (await loadOnnx(modelPath)).dispose();
    } catch (e) {
      if (e instanceof FormatError) return { ok: true, line: `refused as the fixture has no library equivalent: ${e.message}` };
      throw e;
    }
    return { ok: false, line: 'loaded a model the fixture says has no library equivalent' };
  }
  const m = await loadOnnx(modelPath);
  try {
    const checks: Comparison[] = [];
    c.runs.forEach((run, i) => {
      const got = m.run(run.inputs);
      for (const [name, want] of Object.entries(run.outputs)) {
        const g = got[name];
        const cmp = compare(`run ${i} ${name}`, g?.data, want.data, FORWARD);
        if (g && g.shape.join() !== want.shape.join()) cmp.problem = `shape [${g.shape.join(', ')}], expected [${want.shape.join(', ')}]`;
        checks.push(cmp);
      }
    });
    const extra: string[] = [];
    let extraOk = true;
    if (c.generation && c.vocab) {
      m.model.vocab = Vocab.fromJSON(c.vocab);
      const text = m.model.generate(c.generation.prefix, { length: c.generation.length, greedy: true }) as string;
      const ok = text === c.generation.continuation;
      extraOk = ok;
      extra.push(ok ? `greedy continuation of ${c.generation.length} characters matches` : `greedy continuation differs: ${JSON.stringify(text.slice(0, 40))}`);
    }
    return interopOutcome(checks, extra, extraOk);
  } finally {
    m.dispose();
  }
}
