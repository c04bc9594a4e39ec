/**
 * The one way into wasm. An engine's exports are wrapped here once, from the glue module: each
 * export becomes a function that reports the call to the engine's hook (tests count the calls
 * of a training batch with it, see {@link Engine.onAbiCall}) and turns the boundary's errors
 * into typed ones. Every call the package makes, through `engine.call`, `engine.free` or
 * `engine.wasm`, is one of these functions; the types are wasm-bindgen's (`bindings.ts`).
 */
import { RecurrentError, fromWasmError } from '../errors.js';
import { type GlueModule, TEST_EXPORTS, type WasmExports } from './bindings.js';

/** Called with an export's name before each call into wasm. */
export type AbiCallHook = (name: string) => void;

/** Where a wrapped export reports its calls. */
export interface HookSlot {
  hook: AbiCallHook | undefined;
}

/** Names of glue functions that are not exports of the module. */
const NOT_EXPORTS = new Set(['default', 'initSync', '__wbindgen_thread_destroy']);

/**
 * The exports of `glue`, wrapped: each reports to `slot.hook` and maps errors. A test-only
 * export missing from a release build is a function that throws a {@link RecurrentError}
 * naming it.
 */
export function wrapExports(glue: GlueModule, slot: HookSlot): WasmExports {
  const out: Record<string, unknown> = {};
  const raw = glue as unknown as Record<string, unknown>;
  for (const [name, f] of Object.entries(raw)) {
    if (typeof f !== 'function' || NOT_EXPORTS.has(name) || name.startsWith('__')) continue;
    const fn = f as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      slot.hook?.(name);
      try {
        return fn(...args);
      } catch (e) {
        throw fromWasmError(e);
      }
    };
  }
  for (const name of TEST_EXPORTS) {
    out[name] ??= () => {
      throw new RecurrentError(`${name} is an export of the test builds only (wasm/*-test, built by scripts/build-wasm.sh); this engine runs a release build`);
    };
  }
  return Object.freeze(out) as unknown as WasmExports;
}
