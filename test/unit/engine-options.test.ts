// init() rejects options it does not know (the project's rule for every options object), naming
// the option and, for names other libraries use, what to write instead; nothing is loaded.
import { afterAll, test } from 'vitest';

import { dispose, init, InvalidArgumentError } from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';

afterAll(async () => {
  await dispose();
});

test('init: an unknown option is an InvalidArgumentError naming it; a known one from another library gets a suggestion', async () => {
  await dispose();
  await assert.rejects(() => init({ ...engineOptions, thread: 2 } as never), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match((e as Error).message, /^init: unknown option `thread`; the options are threads, wasmBaseUrl, noThreads, simd$/);
    return true;
  });
  await assert.rejects(() => init({ numThreads: 2 } as never), /unknown option `numThreads` \(use `threads`\)/);
  await assert.rejects(() => init(null as never), (e: unknown) => e instanceof InvalidArgumentError && /argument `options` expected an options object/.test((e as Error).message));
  // Nothing was loaded by the refused calls: a valid call still loads and computes.
  const engine = await init(engineOptions);
  assert.ok(engine.threads >= 1);
});
