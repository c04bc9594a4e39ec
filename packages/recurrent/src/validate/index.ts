/**
 * The argument rules of the whole package, each written once: values (numbers, choices,
 * flags, names, option bags), arrays (finite values, lengths, token ids), batches, and size
 * limits. This module sits at the bottom of the import graph: it imports only `errors.ts`, so
 * every layer (tensors, core, model, tasks, worker, CLI) can use it without importing upward
 * (docs/ARCHITECTURE.md, "Validation").
 */
export {
  describe, checkInt, checkSkip, checkNumber, checkPositive, checkClipNorm, checkOneOf, checkObject, checkOptionalBoolean,
  checkOptionalFunction, checkOptionalName, checkKnownKeys, checkRange, type Range,
} from './values.js';
export { firstNonFinite, checkFinite, checkArrayLike, isDetached, checkAttached, checkVector, checkFloats, checkLengths, checkTokenIds } from './arrays.js';
export { checkBatch, isCheckedBatch, sliceSteps, type SequenceBatch, type TreesBatch, type ForestInput, type TargetKind, type BatchShape, type CheckedBatch } from './batch.js';
export { MAX_PARAMETER_FLOATS, MAX_BATCH_FLOATS, MAX_SKIP } from './limits.js';
