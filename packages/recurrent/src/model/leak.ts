/**
 * The `leak` option of `rnn` (leaky units): its check and the fixed rates it gives. Apart from
 * layers.ts, which is the factories' file, to keep that file small.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RecurrentConfig, RnnConfig } from './layers.js';

/** The `leak` option of `rnn`: `'learn'`, or rates in [0, 1), one or one per unit; tanh only. */
export function checkLeak(o: Omit<RnnConfig, 'type'>): void {
  const leak = o.leak;
  if (o.residual || (o.nonlinearity ?? 'tanh') !== 'tanh') {
    throw new InvalidArgumentError(`rnn: leaky units are defined with tanh and without the residual form; got ${o.residual ? 'residual: true' : `nonlinearity '${o.nonlinearity}'`}`);
  }
  if (leak === 'learn') return;
  const rates = typeof leak === 'number' ? [leak] : leak;
  if (!Array.isArray(rates) || (typeof leak !== 'number' && rates.length !== o.units)) {
    throw new InvalidArgumentError(`rnn: argument \`leak\` expected 'learn', a number in [0, 1) or an array of ${o.units} (units) such numbers, got ${describeLeak(leak)}`);
  }
  for (let i = 0; i < rates.length; i++) {
    const a: unknown = rates[i];
    if (typeof a !== 'number' || !Number.isFinite(a) || a < 0 || a >= 1) {
      throw new InvalidArgumentError(`rnn: argument \`leak\` expected rates in [0, 1), got ${String(a)}${typeof leak === 'number' ? '' : ` at index ${i}`}`);
    }
  }
}

function describeLeak(v: unknown): string {
  return Array.isArray(v) ? `an array of ${v.length}` : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The fixed leak rates of an `rnn({ leak })` layer, one per unit (`undefined` unless fixed). */
export function fixedLeakRates(c: RecurrentConfig): Float32Array | undefined {
  if (c.type !== 'rnn' || c.leak === undefined || c.leak === 'learn') return undefined;
  const leak = c.leak;
  return typeof leak === 'number' ? new Float32Array(c.units).fill(leak) : Float32Array.from(leak);
}
