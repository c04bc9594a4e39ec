// Real-time recurrent learning (online/): the forward-mode gradient of the summed loss equals
// BPTT's (the engine's RecurrentStack, float32) and a float64 central finite difference, for
// tanh and relu, squared error and cross-entropy, at every prefix of the sequence and with
// unsupervised steps; online updates (every step, every k steps, clipping) do what they say
// and learn a delayed-copy task; state resets; limits and bad arguments give clear errors.
import { afterAll, beforeAll, describe, test } from 'vitest';

import { dispose, init, RecurrentStack } from 'recurrent';

import { InvalidArgumentError } from 'recurrent';
import { Random } from 'recurrent';
import {
  RTRL_MAX_HIDDEN_SIZE,
  RTRL_PARAMETER_NAMES,
  rtrlCost,
  RtrlTrainer,
  type RtrlLoss,
  type RtrlNonlinearity,
  type RtrlParameterName,
} from 'recurrent';

import { randomF32, rng } from '../support/random.js';
import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

type Params = Record<RtrlParameterName, Float64Array>;
/** One step's target: a class index, O values, or none (an unsupervised step). */
type Target = number | Float64Array | null;

interface Problem {
  I: number;
  H: number;
  O: number;
  T: number;
  nonlinearity: RtrlNonlinearity;
  loss: RtrlLoss;
  /** Float32-representable parameters (as float64 arrays), so both engines see the same numbers. */
  params: Params;
  /** `[T, I]`, float32-representable. */
  xs: Float32Array;
  targets: Target[];
}

function makeProblem(seed: number, nonlinearity: RtrlNonlinearity, loss: RtrlLoss, unsupervisedEvery = 0): Problem {
  const I = 3;
  const H = 5;
  const O = loss === 'cross-entropy' ? 4 : 2;
  const T = 12;
  const next = rng(seed);
  const f32 = (n: number, scale: number): Float64Array => Float64Array.from(randomF32(n, next), (v) => Math.fround(v * scale));
  const params: Params = {
    weight_ih: f32(H * I, 0.8),
    weight_hh: f32(H * H, 0.6),
    bias_ih: f32(H, 0.3),
    bias_hh: f32(H, 0.3),
    weight_out: f32(O * H, 0.8),
    bias_out: f32(O, 0.2),
  };
  const xs = randomF32(T * I, next);
  const targets: Target[] = [];
  for (let t = 0; t < T; t++) {
    if (unsupervisedEvery > 0 && t % unsupervisedEvery !== unsupervisedEvery - 1) targets.push(null);
    else if (loss === 'cross-entropy') targets.push(Math.floor(next() * O));
    else targets.push(Float64Array.from(randomF32(O, next)));
  }
  return { I, H, O, T, nonlinearity, loss, params, xs, targets };
}

/** An independent float64 forward pass: the summed loss of steps [0, steps). */
function referenceLoss(p: Problem, params: Params, steps = p.T): number {
  const { I, H, O } = p;
  let h = new Float64Array(H);
  let total = 0;
  for (let t = 0; t < steps; t++) {
    const next = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let z = params.bias_ih[i]! + params.bias_hh[i]!;
      for (let j = 0; j < I; j++) z += params.weight_ih[i * I + j]! * p.xs[t * I + j]!;
      for (let j = 0; j < H; j++) z += params.weight_hh[i * H + j]! * h[j]!;
      next[i] = p.nonlinearity === 'tanh' ? Math.tanh(z) : Math.max(0, z);
    }
    h = next;
    const target = p.targets[t];
    if (target === null || target === undefined) continue;
    const o = readout(params, h, O, H);
    total += stepLoss(p.loss, o, target).loss;
  }
  return total;
}

function readout(params: Params, h: ArrayLike<number>, O: number, H: number): Float64Array {
  const o = new Float64Array(O);
  for (let k = 0; k < O; k++) {
    let s = params.bias_out[k]!;
    for (let j = 0; j < H; j++) s += params.weight_out[k * H + j]! * h[j]!;
    o[k] = s;
  }
  return o;
}

/** Loss and dL/do of one step, written out independently of online/loss.ts. */
function stepLoss(loss: RtrlLoss, o: Float64Array, target: number | Float64Array): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(o.length);
  if (loss === 'mse') {
    assert.ok(target instanceof Float64Array);
    let s = 0;
    for (let k = 0; k < o.length; k++) {
      const d = o[k]! - target[k]!;
      s += d * d;
      grad[k] = (2 * d) / o.length;
    }
    return { loss: s / o.length, grad };
  }
  assert.equal(typeof target, 'number');
  const y = target as number;
  const z = Array.from(o, (v) => Math.exp(v));
  const sum = z.reduce((a, b) => a + b, 0);
  for (let k = 0; k < o.length; k++) grad[k] = z[k]! / sum - (k === y ? 1 : 0);
  return { loss: Math.log(sum) - o[y]!, grad };
}

function rtrlTrainer(p: Problem): RtrlTrainer {
  return new RtrlTrainer({
    inputSize: p.I,
    hiddenSize: p.H,
    outputSize: p.O,
    nonlinearity: p.nonlinearity,
    loss: p.loss,
    updateEvery: 0,
    init: p.params,
  });
}

/** Runs RTRL over steps [0, steps) and returns the gradient accumulated so far, and the summed loss. */
function rtrlGradients(p: Problem, steps = p.T): { grads: Params; loss: number } {
  const trainer = rtrlTrainer(p);
  let loss = 0;
  for (let t = 0; t < steps; t++) loss += trainer.step(p.xs.subarray(t * p.I, (t + 1) * p.I), p.targets[t]).loss;
  return { grads: trainer.gradients(), loss };
}

/** BPTT with the engine's RecurrentStack (float32); the readout and loss in float64 here. */
function bpttGradients(p: Problem): Params {
  const { I, H, O, T } = p;
  const stack = new RecurrentStack({ kind: p.nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize: I, hiddenSize: H });
  try {
    for (const name of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] as const) {
      stack.setParameter(`${name}_l0`, Float32Array.from(p.params[name]));
    }
    const { y } = stack.forward(p.xs, { seqLen: T, batch: 1, training: true });
    const gy = new Float32Array(T * H);
    const weightOut = new Float64Array(O * H);
    const biasOut = new Float64Array(O);
    for (let t = 0; t < T; t++) {
      const target = p.targets[t];
      if (target === null || target === undefined) continue;
      const h = y.subarray(t * H, (t + 1) * H);
      const { grad } = stepLoss(p.loss, readout(p.params, h, O, H), target);
      for (let k = 0; k < O; k++) {
        biasOut[k] = biasOut[k]! + grad[k]!;
        for (let j = 0; j < H; j++) {
          weightOut[k * H + j] = weightOut[k * H + j]! + grad[k]! * h[j]!;
          gy[t * H + j] = gy[t * H + j]! + grad[k]! * p.params.weight_out[k * H + j]!;
        }
      }
    }
    stack.zeroGradients();
    stack.backward({ gy, inputGradient: false });
    const g = (name: string): Float64Array => Float64Array.from(stack.getGradient(`${name}_l0`));
    return {
      weight_ih: g('weight_ih'),
      weight_hh: g('weight_hh'),
      bias_ih: g('bias_ih'),
      bias_hh: g('bias_hh'),
      weight_out: weightOut,
      bias_out: biasOut,
    };
  } finally {
    stack.dispose();
  }
}

/** Central differences of the summed loss of steps [0, steps), in float64. */
function finiteDifferences(p: Problem, steps = p.T, eps = 1e-6): Params {
  const out = {} as Params;
  for (const name of RTRL_PARAMETER_NAMES) {
    const base = p.params[name];
    const g = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const perturbed = (delta: number): number => {
        const values = base.slice();
        values[i] = values[i]! + delta;
        return referenceLoss(p, { ...p.params, [name]: values }, steps);
      };
      g[i] = (perturbed(eps) - perturbed(-eps)) / (2 * eps);
    }
    out[name] = g;
  }
  return out;
}

/** max |a - b| / max |b|: the error relative to the tensor's scale. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  assert.ok(scale > 0, 'reference gradient is all zero: the check would be vacuous');
  return err / scale;
}

function compareAll(actual: Params, expected: Params, tolerance: number, label: string, names = RTRL_PARAMETER_NAMES): string {
  const parts: string[] = [];
  for (const name of names) {
    const e = relativeError(actual[name], expected[name]);
    parts.push(`${name} ${e.toExponential(1)}`);
    assert.ok(e <= tolerance, `${label}: ${name} differs by ${e.toExponential(2)} relative (tolerance ${tolerance})`);
  }
  return `${label}: ${parts.join(', ')}`;
}

const RECURRENT: readonly RtrlParameterName[] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'];

describe('RTRL gradients equal BPTT and finite differences', () => {
  beforeAll(async () => {
    await init(engineOptions);
  });

  const cases: [RtrlNonlinearity, RtrlLoss, number][] = [
    ['tanh', 'mse', 11],
    ['tanh', 'cross-entropy', 12],
    ['relu', 'mse', 13],
    ['relu', 'cross-entropy', 14],
  ];
  for (const [nonlinearity, loss, seed] of cases) {
    test(`${nonlinearity}, ${loss}: total-loss gradient (no updates) = RecurrentStack BPTT and float64 central differences`, ({ annotate }) => {
      const p = makeProblem(seed, nonlinearity, loss);
      const { grads, loss: total } = rtrlGradients(p);
      assert.ok(Math.abs(total - referenceLoss(p, p.params)) <= 1e-12 * Math.max(1, total));
      assert.deepEqual(grads.bias_ih, grads.bias_hh);
      // float32 BPTT against float64 RTRL.
      annotate(compareAll(grads, bpttGradients(p), 1e-5, 'vs BPTT', RECURRENT));
      // float64 against float64: only the difference quotient's own error remains.
      annotate(compareAll(grads, finiteDifferences(p), 1e-7, 'vs finite differences'));
    });
  }

  test('the gradient of the loss so far is exact at every step (prefix losses), with unsupervised steps', ({ annotate }) => {
    const p = makeProblem(21, 'tanh', 'cross-entropy', 3); // a target on every third step only
    const trainer = rtrlTrainer(p);
    let worst = 0;
    for (let s = 1; s <= p.T; s++) {
      const r = trainer.step(p.xs.subarray((s - 1) * p.I, s * p.I), p.targets[s - 1]);
      if (p.targets[s - 1] === null) assert.equal(r.loss, 0);
      if (s % 3 !== 0) continue;
      const fd = finiteDifferences(p, s);
      const grads = trainer.gradients();
      for (const name of RTRL_PARAMETER_NAMES) worst = Math.max(worst, relativeError(grads[name], fd[name]));
    }
    annotate(`worst relative error over prefixes 3, 6, 9, 12: ${worst.toExponential(1)}`);
    assert.ok(worst <= 1e-7);
    assert.equal(trainer.accumulatedSteps, 4);
    assert.equal(trainer.steps, 12);
  });

  test('resetState starts a new sequence: the second sequence adds exactly its own gradient', () => {
    const p = makeProblem(31, 'tanh', 'mse');
    const once = rtrlGradients(p).grads;
    const trainer = rtrlTrainer(p);
    for (let round = 0; round < 2; round++) {
      trainer.resetState();
      for (let t = 0; t < p.T; t++) trainer.step(p.xs.subarray(t * p.I, (t + 1) * p.I), p.targets[t]);
    }
    const twice = trainer.gradients();
    for (const name of RTRL_PARAMETER_NAMES) {
      assert.ok(relativeError(twice[name], once[name].map((v) => 2 * v)) <= 1e-12, name);
    }
    trainer.resetGradients();
    assert.ok(Object.values(trainer.gradients()).every((g) => g.every((v) => v === 0)));
  });

  afterAll(() => dispose());
});

describe('RTRL online updates', () => {
  test('updateEvery: k applies SGD with the gradient summed over k steps, then clears it', () => {
    const p = makeProblem(41, 'tanh', 'mse');
    const lr = 0.05;
    const online = new RtrlTrainer({ inputSize: p.I, hiddenSize: p.H, outputSize: p.O, learningRate: lr, updateEvery: 3, init: p.params });
    const reference = rtrlTrainer(p);
    for (let t = 0; t < 3; t++) {
      const x = p.xs.subarray(t * p.I, (t + 1) * p.I);
      const r = online.step(x, p.targets[t]);
      assert.equal(r.updated, t === 2);
      reference.step(x, p.targets[t]);
    }
    const g = reference.gradients();
    const after3 = online.parameters();
    for (const name of RTRL_PARAMETER_NAMES) {
      const expected = p.params[name].map((v, i) => v - lr * g[name][i]!);
      assert.ok(relativeError(after3[name], expected) <= 1e-14, name);
    }
    assert.equal(online.accumulatedSteps, 0);
    assert.ok(Object.values(online.gradients()).every((a) => a.every((v) => v === 0)));
  });

  test('update() clips the global norm to clipNorm and returns the norm before clipping', () => {
    const p = makeProblem(42, 'relu', 'cross-entropy');
    const trainer = new RtrlTrainer({
      inputSize: p.I, hiddenSize: p.H, outputSize: p.O, nonlinearity: 'relu', loss: 'cross-entropy',
      learningRate: 1, updateEvery: 0, clipNorm: 1e-3, init: p.params,
    });
    for (let t = 0; t < p.T; t++) trainer.step(p.xs.subarray(t * p.I, (t + 1) * p.I), p.targets[t]);
    const g = trainer.gradients();
    let sq = 0;
    for (const name of RTRL_PARAMETER_NAMES) for (const v of g[name]) sq += v * v;
    const norm = trainer.update();
    assert.ok(Math.abs(norm - Math.sqrt(sq)) <= 1e-12 * norm && norm > 1e-3);
    const now = trainer.parameters();
    let moved = 0;
    for (const name of RTRL_PARAMETER_NAMES) for (let i = 0; i < now[name].length; i++) moved += (now[name][i]! - p.params[name][i]!) ** 2;
    assert.ok(Math.abs(Math.sqrt(moved) - 1e-3) <= 1e-9);
  });

  test('learns to output the input bit of two steps ago, online, from a seeded init', ({ annotate }) => {
    const run = (): { early: number; late: number; accuracy: number; losses: number[] } => {
      const trainer = new RtrlTrainer({ inputSize: 1, hiddenSize: 8, outputSize: 2, loss: 'cross-entropy', learningRate: 0.1, seed: 1 });
      const data = new Random(101);
      const bits: number[] = [];
      const losses: number[] = [];
      let correct = 0;
      const steps = 2000;
      const window = 200;
      for (let s = 0; s < steps; s++) {
        const bit = data.nextInt(2);
        bits.push(bit);
        const target = s >= 2 ? bits[s - 2]! : 0;
        const r = trainer.step([2 * bit - 1], target);
        losses.push(r.loss);
        if (s >= steps - window) correct += (r.output[1]! > r.output[0]! ? 1 : 0) === target ? 1 : 0;
      }
      const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
      return { early: mean(losses.slice(2, 50)), late: mean(losses.slice(-window)), accuracy: correct / window, losses };
    };
    const a = run();
    annotate(`mean loss: steps 2-49 ${a.early.toFixed(3)}, last 200 of 2000 ${a.late.toFixed(4)}; accuracy ${a.accuracy}`);
    assert.ok(a.early > 0.3, 'the task is not solved from the start');
    assert.ok(a.late < 0.05, `mean loss over the last 200 steps is ${a.late}`);
    assert.ok(a.accuracy >= 0.99);
    assert.deepEqual(run().losses, a.losses, 'the same seed gives the same run');
  });
});

describe('RTRL options, limits and errors', () => {
  const base = { inputSize: 2, hiddenSize: 3, outputSize: 2 };

  test('hiddenSize above RTRL_MAX_HIDDEN_SIZE is refused with the reason; the cost is reported', () => {
    assert.equal(RTRL_MAX_HIDDEN_SIZE, 64);
    assert.throws(
      () => new RtrlTrainer({ ...base, hiddenSize: RTRL_MAX_HIDDEN_SIZE + 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && /RTRL_MAX_HIDDEN_SIZE \(64\)/.test(e.message) && /O\(H\^4\)/.test(e.message),
    );
    assert.throws(() => new RtrlTrainer({ ...base, inputSize: 2000, hiddenSize: 64 }), (e: unknown) => e instanceof InvalidArgumentError && /RTRL_MAX_SENSITIVITY/.test(e.message));
    const ok = new RtrlTrainer({ ...base, hiddenSize: RTRL_MAX_HIDDEN_SIZE });
    assert.equal(ok.hiddenSize, 64);
    assert.deepEqual(rtrlCost({ inputSize: 2, hiddenSize: 3 }).sensitivityValues, 3 * (6 + 9 + 3));
  });

  test('bad options name the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...base, hiddenSize: 0 }, /hiddenSize/],
      [{ ...base, inputSize: 1.5 }, /inputSize/],
      [{ ...base, outputSize: undefined }, /outputSize/],
      [{ ...base, nonlinearity: 'sigmoid' }, /nonlinearity.*'tanh', 'relu'/],
      [{ ...base, loss: 'mae' }, /loss/],
      [{ ...base, outputSize: 1, loss: 'cross-entropy' }, /outputSize >= 2/],
      [{ ...base, learningRate: -1 }, /learningRate/],
      [{ ...base, updateEvery: -1 }, /updateEvery/],
      [{ ...base, clipNorm: 0 }, /clipNorm/],
      [{ ...base, seed: 0.5 }, /seed/],
      [{ ...base, lr: 0.1 }, /unknown option `lr`/],
      [{ ...base, init: { weight_hh: new Float64Array(4) } }, /weight_hh.*\[3, 3\]/],
      [{ ...base, init: { weight_xx: [1] } }, /no parameter named "weight_xx"/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => new RtrlTrainer(options as never), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), JSON.stringify(options));
    }
    assert.throws(() => new RtrlTrainer(null as never), InvalidArgumentError);
  });

  test('bad steps are refused and change nothing', () => {
    const mse = new RtrlTrainer(base);
    mse.step([0.5, -0.5], [1, 0]);
    const h = mse.hidden();
    assert.throws(() => mse.step([1], [1, 0]), (e: unknown) => e instanceof InvalidArgumentError && /`x` expected shape \[2\]/.test(e.message));
    assert.throws(() => mse.step([1, Number.NaN], [1, 0]), (e: unknown) => e instanceof InvalidArgumentError && /finite/.test(e.message));
    assert.throws(() => mse.step([1, 2], [1]), (e: unknown) => e instanceof InvalidArgumentError && /`target` expected shape \[2\]/.test(e.message));
    assert.throws(() => mse.step([1, 2], 1), /target/);
    assert.throws(() => mse.step('ab' as never), /`x` expected a Float64Array/);
    assert.deepEqual(mse.hidden(), h);
    assert.equal(mse.steps, 1);

    const ce = new RtrlTrainer({ ...base, loss: 'cross-entropy' });
    assert.throws(() => ce.step([1, 2], 2), (e: unknown) => e instanceof InvalidArgumentError && /`target` expected an integer in \[0, 1\]/.test(e.message));
    assert.throws(() => ce.step([1, 2], [0, 1]), /target/);
    assert.equal(ce.step(new Float32Array([1, 2]), 1).output.length, 2);

    const single = new RtrlTrainer({ ...base, outputSize: 1 });
    assert.ok(single.step(new Float64Array([1, 2]), 0.5).loss >= 0);
  });

  test('setParameters checks everything before writing; resetState checks h0', () => {
    const trainer = new RtrlTrainer(base);
    const before = trainer.parameters();
    assert.throws(
      () => trainer.setParameters({ bias_ih: [1, 2, 3], weight_ih: [1, 2] }),
      (e: unknown) => e instanceof InvalidArgumentError && /weight_ih.*\[3, 2\]/.test(e.message),
    );
    assert.deepEqual(trainer.parameters(), before);
    trainer.setParameters({ bias_ih: [1, 2, 3] });
    assert.deepEqual(Array.from(trainer.parameters().bias_ih), [1, 2, 3]);
    assert.deepEqual(trainer.parameterShapes().weight_out, [2, 3]);
    assert.throws(() => trainer.resetState([1, 2]), /h0/);
    trainer.resetState([0.1, 0.2, 0.3]);
    assert.deepEqual(Array.from(trainer.hidden()), [0.1, 0.2, 0.3]);
    assert.throws(() => { trainer.learningRate = Number.NaN; }, InvalidArgumentError);
  });

  test('the seeded init is deterministic and within PyTorch’s bound 1/sqrt(H)', () => {
    const a = new RtrlTrainer({ ...base, hiddenSize: 4, seed: 5 }).parameters();
    const b = new RtrlTrainer({ ...base, hiddenSize: 4, seed: 5 }).parameters();
    const c = new RtrlTrainer({ ...base, hiddenSize: 4, seed: 6 }).parameters();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const name of RTRL_PARAMETER_NAMES) assert.ok(a[name].every((v) => Math.abs(v) <= 0.5), name);
  });
});
