/** Streaming a model one step at a time against `predict` over the whole sequence. */
import type { Model, ModelState } from 'recurrent';

/**
 * Steps `model` through `x` (`[T, B, I]` time-major, `T = seqLen`, `B = batchSize`) on `state`
 * and returns the largest |difference| between a step's output and `predict`'s at that step.
 */
export function worstStepVsPredict(model: Model, state: ModelState, x: number[], seqLen: number, batchSize: number): number {
  const full = model.predict(x, { seqLen, batchSize });
  const per = x.length / seqLen;
  let worst = 0;
  for (let t = 0; t < seqLen; t++) {
    const out = model.step(x.slice(t * per, (t + 1) * per), state);
    for (let j = 0; j < out.length; j++) worst = Math.max(worst, Math.abs(out[j]! - full[t * out.length + j]!));
  }
  return worst;
}
