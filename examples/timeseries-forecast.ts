// Time-series regression with sliding windows, a validation split and early stopping, against
// the "same as last value" baseline.
//
// The series is a daily-like signal: two seasons (periods 7 and 30), a slow trend and noise,
// drawn from a seeded generator (no real series ships with the package). Each example is 24
// steps; the target is the next step. The last fifth of the series is held out for the test.
//
//     node --import tsx examples/timeseries-forecast.ts
import { adam, dense, evaluate, fit, gru, init, Random, sequential, timeseriesWindows } from 'recurrent';

await init({ threads: 1 });

const rng = new Random(3);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
const series = Array.from({ length: 1500 }, (_, t) => Math.sin((2 * Math.PI * t) / 7) + 0.6 * Math.sin((2 * Math.PI * t) / 30) + t / 1500 + 0.2 * gauss());

const cut = Math.floor(series.length * 0.8);
const train = timeseriesWindows(series.slice(0, cut), { window: 24 });
const test = timeseriesWindows(series.slice(cut - 24), { window: 24 });

const model = sequential([gru({ units: 32, output: 'last' }), dense({ units: 32, activation: 'relu' }), dense({ units: 1 })], { inputSize: 1, seed: 1 });
console.log(model.summary());

const history = await fit(model, train, {
  loss: 'mse',
  epochs: 40,
  batchSize: 32,
  optimizer: adam({ lr: 3e-3 }),
  validationSplit: 0.2,
  earlyStopping: { patience: 4, restoreBest: true },
  onEpochEnd: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, val RMSE ${e.validation!.rmse!.toFixed(4)}`),
});

const rnn = evaluate(model, test, { loss: 'mse' });
// Baseline: tomorrow is today.
const last = Math.sqrt(test.x.reduce((s, w, i) => s + (w.at(-1)![0]! - test.y[i]![0]!) ** 2, 0) / test.x.length);
console.log(`stopped after ${history.epochs.length} epochs`);
console.log(`held-out RMSE: GRU ${rnn.rmse!.toFixed(4)}, same-as-last-value ${last.toFixed(4)} (${((1 - rnn.rmse! / last) * 100).toFixed(1)}% lower)`);
