/**
 * The PyTorch cases of `test/fixtures/api` (float64, written by scripts/fixtures/api_fixtures.py):
 * a sequential model's layers, PyTorch's state dict, and the output, loss and gradients it
 * gives; and the float32-against-float64 comparison the tests use for them.
 */
import { type LayerConfig, type Loss, type Model, sgd } from 'recurrent';

import assert from './assert.js';
import { readDataJson, repoPath } from './files.js';

export interface TorchCase {
  layers: LayerConfig[];
  inputSize: number;
  seqLen: number;
  batchSize: number;
  x: number[];
  y: number[];
  /** Valid steps per sequence, when the case has them. */
  lengths?: number[];
  loss: Loss;
  /** Sample weights per output row, when the case has them. */
  weights?: number[];
  stateDict: Record<string, number[]>;
  output: number[];
  lossValue: number;
  grads: Record<string, number[]>;
}

/** `test/fixtures/api/<name>.json`. */
export function readTorchCase(name: string): Promise<TorchCase> {
  return readDataJson<TorchCase>(repoPath(`test/fixtures/api/${name}.json`));
}

/** Float32 arithmetic against a float64 reference (`ref` names it in the message): `|a - e| <= tol * (1 + |e|)`. */
export function close(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 2e-5, ref = 'PyTorch'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    assert.ok(err <= tol * (1 + Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs ${ref} ${expected[i]}`);
  }
}

/**
 * Loads the case's state dict into `model` (made from its layers), then checks against PyTorch
 * the output `predict` returns, the loss `evaluate` measures (2e-5) and the gradient of every
 * parameter a training step leaves (5e-5; the model has exactly the case's parameters).
 */
export function checkAgainstTorch(model: Model, c: TorchCase): void {
  model.loadStateDict(c.stateDict);
  const shape = { seqLen: c.seqLen, batchSize: c.batchSize, ...(c.lengths ? { lengths: c.lengths } : {}) };
  const batch = { x: c.x, y: c.y, ...shape, ...(c.weights ? { weights: c.weights } : {}) };
  close(model.predict(c.x, shape), c.output, 'output');
  const measured = model.evaluate(batch, c.loss);
  assert.ok(Math.abs(measured.loss - c.lossValue) <= 2e-5 * (1 + Math.abs(c.lossValue)), `loss ${measured.loss} vs PyTorch ${c.lossValue}`);
  // A step leaves this step's gradients in place; the tiny rate keeps the weights as they were.
  model.trainStep(batch, { loss: c.loss, optimizer: model.optimizerFor(sgd({ lr: 1e-12 })) });
  const params = new Map(model.parameters().map((p) => [p.name, p]));
  assert.deepEqual([...params.keys()].sort(), Object.keys(c.grads).sort());
  for (const [pname, g] of Object.entries(c.grads)) close(params.get(pname)!.readGrad(), g, `d${pname}`, 5e-5);
}

/** The `rnn ` row of `model.summary()` counts the parameters PyTorch's `rnn.*` tensors hold. */
export function assertSummaryCountsTorch(model: Model, c: TorchCase): void {
  const torchCount = Object.entries(c.stateDict).filter(([k]) => k.startsWith('rnn.')).reduce((n, [, v]) => n + v.length, 0);
  const row = model.summary().split('\n').find((l) => l.startsWith('rnn '))!;
  assert.ok(row.trim().endsWith(` ${torchCount}`), `${row} vs PyTorch's ${torchCount}`);
}
