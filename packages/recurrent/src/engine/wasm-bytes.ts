/** Compiles a build's `.wasm`: read from the package folder in Node, fetched in browsers. */
import { InitError } from '../errors.js';
import { type BuildName, type WasmVariant, wasmUrl } from './bindings.js';
import { isNode } from './features.js';

/**
 * Compiles the module of `build` (`variant` of it, see `chooseVariant`). `baseUrl`, when
 * given, is the folder holding `simd/`, `threads/`, `relaxed/` and `relaxed-threads/` (for apps that serve the wasm files from
 * elsewhere than next to the package).
 */
export async function compileBuild(build: BuildName, baseUrl?: string | URL, variant: WasmVariant = 'release'): Promise<WebAssembly.Module> {
  const url = baseUrl === undefined ? wasmUrl(build, variant) : new URL(`${build}/recurrent_wasm_bg.wasm`, withSlash(baseUrl));
  try {
    if (isNode() && url.protocol === 'file:') {
      const fs = await import(/* @vite-ignore */ 'node:fs/promises');
      return await WebAssembly.compile(await fs.readFile(url));
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('Content-Type') === 'application/wasm') {
      return await WebAssembly.compileStreaming(response);
    }
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (e) {
    throw new InitError(
      `could not load the ${build} wasm build from ${url.href}: ${(e as Error).message}. ` +
        'If the package was installed from source, run `bash scripts/build.sh`; if your bundler ' +
        'moves the wasm files, pass init({ wasmBaseUrl }) pointing at the folder holding simd/, threads/, relaxed/ and relaxed-threads/.',
      { cause: e },
    );
  }
}

function withSlash(base: string | URL): URL {
  const href = typeof base === 'string' ? base : base.href;
  return new URL(href.endsWith('/') ? href : `${href}/`, typeof location === 'undefined' ? undefined : location.href);
}
