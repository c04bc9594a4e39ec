// Issue 11, item 12: RtrlTrainer.step never raised NonFiniteError (a loss of Infinity came back
// as a normal result, and the parameters could become non-finite). Now a step whose state,
// sensitivities, output, loss, gradients or updated parameters would not be finite throws
// NonFiniteError and leaves the trainer exactly as before the step: the next good steps match a
// twin's that never saw the bad one.
import { test } from 'vitest';

import { NonFiniteError, RtrlTrainer, type RtrlTrainerOptions } from 'recurrent';

import assert from '../support/assert.js';

/** Everything observable about a trainer. */
function snapshot(t: RtrlTrainer) {
  const arrays = (r: Record<string, Float64Array>) => Object.entries(r).map(([k, v]) => [k, Array.from(v)]);
  return { params: arrays(t.parameters()), grads: arrays(t.gradients()), hidden: Array.from(t.hidden()), steps: t.steps, accumulated: t.accumulatedSteps };
}

/** Runs the same good steps on `a` and on a `twin` and checks they end identical. */
function matchesTwin(a: RtrlTrainer, twin: RtrlTrainer, steps: [number[], number[] | null][]): void {
  for (const [x, y] of steps) {
    const ra = a.step(x, y);
    const rt = twin.step(x, y);
    assert.equal(ra.loss, rt.loss);
  }
  assert.deepEqual(snapshot(a), snapshot(twin));
}

const good: [number[], number[]][] = [
  [[0.5, -0.2], [0.1, 0.3]],
  [[0.1, 0.4], [-0.2, 0.2]],
  [[-0.3, 0.2], [0.4, -0.1]],
];

for (const updateEvery of [1, 3, 0]) {
  test(`an infinite loss throws NonFiniteError and changes nothing (updateEvery ${updateEvery})`, () => {
    const options: RtrlTrainerOptions = { inputSize: 2, hiddenSize: 3, outputSize: 2, learningRate: 0.05, updateEvery, seed: 7 };
    const a = new RtrlTrainer(options);
    const twin = new RtrlTrainer(options);
    // Two good steps on both, so there are sensitivities and accumulated gradients to keep.
    matchesTwin(a, twin, good.slice(0, 2));
    const before = snapshot(a);
    // A finite target whose squared error overflows float64: the loss is Infinity.
    assert.throws(() => a.step([0.2, 0.2], [1e200, 0]), (e: unknown) => e instanceof NonFiniteError && /loss is not finite/.test(e.message));
    assert.deepEqual(snapshot(a), before);
    matchesTwin(a, twin, good);
  });
}

test('a hidden state that overflows (relu, huge weights) throws NonFiniteError naming it, and changes nothing', () => {
  const options: RtrlTrainerOptions = {
    inputSize: 2, hiddenSize: 3, outputSize: 2, nonlinearity: 'relu', updateEvery: 0, seed: 3, init: { weight_ih: new Float64Array(6).fill(1e300) },
  };
  const a = new RtrlTrainer(options);
  const twin = new RtrlTrainer(options);
  const unsupervised = good.map(([x]) => [x, null] as [number[], null]);
  matchesTwin(a, twin, unsupervised);
  const before = snapshot(a);
  assert.throws(() => a.step([1e10, 1e10], [0, 0]), (e: unknown) => e instanceof NonFiniteError && /hidden state would not be finite/.test(e.message));
  assert.deepEqual(snapshot(a), before);
  matchesTwin(a, twin, unsupervised);
});

test('an update that would make a parameter infinite throws NonFiniteError; parameters, state and gradients are kept', () => {
  const options: RtrlTrainerOptions = { inputSize: 2, hiddenSize: 3, outputSize: 2, learningRate: 1e308, updateEvery: 2, seed: 5 };
  const a = new RtrlTrainer(options);
  a.step([0.5, 0.5], [30, -30]);
  const before = snapshot(a);
  assert.throws(() => a.step([0.5, 0.5], [30, -30]), (e: unknown) => e instanceof NonFiniteError && /updated `\w+`/.test(e.message));
  assert.deepEqual(snapshot(a), before, 'the failed step left nothing, not even its gradient');
  // update() itself: same rule.
  assert.throws(() => a.update(), NonFiniteError);
  assert.deepEqual(snapshot(a), before);
  for (const v of Object.values(a.parameters())) assert.ok(v.every(Number.isFinite));
  // A sane learning rate then works from there.
  a.learningRate = 0.01;
  assert.ok(Number.isFinite(a.update()));
  assert.ok(Number.isFinite(a.step([0.5, 0.5], [0.3, -0.3]).loss));
});
