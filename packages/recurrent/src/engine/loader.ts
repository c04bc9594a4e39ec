/**
 * `init()`: picks a build, loads it, starts the pool, once. A small state machine, as in
 * onnxruntime-web's wasm factory: concurrent calls share one promise; a failed init leaves
 * the state idle (so it can be retried) and says what to do.
 */
import { InitError, InvalidArgumentError } from '../errors.js';
import { checkKnownKeys, checkObject } from '../validate/index.js';
import { type BuildKind, type BuildName, buildName, chooseVariant, importGlue, type SimdLevel, simdFromEnvironment } from './bindings.js';
import { Engine } from './engine.js';
import { canBlock, hardwareThreads, hasRelaxedSimd, hasSimd, hasThreads, isNode } from './features.js';
import { startPoolWorkers } from './pool.js';
import { compileBuild } from './wasm-bytes.js';

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * Threads for the kernels, the caller's included. `1` loads the single-threaded build;
   * a number above 1 loads the threaded build with that many threads (an error where
   * threads are unavailable); `'auto'` uses every logical processor when threads are
   * available and otherwise (no shared memory, or the pool's workers could not start) falls
   * back to one thread with a warning. Default `'auto'`.
   */
  threads?: number | 'auto';
  /**
   * Folder URL that holds the `simd/`, `threads/`, `relaxed/` and `relaxed-threads/` wasm
   * folders, for bundlers that move them. Default: next to the package's own files.
   */
  wasmBaseUrl?: string | URL;
  /**
   * What a number of threads above 1 does where threads are unavailable (a page that is not
   * cross-origin isolated): `'error'` throws {@link InitError}; `'warn'` loads the
   * single-threaded build with the one console warning `'auto'` gives. Default `'error'`.
   */
  noThreads?: 'error' | 'warn';
  /**
   * Which SIMD build: `'relaxed'` (relaxed SIMD: fused multiply-add in the kernels, faster;
   * an {@link InitError} where the runtime lacks relaxed SIMD, e.g. Node 20 without
   * `--experimental-wasm-relaxed-simd`) or `'baseline'` (SIMD128 only, the same arithmetic
   * everywhere). Results of the two differ by rounding only. Default: the environment
   * variable `RECURRENT_SIMD` (or a global of that name in a browser) when set, otherwise
   * `'relaxed'` where `WebAssembly.validate` accepts relaxed SIMD and `'baseline'` elsewhere.
   */
  simd?: SimdLevel;
}

/** The keys of {@link InitOptions}. */
const INIT_OPTIONS = ['threads', 'wasmBaseUrl', 'noThreads', 'simd'] as const;
/** The values of {@link InitOptions.simd}. */
const SIMD_LEVELS: readonly SimdLevel[] = ['relaxed', 'baseline'];

type State =
  | { kind: 'idle' }
  | { kind: 'loading'; promise: Promise<Engine>; key: string }
  | { kind: 'ready'; engine: Engine; key: string };

let state: State = { kind: 'idle' };
let warnedNoThreads = false;

/**
 * Loads the engine. Safe to call many times: later calls return the same engine, and calls
 * made while it loads share the same promise. Call {@link dispose} before asking for a
 * different thread count.
 */
export async function init(options: InitOptions = {}): Promise<Engine> {
  checkObject('init', 'options', options, 'an options object { threads, wasmBaseUrl, noThreads, simd }');
  checkKnownKeys('init', options, INIT_OPTIONS, { numThreads: '`threads`', wasmPaths: '`wasmBaseUrl`' });
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new InitError(`init: option \`threads\` expected 'auto' or an integer in [1, 256], got ${String(threads)}`);
  }
  const noThreads = options.noThreads ?? 'error';
  if (noThreads !== 'error' && noThreads !== 'warn') {
    throw new InitError(`init: option \`noThreads\` expected 'error' or 'warn', got ${String(noThreads)}`);
  }
  const simd = options.simd;
  if (simd !== undefined && !SIMD_LEVELS.includes(simd)) {
    throw new InvalidArgumentError(`init: option \`simd\` expected 'relaxed' or 'baseline', got ${typeof simd === 'string' ? `'${simd}'` : String(simd)}`);
  }
  const fromEnv = simd === undefined ? simdFromEnvironment() : undefined;
  if (fromEnv !== undefined && !(SIMD_LEVELS as readonly string[]).includes(fromEnv)) {
    throw new InitError(`init: the environment variable RECURRENT_SIMD expected 'relaxed' or 'baseline', got '${fromEnv}'`);
  }
  const asked = simd ?? (fromEnv as SimdLevel | undefined);
  const key = JSON.stringify({ threads, base: options.wasmBaseUrl?.toString() ?? null, noThreads, simd: asked ?? null });
  if (state.kind === 'ready' || state.kind === 'loading') {
    if (state.key !== key) {
      throw new InitError(
        `init: the engine is already ${state.kind === 'ready' ? 'loaded' : 'loading'} with other options ` +
          `(${state.key}); call dispose() first to load it with ${key}`,
      );
    }
    return state.kind === 'ready' ? state.engine : state.promise;
  }
  const promise = load(threads, options.wasmBaseUrl, noThreads, asked);
  state = { kind: 'loading', promise, key };
  try {
    const engine = await promise;
    state = { kind: 'ready', engine, key };
    return engine;
  } catch (e) {
    state = { kind: 'idle' };
    throw e;
  }
}

/** The loaded engine; throws {@link InitError} if {@link init} has not completed. */
export function engine(): Engine {
  if (state.kind !== 'ready') {
    throw new InitError(
      state.kind === 'loading'
        ? 'the engine is still loading: await init() before using recurrent'
        : 'the engine is not loaded: call `await init()` from recurrent first',
    );
  }
  return state.engine;
}

/** The loaded engine, or `undefined`. */
export function engineIfReady(): Engine | undefined {
  return state.kind === 'ready' ? state.engine : undefined;
}

/**
 * Stops the pool workers and ends the engine, so a Node script's event loop is free and
 * {@link init} may load again with other options. Objects made with the ended engine stay
 * unusable: using them is a {@link DisposedError} naming it (`engine #1 was disposed`);
 * disposing them is allowed.
 */
export async function dispose(): Promise<void> {
  const current = state;
  state = { kind: 'idle' };
  const end = async (e: Engine) => {
    e.markDisposed();
    await e.stopWorkers();
  };
  if (current.kind === 'loading') await current.promise.then(end, () => undefined);
  if (current.kind === 'ready') await end(current.engine);
}

/** The SIMD level to load: the one asked for (checked), else relaxed where it validates. */
function simdLevel(asked: SimdLevel | undefined): SimdLevel {
  const relaxed = hasRelaxedSimd();
  if (asked === 'relaxed' && !relaxed) {
    throw new InitError(
      "init: simd 'relaxed' requested but this runtime does not support WebAssembly relaxed SIMD " +
        '(Chrome/Edge >= 114, Firefox >= 145, Node >= 22; Node 20 needs --experimental-wasm-relaxed-simd); ' +
        "use simd: 'baseline' or leave the option out",
    );
  }
  return asked ?? (relaxed ? 'relaxed' : 'baseline');
}

async function load(
  threads: number | 'auto',
  base: string | URL | undefined,
  noThreads: 'error' | 'warn',
  asked: SimdLevel | undefined,
): Promise<Engine> {
  if (!hasSimd()) {
    throw new InitError(
      'this runtime has no WebAssembly SIMD128 support, which recurrent requires ' +
        '(Node >= 16.4, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4)',
    );
  }
  const level = simdLevel(asked);
  const wanted = threads === 'auto' ? await hardwareThreads() : threads;
  let build: BuildKind = wanted > 1 ? 'threads' : 'simd';
  if (build === 'threads' && !hasThreads()) {
    const why = isNode()
      ? 'this Node.js has no SharedArrayBuffer or wasm threads'
      : 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin ' +
        'and Cross-Origin-Embedder-Policy: require-corp), so SharedArrayBuffer is unavailable';
    if (threads !== 'auto' && noThreads === 'error') throw new InitError(`init: ${threads} threads requested but ${why}`);
    if (!warnedNoThreads) {
      warnedNoThreads = true;
      console.warn(`recurrent: using the single-threaded build because ${why}`);
    }
    build = 'simd';
  }
  try {
    return await start(build, level, wanted, base);
  } catch (e) {
    if (build !== 'threads' || threads !== 'auto') throw e;
    // 'auto' promises a working engine: one thread rather than none.
    console.warn(`recurrent: using the single-threaded build because the threaded one could not start: ${(e as Error).message}`);
    return await start('simd', level, 1, base);
  }
}

/** Compiles and instantiates a build, starts its pool for `threads` threads, returns the engine. */
async function start(kind: BuildKind, level: SimdLevel, threads: number, base: string | URL | undefined): Promise<Engine> {
  const build: BuildName = buildName(kind, level);
  // A base URL is where an app serves the shipped (release) files; otherwise the test suite
  // may ask for the test build (see `chooseVariant`).
  const variant = base === undefined ? chooseVariant() : 'release';
  const module = await compileBuild(build, base, variant);
  const glue = await importGlue(build, variant);
  let memory: WebAssembly.Memory;
  try {
    memory = glue.initSync({ module }).memory;
    // Done now, while memory is certainly available: first-time allocations of the instance
    // that could not fail gracefully later (see `engine_prepare` in the Rust crate).
    glue.engine_prepare();
  } catch (e) {
    throw new InitError(`could not instantiate the ${build} build: ${(e as Error).message}`, { cause: e });
  }
  // On a page's main thread the caller spins while pool workers finish instead of waiting.
  glue.pool_set_caller_may_block(canBlock());
  const workerCount = kind === 'threads' ? threads - 1 : 0;
  const workers = await startPoolWorkers(workerCount, { module, memory, build, variant }, { shutdown: () => glue.pool_shutdown(), reset: () => glue.pool_reset() });
  const engine = new Engine(kind, glue, memory, module, workers, variant);
  try {
    await waitForRegistration(engine, workerCount);
  } catch (e) {
    await engine.stopWorkers();
    throw e;
  }
  engine.setThreads(threads);
  return engine;
}

/** Workers report ready just before they enter the pool; wait until all have entered. */
async function waitForRegistration(engine: Engine, workers: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (engine.wasm.pool_workers() < workers) {
    if (Date.now() > deadline) {
      throw new InitError(`only ${engine.wasm.pool_workers()} of ${workers} pool workers entered the pool`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
