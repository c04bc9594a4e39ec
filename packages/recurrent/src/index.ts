/**
 * recurrent: recurrent neural networks for JavaScript and TypeScript, computed by a Rust core
 * compiled to WebAssembly with SIMD and threads.
 *
 * Start with `await init()`; everything else needs the engine it loads.
 */
export { init, dispose, engine, type InitOptions } from './engine/loader.js';
export type { Engine } from './engine/engine.js';
export type { BuildKind, BuildName, SimdLevel } from './engine/bindings.js';
export { hasRelaxedSimd, hasSimd, hasThreads } from './engine/features.js';
export {
  RecurrentError,
  InvalidArgumentError,
  DisposedError,
  OutOfMemoryError,
  InitError,
} from './errors.js';
export { Float32Buffer } from './tensor/buffer.js';
export { gemm, type GemmOptions } from './linalg.js';
export {
  RecurrentStack,
  CELL_KINDS,
  gateCount,
  hasCellState,
  type CellKind,
  type RecurrentStackOptions,
  type ParameterInfo,
  type SequenceLayout,
  type StackForwardOptions,
  type StackForwardResult,
  type StackBackwardOptions,
  type StackBackwardResult,
  type StepNormsShape,
} from './core/stack.js';
export * from './data/index.js';
export * from './io/index.js';
export * from './online/index.js';
export * from './model/index.js';
export { NonFiniteError } from './errors.js';
export * from './tasks/index.js';
export * from './trees/index.js';
