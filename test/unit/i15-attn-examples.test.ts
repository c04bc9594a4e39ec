// Issue 15, attention: the two attention examples (examples/attention-reverse.ts,
// examples/attention-dates.ts) in a reduced mode, with looser bounds than their full runs:
// reversal of 8-12 symbols is learnt with attention and not without (same sizes and budget);
// dates to ISO dates reach a good exact match with greedy decoding, and a beam of 4 is not
// worse. The examples import node:util for their command line, so this runs in Node only.
import { dispose, init } from 'recurrent';

import assert from '../support/assert.js';
import { nodeOnly } from '../support/env.js';

const { test, beforeAll, afterAll } = nodeOnly('the examples read their options with node:util');

beforeAll(() => init({ threads: 1 }));
afterAll(() => dispose());

test('reversal, reduced: with attention far ahead of without (same sizes, data and budget)', async () => {
  const { reverseExperiment } = await import('../../examples/attention-reverse.js');
  const r = await reverseExperiment({ pairs: 2000, epochs: 6, minLength: 8, maxLength: 12, units: 32, heldOut: 200 });
  assert.ok(r.additive >= 0.8, `with attention ${r.additive}`);
  assert.ok(r.additive >= r.without + 0.5, `with ${r.additive}, without ${r.without}`);
});

test('dates, reduced: greedy exact match >= 50%, beam width 4 not below greedy', async () => {
  const { datesExperiment } = await import('../../examples/attention-dates.js');
  const r = await datesExperiment({ pairs: 2000, epochs: 4, units: 32, heldOut: 200 });
  assert.ok(r.greedy >= 0.5, `greedy ${r.greedy}`);
  assert.ok(r.beam >= r.greedy - 0.02, `beam ${r.beam} vs greedy ${r.greedy}`);
  assert.equal(r.example.weights.length, r.example.iso.length);
  for (const row of r.example.weights) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
});
