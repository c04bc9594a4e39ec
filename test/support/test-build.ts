/**
 * Setup of the browser projects (vitest.config.ts): a page has no `process.env`, so this tells
 * `init()` to load the test builds (`wasm/*-test`, with the exports only tests call, see
 * crates/recurrent-wasm/src/test_exports.rs), as vitest.config.ts does for Node through RECURRENT_WASM_VARIANT.
 */
(globalThis as { RECURRENT_WASM_VARIANT?: string }).RECURRENT_WASM_VARIANT = 'test';
