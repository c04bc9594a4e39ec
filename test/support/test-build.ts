/**
 * Setup of the browser projects (vitest.config.ts): a page has no `process.env`, so this tells
 * `init()` to load the test builds (`wasm/*-test`, with the exports only tests call, see
 * crates/recurrent-wasm/src/test_exports.rs), as vitest.config.ts does for Node through RECURRENT_WASM_VARIANT.
 * It also passes on the SIMD level the project asks for (`simd` in vitest.config.ts): the plain
 * page runs the baseline builds, the isolated page the relaxed ones, so both stay tested.
 */
import { inject } from 'vitest';

const g = globalThis as { RECURRENT_WASM_VARIANT?: string; RECURRENT_SIMD?: string };
g.RECURRENT_WASM_VARIANT = 'test';
const simd = inject('simd');
if (simd !== 'auto') g.RECURRENT_SIMD = simd;
