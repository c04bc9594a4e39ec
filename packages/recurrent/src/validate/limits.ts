/**
 * Size limits checked before anything is allocated, so a request that cannot fit in wasm
 * memory is refused with an `OutOfMemoryError` naming it instead of failing half-way.
 */

/**
 * Most floats a model's parameters may hold: params and their gradients of 2^29 floats each
 * are 4 GiB, all wasm32 can address, so a bigger model can never be built.
 */
export const MAX_PARAMETER_FLOATS = 2 ** 29;

/** Most floats of working memory one batch may need (2 GiB, half of what wasm32 addresses). */
export const MAX_BATCH_FLOATS = 2 ** 29;

/**
 * The longest skip connection through time, `rnn({ skip })` (the core's `MAX_SKIP`): a
 * streaming state keeps `skip - 1` earlier states per stacked layer, so a delay longer than
 * any sequence only costs memory.
 */
export const MAX_SKIP = 4096;
