// Online learning with real-time recurrent learning (RTRL): a small tanh RNN watches a sine
// wave one sample at a time and learns to predict the next sample, updating its weights after
// every step. No sequence is stored and there is no backward pass: the sensitivities
// dh_t/dθ travel forward with the state, so the gradient is ready at every step.
// Then the model runs free, fed its own predictions, and continues the wave.
//
//     node --import tsx examples/online-rtrl.ts
//
// RTRL costs O(H^4) per step, so it is for small models (hiddenSize <= 64); larger ones
// train with BPTT (RecurrentStack).
import { RtrlTrainer, rtrlCost } from 'recurrent';

const hiddenSize = 8;
const omega = 0.3; // radians per step: a period of about 21 steps
const steps = 6000;
const every = 500;

const trainer = new RtrlTrainer({
  inputSize: 1,
  hiddenSize,
  outputSize: 1,
  nonlinearity: 'tanh',
  loss: 'mse',
  learningRate: 0.05,
  updateEvery: 1, // fully online: one SGD update per sample
  seed: 7,
});

const cost = rtrlCost({ inputSize: 1, hiddenSize, outputSize: 1 });
console.log(`RTRL, H = ${hiddenSize}: ${cost.sensitivityValues} sensitivities, ~${cost.multiplyAddsPerStep} multiply-adds per step`);
console.log('step   mean squared error of the next-sample prediction (last 500 steps)');

const wave = (t: number): number => Math.sin(omega * t);
let sum = 0;
const started = performance.now();
for (let t = 0; t < steps; t++) {
  const { loss } = trainer.step([wave(t)], wave(t + 1));
  sum += loss;
  if ((t + 1) % every === 0) {
    console.log(`${String(t + 1).padStart(5)}  ${(sum / every).toExponential(2)}`);
    sum = 0;
  }
}
const ms = performance.now() - started;
console.log(`${steps} online steps in ${ms.toFixed(0)} ms (${((1000 * ms) / steps).toFixed(1)} us per step)`);

// Free running: feed the prediction back as the next input, no more targets or updates.
let x = wave(steps);
let worst = 0;
const shown: string[] = [];
for (let t = steps; t < steps + 42; t++) {
  const { output } = trainer.step([x]);
  x = output[0] ?? 0;
  worst = Math.max(worst, Math.abs(x - wave(t + 1)));
  if (t - steps < 10) shown.push(`${x.toFixed(3)} (${wave(t + 1).toFixed(3)})`);
}
console.log(`free-running, predicted (true): ${shown.join(', ')}, ...`);
console.log(`largest error over two periods of free running: ${worst.toFixed(3)}`);
