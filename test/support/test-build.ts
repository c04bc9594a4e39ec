/**
 * Setup of the browser projects (vitest.config.ts): a page has no `process.env`, so this tells
 * `init()` to load the test builds (`wasm/*-test`, with the exports only tests call, see
 * crates/recurrent-wasm/src/test_exports.rs), as it does by itself in a Node checkout.
 */
(globalThis as { RECURRENT_WASM_VARIANT?: string }).RECURRENT_WASM_VARIANT = 'test';
